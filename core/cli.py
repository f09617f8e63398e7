"""The `modelyard` command line: offline plan, cost, policies, serving, local cloud and pipelines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(help="Modelyard: an MLOps platform on AWS, planned offline and run locally or in the cloud.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
errors = Console(stderr=True)

EXIT_OK, EXIT_POLICY, EXIT_ERROR = 0, 1, 2


def _print_version(value: bool) -> None:
    if value:
        from modelyard import __version__

        console.print(f"modelyard {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Modelyard: an MLOps platform on AWS, planned offline and run locally or in the cloud."""


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: dev, staging, prod (or any with a config file).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the tree.")] = False,
    program: Annotated[Optional[Path], typer.Option(help="A Pulumi Python program folder (default: Modelyard's stacks/).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="A Pulumi.<stack>.yaml-style config file.")] = None,
    outputs: Annotated[Optional[Path], typer.Option(help="Also write the stack outputs (secrets included) to this file, mode 0600.")] = None,
) -> None:
    """Run a Pulumi program offline under Pulumi's mocks: resources, outputs, policy verdicts, cost.

    Exit codes: 0 ok, 1 a mandatory policy violation, 2 a config or program error.
    """
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
    from modelyard.planning.render import render_plan
    from modelyard.planning.stack_files import StackFileError

    try:
        result = plan_program(program or DEFAULT_PROGRAM_DIR, stack, config_file=config)
    except (ProgramError, StackFileError) as error:
        errors.print(f"[red]plan failed for stack {stack!r}:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None
    if outputs:
        outputs.write_text(json.dumps(result.outputs, indent=2))
        outputs.chmod(0o600)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        render_plan(result, console)
    mandatory = [v for v in result.policy["violations"] if v["enforcement"] == "mandatory"]
    raise typer.Exit(EXIT_POLICY if mandatory else EXIT_OK)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
