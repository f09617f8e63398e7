"""Human output of a plan: the resource tree, counts per type, outputs, policy verdicts and cost."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from modelyard.costing.report import render_cost
from modelyard.planning.engine import Plan


def render_plan(plan: Plan, console: Console) -> None:
    root = Tree(f"[bold]{plan.project}[/bold] / stack [bold]{plan.stack}[/bold] ({plan.region})")
    nodes = {}
    for resource in plan.resources:
        label = f"{escape(resource.name)} [dim]{escape(resource.type)}[/dim]"
        if resource.protect or resource.retain_on_delete:
            label += " [yellow](protected)[/yellow]" if resource.protect else " [yellow](retained)[/yellow]"
        parent_node = nodes.get(resource.parent, root)
        nodes[resource.urn] = parent_node.add(label)
    console.print(root)

    counts = Counter(resource.type for resource in plan.resources)
    table = Table(title=f"{len(plan.resources)} resources", show_lines=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    for resource_type, count in sorted(counts.items()):
        table.add_row(resource_type, str(count))
    console.print(table)

    if plan.outputs:
        outputs = Table(title="stack outputs")
        outputs.add_column("key")
        outputs.add_column("value", overflow="fold")
        for key, value in plan.public_outputs().items():
            # Values are data, not markup: "[secret]" would otherwise render as an empty cell.
            outputs.add_row(escape(key), escape(str(value)))
        console.print(outputs)

    violations = plan.policy.get("violations", [])
    verdict = Table(
        title=f"policy: {plan.policy.get('rules_evaluated', 0)} rules evaluated, {len(violations)} violations"
    )
    for column in ("rule", "level", "resource", "message"):
        verdict.add_column(column, overflow="fold")
    for violation in violations:
        style = "red" if violation["enforcement"] == "mandatory" else "yellow"
        verdict.add_row(
            violation["rule_id"],
            f"[{style}]{violation['enforcement']}[/{style}]",
            escape(violation["urn"]),
            escape(violation["message"]),
        )
    console.print(verdict)
    if plan.api_validation:
        _render_api_validation(plan.api_validation, console)

    if "total_monthly_usd" in plan.cost:
        render_cost(plan.cost, console, title=f"stack {plan.stack}: estimated monthly cost")
    elif "error" in plan.cost:
        console.print(f"[yellow]no cost estimate:[/yellow] {plan.cost['error']}")


def _render_api_validation(report: dict, console: Console) -> None:
    """One line of coverage (its violations are already in the policy table, as aws-api-constraints)."""
    unmapped = report["unmapped_types"]
    console.print(
        f"AWS API validation ({report['models']}): {report['values_checked']} values of "
        f"{report['resources_checked']} resources checked, {report['values_unknown']} unknown until apply, "
        f"{len(report['violations'])} violations"
        + (f"; no API mapping for {', '.join(sorted(unmapped))}" if unmapped else ""),
        highlight=False,
        soft_wrap=True,
    )
