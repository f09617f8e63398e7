"""Judges a recorded plan: its monthly cost estimate first, then the policy pack (whose cost-ceiling rule reads it),
then every AWS input against botocore's API models."""

from __future__ import annotations

from modelyard.costing import estimate_cost, estimate_cost_or_error
from modelyard.planning.engine import Plan
from modelyard.policies import evaluate
from modelyard.policies.aws_api import as_policy_violations, validate_api_inputs
from modelyard.stacks.cost_assumptions import assumptions_from_config


def estimate_plan_cost(plan: Plan) -> dict:
    """The plan's monthly cost, with the stack config's assumptions (defaults for a foreign program)."""
    resources = [resource.to_json() for resource in plan.resources]
    return estimate_cost(resources, plan.region, assumptions_from_config(plan.config_values))


def assess(plan: Plan) -> Plan:
    """Fill `plan.cost`, `plan.policy` and `plan.api_validation` in place; a region without prices leaves an error
    in `cost` (with the ceiling, which the cost-ceiling rule then reports as unchecked), not a failure of the plan.
    Inputs AWS's API would reject count as mandatory policy violations."""
    resources = [resource.to_json() for resource in plan.resources]
    plan.cost = estimate_cost_or_error(resources, plan.region, assumptions_from_config(plan.config_values))
    environment = plan.config_values.get("modelyard:environment", plan.stack)
    plan.policy = evaluate(resources, environment, plan.cost)
    plan.api_validation = validate_api_inputs(resources)
    plan.policy["violations"].extend(as_policy_violations(plan.api_validation))
    return plan
