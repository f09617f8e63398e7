"""Cost rule: the stack's estimated monthly cost stays under the ceiling its config sets."""

from __future__ import annotations

from modelyard.policies.resources import StackResources
from modelyard.policies.rule import ADVISORY_IN_DEV, Finding, NotApplicable, StackRule


def _under_ceiling(stack: StackResources) -> list[Finding] | NotApplicable:
    if stack.cost is None:
        return NotApplicable("no cost estimate was provided")
    ceiling = stack.cost.get("ceiling_usd")
    if ceiling is None:
        return NotApplicable("the stack sets no monthly cost ceiling")
    if "error" in stack.cost:
        # Fail closed: a ceiling nobody could check is not a ceiling kept (`modelyard cost` exits 2 here too).
        return [
            Finding(None, f"the stack's ceiling ${ceiling:,.2f} cannot be checked: {stack.cost['error']}")
        ]
    total = stack.cost["total_monthly_usd"]
    if total <= ceiling:
        return []
    return [
        Finding(None, f"estimated monthly cost ${total:,.2f} exceeds the stack's ceiling ${ceiling:,.2f}")
    ]


MONTHLY_COST_CEILING = StackRule(
    id="MY-COST-001",
    description="The stack's estimated monthly cost stays under its configured ceiling.",
    severity="medium",
    anchors=("WA ML Lens: cost optimization (set budgets and cost guardrails)", "AWS Budgets"),
    levels=ADVISORY_IN_DEV,
    check=_under_ceiling,
    needs_cost=True,
)


RULES = (MONTHLY_COST_CEILING,)
