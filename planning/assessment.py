"""Judges a recorded plan: its monthly cost estimate first, then the policy pack (whose cost-ceiling rule reads it),
then every AWS input against botocore's API models."""

from __future__ import annotations

from modelyard.costing import CostError, estimate_cost
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
    in `cost`, not a failure. Inputs AWS's API would reject count as mandatory policy violations."""
    try:
        plan.cost = estimate_plan_cost(plan)
    except CostError as error:
        plan.cost = {"error": str(error)}
    environment = plan.config_values.get("modelyard:environment", plan.stack)
    cost = plan.cost if "total_monthly_usd" in plan.cost else None
    resources = [resource.to_json() for resource in plan.resources]
    plan.policy = evaluate(resources, environment, cost)
    plan.api_validation = validate_api_inputs(resources)
    plan.policy["violations"].extend(as_policy_violations(plan.api_validation))
    return plan
