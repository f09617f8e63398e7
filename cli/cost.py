"""`modelyard cost`: plan a stack offline, then estimate its monthly cost from the shipped price table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from modelyard.catalog.errors import ExitCode


def cost(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name: dev, staging, prod (or any with a config file).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as one JSON object.")] = False,
    program: Annotated[
        Path | None, typer.Option(help="A Pulumi Python program folder (default: Modelyard's stacks/).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="A Pulumi.<stack>.yaml-style config file.")] = None,
) -> None:
    """Estimate a stack's monthly cost: per resource and total, with every assumption stated.

    Exit codes: 0 ok, 2 a config, program or pricing error.
    """
    from modelyard.costing import CostError
    from modelyard.costing.report import render_cost
    from modelyard.planning.assessment import estimate_plan_cost
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
    from modelyard.stacks.stack_files import StackFileError

    errors = Console(stderr=True)
    program_dir = program or DEFAULT_PROGRAM_DIR
    try:
        # What the plan does (a missing stack file, the program it runs) goes to stderr, as for `plan`.
        plan = plan_program(
            program_dir,
            stack,
            config_file=config,
            on_message=lambda message: errors.print(message, markup=False, highlight=False),
        )
        estimate = estimate_plan_cost(plan)
    except (ProgramError, StackFileError, CostError) as error:
        errors.print(
            f"[red]cost estimate failed for stack {stack!r}:[/red] {error}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    if as_json:
        sys.stdout.write(json.dumps({"stack": stack, **estimate}, indent=2) + "\n")
    else:
        render_cost(estimate, Console(), title=f"stack {stack}: estimated monthly cost")
    raise typer.Exit(ExitCode.OK)
