"""`modelyard policies`: list the rules of the pack, and print the CrossGuard config of an environment."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from modelyard.policies.checkov_skips import checkov_ids
from modelyard.policies.pack_config import config_path, render
from modelyard.policies.rule import ENVIRONMENTS, ResourceRule
from modelyard.policies.rules import RULES

app = typer.Typer(
    help="The policy pack: rules, severities, anchors and enforcement per environment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

_LEVEL_STYLE = {"mandatory": "bold", "advisory": "yellow", "disabled": "dim"}


def rule_rows() -> list[dict[str, Any]]:
    """Every rule as plain data (the `--json` output)."""
    return [
        {
            "id": rule.id,
            "severity": rule.severity,
            "kind": "resource" if isinstance(rule, ResourceRule) else "stack",
            "description": rule.description,
            "anchors": list(rule.anchors),
            "checkov": list(checkov_ids(rule.anchors)),
            "levels": rule.levels.as_dict(),
            "resource_types": sorted(rule.resource_types) if isinstance(rule, ResourceRule) else [],
        }
        for rule in RULES
    ]


@app.command("list")
def list_rules(
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as a JSON array.")] = False,
) -> None:
    """Print every rule: id, severity, enforcement per environment, the checkov checks it mirrors, its other anchors."""
    rows = rule_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"Modelyard policy pack ({len(rows)} rules)", caption="Descriptions: --json")
    table.add_column("ID", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    for environment in ENVIRONMENTS:
        table.add_column(environment, no_wrap=True)
    table.add_column("checkov", overflow="fold")
    table.add_column("Other anchors", overflow="fold")
    for row in rows:
        levels = [f"[{_LEVEL_STYLE[level]}]{level}[/]" for level in row["levels"].values()]
        others = [anchor for anchor in row["anchors"] if anchor not in row["checkov"]]
        table.add_row(
            row["id"], row["severity"], *levels, ", ".join(row["checkov"]) or "-", ", ".join(others)
        )
    console.print(table)


@app.command("config")
def print_config(
    environment: Annotated[str, typer.Argument(help="dev, staging or prod.")],
    write: Annotated[
        bool, typer.Option("--write", help="Write policies/config.<environment>.json instead of printing.")
    ] = False,
) -> None:
    """The `--policy-pack-config` file for an environment: every rule's enforcement level."""
    if environment not in ENVIRONMENTS:
        errors.print(
            f"[red]unknown environment {environment!r}[/red]: expected one of {', '.join(ENVIRONMENTS)}"
        )
        raise typer.Exit(2)
    if write:
        path = config_path(environment)
        path.write_text(render(environment))
        console.print(f"wrote {path}")
        return
    typer.echo(render(environment), nl=False)
