"""The offline host: run every rule over a recorded plan and report violations with their enforcement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelyard.policies.resources import StackResources
from modelyard.policies.rules import RULES

# Findings about the stack as a whole (the cost ceiling) are reported against the stack itself.
STACK_TYPE = "pulumi:pulumi:Stack"


def checked_cost(cost: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The cost estimate, once its fields have the types the cost rule reads; TypeError naming the field."""
    if cost is None:
        return None
    if not isinstance(cost, Mapping):
        raise TypeError(f"cost must be a dict or None, got {type(cost).__name__}")
    if "error" in cost:
        # No estimate could be made; the rule reports the ceiling as unchecked.
        if not isinstance(cost["error"], str):
            raise TypeError(f"cost.error must be a string, got {cost['error']!r}")
    else:
        total = cost.get("total_monthly_usd")
        if isinstance(total, bool) or not isinstance(total, (int, float)):
            raise TypeError(f"cost.total_monthly_usd must be a number, got {total!r}")
    ceiling = cost.get("ceiling_usd")
    if ceiling is not None and (isinstance(ceiling, bool) or not isinstance(ceiling, (int, float))):
        raise TypeError(f"cost.ceiling_usd must be a number or None, got {ceiling!r}")
    return cost


def evaluate(
    resources: Sequence[Mapping[str, Any]], stack: str, cost: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Evaluate the pack on one stack's recorded resources.

    `stack` picks the enforcement levels (dev, staging, prod; any other name is held to prod). `cost` is the
    cost model's estimate ({"total_monthly_usd": float, "ceiling_usd": float | None, ...}), the reason none
    could be made ({"error": str, "ceiling_usd": float | None}), or None.
    Returns {"violations": [...], "rules_evaluated": n, "results": {"pass", "fail", "not_applicable"},
    "outcomes": {rule_id: outcome or "disabled"}}.
    """
    if not isinstance(stack, str) or not stack:
        raise ValueError(f"stack must be a non-empty string, got {stack!r}")
    graph = StackResources.from_records(resources, checked_cost(cost))
    violations: list[dict[str, Any]] = []
    results = {"pass": 0, "fail": 0, "not_applicable": 0}
    outcomes: dict[str, str] = {}
    for rule in RULES:
        enforcement = rule.levels.for_stack(stack)
        if enforcement == "disabled":
            outcomes[rule.id] = "disabled"
            continue
        result = rule.run(graph)
        outcomes[rule.id] = result.outcome
        results[result.outcome] += 1
        for finding in result.findings:
            resource = graph.get(finding.urn) if finding.urn else None
            violations.append(
                {
                    "rule_id": rule.id,
                    "severity": rule.severity,
                    "enforcement": enforcement,
                    "urn": finding.urn,
                    "type": resource.type if resource else STACK_TYPE,
                    "name": resource.name if resource else stack,
                    "message": finding.message,
                }
            )
    return {
        "violations": violations,
        "rules_evaluated": sum(results.values()),
        "results": results,
        "outcomes": outcomes,
    }
