"""Human output of a cost estimate: line items, total against the ceiling, unpriced resources, assumptions."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_cost(cost: dict[str, Any], console: Console, title: str = "estimated monthly cost") -> None:
    """Print the estimate as a table, most expensive first, followed by what it assumed."""
    table = Table(title=f"{title} ({cost['region']}, {cost['currency']})")
    table.add_column("resource", overflow="fold")
    table.add_column("type", style="dim", overflow="fold")
    table.add_column("quantity", justify="right")
    table.add_column("monthly", justify="right")
    table.add_column("detail", overflow="fold")
    for item in sorted(cost["items"], key=lambda item: item["monthly_usd"], reverse=True):
        table.add_row(
            item["name"],
            item["type"],
            f"{item['quantity']:,.6g} {item['unit']}",
            f"${item['monthly_usd']:,.2f}",
            item["detail"],
        )
    console.print(table)

    total = cost["total_monthly_usd"]
    ceiling = cost.get("ceiling_usd")
    line = f"total: [bold]${total:,.2f}[/bold] per month"
    if ceiling is not None:
        verdict = "[red]over[/red]" if total > ceiling else "[green]within[/green]"
        line += f", {verdict} the ceiling of ${ceiling:,.2f}"
    console.print(line)
    for resource in cost.get("unpriced", []):
        console.print(
            f"[yellow]not priced:[/yellow] {resource['name']} ({resource['type']}): {resource['reason']}",
            highlight=False,
        )
    console.print("[bold]assumptions[/bold]")
    for assumption in [*cost["assumptions"], f"prices: {cost['price_source']}"]:
        console.print(f"  - {assumption}", highlight=False, soft_wrap=True)
