"""`modelyard local-cloud up|down|status`: the embedded local cloud (moto on 127.0.0.1, endpoint hosting, MLflow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from modelyard.pipelines.options import LOCAL_CLOUD_ROOT

local_cloud_app = typer.Typer(
    help="The embedded local cloud: moto on 127.0.0.1, endpoint hosting, MLflow on sqlite.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

RootOption = Annotated[Path, typer.Option("--root", help="Folder holding <stack>/state.json.")]


@local_cloud_app.command("up")
def local_cloud_up(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack whose outputs are seeded.")] = "dev",
    outputs_file: Annotated[
        Optional[Path],
        typer.Option("--outputs-file", help="Seed from these outputs instead of the stack's offline plan."),
    ] = None,
    root: RootOption = LOCAL_CLOUD_ROOT,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
) -> None:
    """Start the local cloud (or report the running one) and seed the stack's resources."""
    from modelyard.pipelines.local_cloud import LocalCloudError, up
    from modelyard.pipelines.stack_outputs import StackOutputsError, outputs_from_file

    try:
        outputs = outputs_from_file(outputs_file) if outputs_file else None
        state = up(
            stack, root, outputs=outputs, port=port, progress=lambda message: typer.echo(message, err=True)
        )
    except (LocalCloudError, StackOutputsError) as error:
        typer.echo(f"local cloud up failed: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"local cloud of {stack!r} running at {state.endpoint_url} (pid {state.pid})")
    typer.echo(f"stack outputs: {state.outputs_file}")
    typer.echo("environment for steps:")
    for name, value in state.environment().items():
        typer.echo(f"  export {name}={value}")


@local_cloud_app.command("down")
def local_cloud_down(
    stack: Annotated[str, typer.Option("--stack", "-s")] = "dev",
    root: RootOption = LOCAL_CLOUD_ROOT,
) -> None:
    """Stop the local cloud; MLflow's database and artifacts stay under <root>/<stack>/mlflow."""
    from modelyard.pipelines.local_cloud import down

    previous = down(stack, root)
    typer.echo(
        f"local cloud of {stack!r} stopped"
        if previous.state
        else f"local cloud of {stack!r}: {previous.detail}"
    )


@local_cloud_app.command("status")
def local_cloud_status(
    stack: Annotated[str, typer.Option("--stack", "-s")] = "dev",
    root: RootOption = LOCAL_CLOUD_ROOT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the state as JSON.")] = False,
) -> None:
    """Exit 0 when the local cloud runs and answers, 1 otherwise."""
    from dataclasses import asdict

    from modelyard.pipelines.local_cloud import LocalCloudError, LocalCloudStatus, status

    try:
        current = status(stack, root)
    except LocalCloudError as error:
        current = LocalCloudStatus(False, None, str(error))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "running": current.running,
                    "detail": current.detail,
                    "state": asdict(current.state) if current.state else None,
                },
                indent=2,
            )
        )
    else:
        typer.echo(f"local cloud of {stack!r}: {current.detail}")
    raise typer.Exit(0 if current.running else 1)
