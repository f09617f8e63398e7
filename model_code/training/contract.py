"""The SageMaker training contract: SM_* paths or CLI flags, typed hyperparameters, staging, failure file."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from modelyard.catalog.errors import ExitCode, InputError
from modelyard.model_code.datasets import DatasetError
from modelyard.model_code.training.distributed import DistributedSetupError
from modelyard.model_code.training.onnx_export import ExportParityError

DEFAULT_INPUT_CONFIG_DIR = "/opt/ml/input/config"
DEFAULT_FAILURE_FILE = "/opt/ml/output/failure"
# (CLI flag, environment variable, SageMaker's fixed default path)
PATH_SOURCES = {
    "model_dir": ("--model-dir", "SM_MODEL_DIR", "/opt/ml/model"),
    "train": ("--train", "SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"),
    "validation": ("--validation", "SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"),
    "output_data_dir": ("--output-data-dir", "SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"),
}
# Keys SageMaker itself adds: the Python SDK's framework estimators (sagemaker_program, ...) and
# automatic model tuning (_tuning_objective_metric).
SAGEMAKER_RESERVED_PREFIXES = ("sagemaker_", "_tuning_")
Hyperparameters = TypeVar("Hyperparameters")


class HyperparameterError(InputError, ValueError):
    """One or more hyperparameters are unknown or invalid; the message lists each with its name and value."""


@dataclasses.dataclass(frozen=True)
class TrainingJobSpec:
    """Where a training run reads and writes, and its raw (string or native) hyperparameters."""

    model_dir: Path
    train: Path
    validation: Path
    output_data_dir: Path
    hyperparameters: dict[str, Any]


def hyperparameter(
    default: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    choices: Sequence[str] | None = None,
) -> Any:
    """A hyperparameter dataclass field with bounds: minimum/maximum inclusive, above/below exclusive."""
    return dataclasses.field(
        default=default,
        metadata={"minimum": minimum, "maximum": maximum, "above": above, "below": below, "choices": choices},
    )


def parse_hyperparameters(schema: type[Hyperparameters], raw: Mapping[str, Any]) -> Hyperparameters:
    """Typed, range-checked hyperparameters from SageMaker's all-string values, CLI strings or native values.

    Raises HyperparameterError listing every unknown or invalid key at once.
    """
    fields = {field.name: field for field in dataclasses.fields(schema)}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name.startswith(SAGEMAKER_RESERVED_PREFIXES):
            continue
        if name not in fields:
            problems.append(f"{key}: unknown hyperparameter (known: {', '.join(sorted(fields))})")
            continue
        try:
            values[name] = _coerce(value, fields[name])
        except ValueError as error:
            problems.append(f"{key}={value!r}: {error}")
    if problems:
        raise HyperparameterError("invalid hyperparameters:\n  " + "\n  ".join(problems))
    return schema(**values)


def _coerce(value: Any, field: dataclasses.Field) -> Any:
    kind = type(field.default)
    if isinstance(value, str):
        text = value.strip()
        # The SageMaker SDK JSON-encodes each value, so a string arrives as '"bf16"'.
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = json.loads(text)
        value = text
    if kind is bool:
        if isinstance(value, bool):
            parsed: Any = value
        elif str(value).lower() in ("true", "1", "yes"):
            parsed = True
        elif str(value).lower() in ("false", "0", "no"):
            parsed = False
        else:
            raise ValueError("expected true or false")
    elif kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("expected an integer")
        try:
            parsed = int(value)
        except (TypeError, ValueError):
            raise ValueError("expected an integer") from None
    elif kind is float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            parsed = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a number") from None
        if not math.isfinite(parsed):
            raise ValueError("expected a finite number")
    else:
        parsed = str(value)
    bounds = field.metadata
    if bounds.get("choices") is not None and parsed not in bounds["choices"]:
        raise ValueError(f"expected one of {list(bounds['choices'])}")
    if bounds.get("minimum") is not None and parsed < bounds["minimum"]:
        raise ValueError(f"must be >= {bounds['minimum']}")
    if bounds.get("maximum") is not None and parsed > bounds["maximum"]:
        raise ValueError(f"must be <= {bounds['maximum']}")
    if bounds.get("above") is not None and parsed <= bounds["above"]:
        raise ValueError(f"must be > {bounds['above']}")
    if bounds.get("below") is not None and parsed >= bounds["below"]:
        raise ValueError(f"must be < {bounds['below']}")
    return parsed


def resolve_job_spec(
    schema: type, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> TrainingJobSpec:
    """Paths: CLI flag > SM_* env var > SageMaker default. Hyperparameters: CLI flag > hyperparameters.json
    (in $SM_INPUT_CONFIG_DIR, default /opt/ml/input/config) > the schema's defaults."""
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        description=(schema.__doc__ or "").strip(),
        epilog="SageMaker runs the image with the argument `train`; it is ignored.",
    )
    for name, (flag, variable, default) in PATH_SOURCES.items():
        parser.add_argument(flag, dest=name, type=Path, help=f"default: ${variable}, else {default}")
    for field in dataclasses.fields(schema):
        # Dashed and underscored spellings; dict.fromkeys keeps one when they coincide.
        flags = dict.fromkeys([f"--{field.name.replace('_', '-')}", f"--{field.name}"])
        parser.add_argument(
            *flags,
            dest=f"hp_{field.name}",
            metavar="VALUE",
            help=f"hyperparameter (default {field.default})",
        )
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["train"]:
        arguments = arguments[1:]
    args = parser.parse_args(arguments)

    config_dir = Path(environ.get("SM_INPUT_CONFIG_DIR", DEFAULT_INPUT_CONFIG_DIR))
    hyperparameters: dict[str, Any] = {}
    hyperparameters_file = config_dir / "hyperparameters.json"
    if hyperparameters_file.is_file():
        try:
            loaded = json.loads(hyperparameters_file.read_text())
        except json.JSONDecodeError as error:
            raise HyperparameterError(f"{hyperparameters_file} is not valid JSON: {error}") from None
        if not isinstance(loaded, dict):
            raise HyperparameterError(
                f"{hyperparameters_file} must hold a JSON object, not {type(loaded).__name__}"
            )
        hyperparameters.update(loaded)
    for field in dataclasses.fields(schema):
        value = getattr(args, f"hp_{field.name}")
        if value is not None:
            hyperparameters[field.name] = value

    paths = {
        name: getattr(args, name) or Path(environ.get(variable, default))
        for name, (_flag, variable, default) in PATH_SOURCES.items()
    }
    return TrainingJobSpec(hyperparameters=hyperparameters, **paths)


@contextmanager
def staged_model_dir(model_dir: Path) -> Iterator[Path]:
    """An empty folder whose files move into model_dir only when the block succeeds, so a failed run
    never leaves a half-written model behind."""
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = model_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        for file in sorted(staging.iterdir()):
            os.replace(file, model_dir / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_entry_point(train: Callable[..., dict], schema: type, argv: Sequence[str] | None = None) -> int:
    """Run `train` under the SageMaker contract; on failure print the reason, write it where SageMaker
    shows it (/opt/ml/output/failure, when that folder exists) and return a non-zero exit code."""
    try:
        spec = resolve_job_spec(schema, argv)
        train(spec.train, spec.validation, spec.model_dir, spec.output_data_dir, spec.hyperparameters)
    except (HyperparameterError, DatasetError, ExportParityError, DistributedSetupError) as error:
        reason = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - SageMaker shows only the failure file; it must carry the traceback
        reason = traceback.format_exc()
    else:
        return 0
    print(reason, file=sys.stderr)
    failure_file = Path(DEFAULT_FAILURE_FILE)
    if failure_file.parent.is_dir():
        failure_file.write_text(reason[-1024 * 1024 :])
    return ExitCode.FAILED
