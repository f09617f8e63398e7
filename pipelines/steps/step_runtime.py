"""What every pipeline step shares: common options, loading outputs and clients, result.json, exit codes."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from modelyard.catalog.errors import ExitCode, InputError, ModelyardError
from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.stack_outputs import StackOutputsError, load_stack_outputs

RESULT_FILE = "result.json"

OutputsFileOption = Annotated[Optional[Path], typer.Option(
    "--outputs-file", help="Stack outputs JSON (`pulumi stack output --json`, or the local cloud's outputs.json).")]
StackOption = Annotated[Optional[str], typer.Option(
    "--stack", help="Without --outputs-file: take the outputs of this stack's offline plan.")]
EndpointOption = Annotated[Optional[str], typer.Option(
    "--aws-endpoint-url", help="AWS endpoint override (default: $AWS_ENDPOINT_URL, else $LOCALSTACK_ENDPOINT).")]
ResultDirOption = Annotated[Path, typer.Option(
    "--result-dir", help="Folder that receives result.json (and the step's reports).")]


class StepFailed(ModelyardError):
    """The step ran and its check failed (validation, gate, smoke test); `result` says what was found."""

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
    from modelyard.pipelines.s3_objects import S3UriError

    return StackOutputsError, StepInputError, S3UriError, DatasetError, DatasetSourceError, FileNotFoundError


def _failures() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from modelyard.pipelines.quota import QuotaError

    return QuotaError, ClientError, BotoCoreError


def run_step(step: str, outputs_file: Path | None, stack: str | None, endpoint_url: str | None,
             result_dir: Path, body: Callable[[StepContext], dict[str, Any]]) -> None:
    """Run `body`, write <result-dir>/result.json (on failure too) and exit: 0 done, 1 the step failed,
    2 bad input. The message on stderr is one readable paragraph, not a traceback."""
    started = time.perf_counter()
    try:
        outputs = load_stack_outputs(outputs_file, stack)
        context = StepContext(outputs, AwsClients.for_stack(outputs, endpoint_url), result_dir)
        result = body(context)
    except StepFailed as failure:
        _finish(step, result_dir, {**failure.result, "status": "failed", "error": str(failure)}, started,
                ExitCode.FAILED)
    except _input_errors() as error:
        _finish(step, result_dir, {"status": "error", "error": f"{type(error).__name__}: {error}"}, started,
                ExitCode.BAD_INPUT)
    except _failures() as error:
        _finish(step, result_dir, {"status": "failed", "error": f"{type(error).__name__}: {error}"}, started,
                ExitCode.FAILED)
    except Exception:  # noqa: BLE001 - a step container must always leave result.json behind
        _finish(step, result_dir, {"status": "failed", "error": traceback.format_exc()}, started, ExitCode.FAILED)
    else:
        _finish(step, result_dir, {**result, "status": result.get("status", "succeeded")}, started, ExitCode.OK)


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
