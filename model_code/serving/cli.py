"""`modelyard serve`: run the inference server on a model directory (the Typer command function)."""

from __future__ import annotations

from pathlib import Path

import typer

from .listen_socket import PortUnavailableError
from .settings import BACKENDS, LOG_LEVELS, ServerSettings


def serve(
    model_dir: Path = typer.Option(
        ...,
        "--model-dir",
        exists=True,
        file_okay=False,
        help="Folder holding model.onnx (SageMaker: /opt/ml/model).",
    ),
    port: int = typer.Option(8080, help="TCP port; 0 picks a free one (see --port-file)."),
    host: str = typer.Option(
        "127.0.0.1", help="Address to bind; 0.0.0.0 exposes the server beyond this host."
    ),
    workers: int | None = typer.Option(
        None, help="Worker processes (default: one per usable CPU core, cgroup-aware)."
    ),
    max_payload_bytes: int = typer.Option(6 * 1024 * 1024, help="Largest request body; larger gets 413."),
    max_batch_rows: int = typer.Option(256, help="Rows per model call at most when micro-batching."),
    batch_wait_us: int = typer.Option(0, help="Extra wait for more requests under load (0: none)."),
    backend: str = typer.Option("auto", help=f"One of: {', '.join(BACKENDS)}."),
    keep_alive_timeout: float = typer.Option(60.0, help="Seconds an idle connection is kept open."),
    request_timeout: float = typer.Option(60.0, help="Seconds a request may take to arrive before 408."),
    shutdown_timeout: float = typer.Option(30.0, help="Seconds in-flight requests get after SIGTERM."),
    access_log: bool = typer.Option(False, help="Log one JSON line per request (slower)."),
    log_level: str = typer.Option("info", help=f"One of: {', '.join(LOG_LEVELS)}."),
    port_file: Path | None = typer.Option(None, help="Write the bound port to this file once listening."),
) -> None:
    """Serve a model with the SageMaker contract: GET /ping, POST /invocations, GET /metrics."""
    try:
        settings = ServerSettings(
            model_dir=model_dir,
            host=host,
            port=port,
            workers=workers,
            max_payload_bytes=max_payload_bytes,
            max_batch_rows=max_batch_rows,
            batch_wait_us=batch_wait_us,
            backend=backend,
            keep_alive_timeout_s=keep_alive_timeout,
            request_timeout_s=request_timeout,
            shutdown_timeout_s=shutdown_timeout,
            access_log=access_log,
            log_level=log_level,
            port_file=port_file,
        )
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    # Imported here: the server's event loop, parser and codecs need not load for the rest of the CLI.
    from .workers import run_server

    try:
        code = run_server(settings)
    except PortUnavailableError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)
