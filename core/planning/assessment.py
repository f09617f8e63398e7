"""Judges a recorded plan: its monthly cost estimate first, then the policy pack (whose cost-ceiling rule reads it)."""

from __future__ import annotations

from modelyard.costing import assumptions_from_config, estimate_cost, estimate_cost_or_error
from modelyard.planning.engine import Plan
from modelyard.policies import evaluate


def estimate_plan_cost(plan: Plan) -> dict:
    """The plan's monthly cost, with the stack config's assumptions (defaults for a foreign program)."""
    resources = [resource.to_json() for resource in plan.resources]
    return estimate_cost(resources, plan.region, assumptions_from_config(plan.config_values))


def assess(plan: Plan) -> Plan:
    """Fill `plan.cost` and `plan.policy` in place; a region without prices leaves an error in `cost` (with the
    ceiling, which the cost-ceiling rule then reports as unchecked), not a failure of the plan."""
    resources = [resource.to_json() for resource in plan.resources]
    plan.cost = estimate_cost_or_error(resources, plan.region, assumptions_from_config(plan.config_values))
    environment = plan.config_values.get("modelyard:environment", plan.stack)
    plan.policy = evaluate(resources, environment, plan.cost)
    return plan
