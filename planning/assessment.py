"""Judges a recorded plan: its monthly cost estimate first, then the policy pack (whose cost-ceiling rule reads it)."""

from __future__ import annotations

from modelyard.costing import CostError, estimate_cost
from modelyard.planning.engine import Plan
from modelyard.policies import evaluate
from modelyard.stacks.cost_assumptions import assumptions_from_config


def estimate_plan_cost(plan: Plan) -> dict:
    """The plan's monthly cost, with the stack config's assumptions (defaults for a foreign program)."""
    resources = [resource.to_json() for resource in plan.resources]
    return estimate_cost(resources, plan.region, assumptions_from_config(plan.config_values))


def assess(plan: Plan) -> Plan:
    """Fill `plan.cost` and `plan.policy` in place; a region without prices leaves an error in `cost`, not a failure."""
    try:
        plan.cost = estimate_plan_cost(plan)
    except CostError as error:
        plan.cost = {"error": str(error)}
    environment = plan.config_values.get("modelyard:environment", plan.stack)
    cost = plan.cost if "total_monthly_usd" in plan.cost else None
    plan.policy = evaluate([resource.to_json() for resource in plan.resources], environment, cost)
    return plan
