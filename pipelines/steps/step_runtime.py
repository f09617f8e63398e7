"""What every pipeline step shares: the --result-dir option, loading outputs and clients, result.json, exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from modelyard.catalog.errors import ExitCode, InputError, ModelyardError
from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.stack_outputs import StackOutputsError, load_stack_outputs

RESULT_FILE = "result.json"

ResultDirOption = Annotated[
    Path, typer.Option("--result-dir", help="Folder that receives result.json (and the step's reports).")
]


class StepFailed(ModelyardError):
    """A step ran and failed: its check (validation, gate, smoke test), its job, or a definition step the local
    executor could not complete; the message is the failure reason, `result` says what was found."""

    def __init__(self, message: str, result: dict[str, Any] | None = None):
        super().__init__(message)
        self.result = result or {}


class StepInputError(InputError, ValueError):
    """A step argument is unusable (a missing file, a malformed URI, a contradictory option)."""


@dataclass(frozen=True)
class StepContext:
    outputs: StackOutputs
    clients: AwsClients
    result_dir: Path


def write_result(result_dir: Path, result: dict[str, Any]) -> Path:
    result_dir.mkdir(parents=True, exist_ok=True)
    path = result_dir / RESULT_FILE
    path.write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    return path


def _input_errors() -> tuple[type[BaseException], ...]:
    from modelyard.model_code.datasets import DatasetError
    from modelyard.pipelines.dataset_source import DatasetSourceError
    from modelyard.pipelines.local_cloud.lifecycle import LocalCloudError
    from modelyard.pipelines.s3_objects import S3UriError

    return (
        StackOutputsError,
        StepInputError,
        S3UriError,
        DatasetError,
        DatasetSourceError,
        LocalCloudError,
        FileNotFoundError,
    )


def _failures() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from modelyard.pipelines.quota import QuotaError

    return QuotaError, ClientError, BotoCoreError


def run_step(
    step: str,
    outputs_file: Path | None,
    stack: str | None,
    endpoint_url: str | None,
    result_dir: Path,
    body: Callable[[StepContext], dict[str, Any]],
) -> None:
    """Run `body`, write <result-dir>/result.json (on failure too) and exit: 0 done, 1 the step failed,
    2 bad input. The message on stderr is one readable paragraph, not a traceback."""
    started = time.perf_counter()
    try:
        context, environment = _context(outputs_file, stack, endpoint_url, result_dir)
        with _environment(environment):
            result = body(context)
    except StepFailed as failure:
        _finish(
            step,
            result_dir,
            {**failure.result, "status": "failed", "error": str(failure)},
            started,
            ExitCode.FAILED,
        )
    except _input_errors() as error:
        _finish(
            step,
            result_dir,
            {"status": "error", "error": f"{type(error).__name__}: {error}"},
            started,
            ExitCode.BAD_INPUT,
        )
    except _failures() as error:
        _finish(
            step,
            result_dir,
            {"status": "failed", "error": f"{type(error).__name__}: {error}"},
            started,
            ExitCode.FAILED,
        )
    except Exception:  # noqa: BLE001 - a step container must always leave result.json behind
        _finish(
            step, result_dir, {"status": "failed", "error": traceback.format_exc()}, started, ExitCode.FAILED
        )
    else:
        _finish(
            step, result_dir, {**result, "status": result.get("status", "succeeded")}, started, ExitCode.OK
        )


def _context(
    outputs_file: Path | None, stack: str | None, endpoint_url: str | None, result_dir: Path
) -> tuple[StepContext, dict[str, str]]:
    """The step's outputs and clients, and the variables its work needs (MLflow's URI for the local cloud).
    With --stack alone the outputs are the offline plan's: made-up names that exist only in an emulator, so the
    step goes to the stack's running local cloud (as `pipeline run` does) or to the endpoint override, and
    refuses rather than send the plan's names to AWS."""
    if outputs_file is not None or stack is None:
        outputs = load_stack_outputs(outputs_file, stack)
        return StepContext(outputs, AwsClients.for_stack(outputs, endpoint_url), result_dir), {}
    from modelyard.pipelines.aws_clients import resolve_endpoint_url
    from modelyard.pipelines.definition.target import resolve_target
    from modelyard.pipelines.local_cloud.lifecycle import status

    if resolve_endpoint_url(endpoint_url) is None and not status(stack).running:
        raise StepInputError(
            f"--stack {stack} without --outputs-file means the offline plan's outputs, whose resources exist only "
            f"in an emulator, and no local cloud of {stack!r} is running (no endpoint override is set either). "
            f"Run `modelyard local-cloud up --stack {stack}`, pass --aws-endpoint-url, or pass --outputs-file "
            "with a deployed stack's outputs (`pulumi stack output --json --show-secrets`)."
        )
    target = resolve_target(stack, None, endpoint_url, "plan")
    clients = AwsClients(target.outputs.region, target.endpoint_url)
    return StepContext(target.outputs, clients, result_dir), target.environment


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` set for the step's work (as the `local-cloud up` exports would), the previous values after."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _finish(step: str, result_dir: Path, result: dict[str, Any], started: float, code: int) -> None:
    result = {**result, "step": step, "duration_seconds": round(time.perf_counter() - started, 3)}
    path = write_result(result_dir, result)
    if code == ExitCode.OK:
        typer.echo(json.dumps(result, indent=2, sort_keys=True, default=str))
    else:
        typer.echo(f"{step} {result['status']}: {result['error']}\n(result: {path})", err=True)
    raise typer.Exit(code)


def run_module(step: str) -> None:
    """`python -m modelyard.pipelines.steps.<step> ARGS`: the same command as `modelyard pipeline <step> ARGS`."""
    from modelyard.pipelines.steps.commands import step_app

    command = typer.main.get_command(step_app).commands[step]
    command.main(args=sys.argv[1:], prog_name=f"python -m modelyard.pipelines.steps.{step}")
