"""Each pipeline step's command line (`modelyard pipeline <step>`, and `python -m modelyard.pipelines.steps.<step>` in
the SageMaker job): thin Typer wrappers over the step functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from modelyard.catalog.datasets import BUNDLED_DEMO_SOURCE
from modelyard.pipelines.assignments import parse_assignments
from modelyard.pipelines.options import EndpointOption, OptionalStackOption, OutputsFileOption
from modelyard.pipelines.steps.step_runtime import (
    ResultDirOption,
    StepContext,
    StepFailed,
    StepInputError,
    run_step,
)

step_app = typer.Typer(
    help="Run one pipeline step against a stack (AWS, the local cloud, or LocalStack). The "
    "stack's outputs come from --outputs-file; with --stack alone, from the stack's running "
    "local cloud, or from its offline plan on an endpoint override: never AWS, where the "
    "plan's resources do not exist.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

HyperparameterOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--hyperparameter", "-H", help="KEY=VALUE, repeatable (passed to the entry point as SageMaker would)."
    ),
]


def _hyperparameters(pairs: list[str] | None) -> dict[str, str]:
    try:
        return parse_assignments(pairs, "--hyperparameter")
    except ValueError as error:
        raise StepInputError(str(error)) from None


def _stack_config(context: StepContext) -> Any:
    """The shipped config of the outputs' environment: defaults for thresholds and capture."""
    from modelyard.stacks.config import ConfigError, load_stack_config

    try:
        return load_stack_config(context.outputs.environment)
    except (ConfigError, OSError) as error:
        raise StepInputError(
            f"no usable stack config for environment {context.outputs.environment!r} ({error}); "
            "pass the thresholds explicitly"
        ) from None


def _json_file(path: Path, option: str) -> Any:
    if not path.is_file():
        raise StepInputError(f"{option} {path} is not a file")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise StepInputError(f"{option} {path} is not valid JSON: {error}") from None


@step_app.command("ingest")
def ingest_command(
    result_dir: ResultDirOption,
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    source: Annotated[
        str,
        typer.Option(
            help="CSV/Parquet file with `target`, an s3:// object or prefix of them, or "
            f"{BUNDLED_DEMO_SOURCE} (the bundled demo set)."
        ),
    ] = BUNDLED_DEMO_SOURCE,
    expectations: Annotated[
        Optional[Path], typer.Option(help="JSON: required_columns, columns.<name>.min/max.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split (recorded in the manifest).")] = 0,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> None:
    """Validate, split and version a dataset; upload it to the data bucket."""
    from modelyard.pipelines.steps.ingest import ingest

    def body(context: StepContext) -> dict[str, Any]:
        rules = _json_file(expectations, "--expectations") if expectations else None
        return ingest(
            context.outputs,
            context.clients,
            source=source,
            expectations=rules,
            seed=seed,
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            result_dir=context.result_dir,
        )

    run_step("ingest", outputs_file, stack, aws_endpoint_url, result_dir, body)


@step_app.command("train")
def train_command(
    result_dir: ResultDirOption,
    train_uri: Annotated[str, typer.Option(help="s3:// URI of the train split.")],
    validation_uri: Annotated[str, typer.Option(help="s3:// URI of the validation split.")],
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    platform: Annotated[
        str, typer.Option("--on", help="Where to train: local (this machine), or sagemaker (a training job).")
    ] = "local",
    framework: Annotated[str, typer.Option(help="Entry point: sklearn or torch.")] = "sklearn",
    hyperparameter: HyperparameterOption = None,
    job_name: Annotated[Optional[str], typer.Option(help="Default: derived from the inputs.")] = None,
    instance_type: Annotated[
        Optional[str], typer.Option(help="Default: the stack's training instance type.")
    ] = None,
    instance_count: Annotated[Optional[int], typer.Option(help="Default: the stack's count.")] = None,
    image_tag: str = "latest",
    run_locally: Annotated[
        Optional[bool],
        typer.Option(
            "--run-locally/--no-run-locally",
            help="--on sagemaker: also run the entry point here (default: when an endpoint override is set).",
        ),
    ] = None,
) -> None:
    """Train a model; model.tar.gz goes to <training output path>/<job>/output/."""
    from modelyard.pipelines.steps.train import train

    def body(context: StepContext) -> dict[str, Any]:
        return train(
            context.outputs,
            context.clients,
            train_uri=train_uri,
            validation_uri=validation_uri,
            platform=platform,
            framework=framework,
            hyperparameters=_hyperparameters(hyperparameter),
            job_name=job_name,
            instance_type=instance_type,
            instance_count=instance_count,
            image_tag=image_tag,
            run_locally=run_locally,
        )

    run_step("train", outputs_file, stack, aws_endpoint_url, result_dir, body)


@step_app.command("evaluate")
def evaluate_command(
    result_dir: ResultDirOption,
    model_uri: Annotated[str, typer.Option(help="s3:// URI of model.tar.gz.")],
    test_uri: Annotated[str, typer.Option(help="s3:// URI of the test split.")],
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    min_accuracy: Annotated[Optional[float], typer.Option(help="Default: the stack config's.")] = None,
    min_auc: Annotated[Optional[float], typer.Option(help="Default: the stack config's.")] = None,
    max_regression: Annotated[Optional[float], typer.Option(help="Default: the stack config's.")] = None,
    fail_on_gate: Annotated[
        bool,
        typer.Option(
            "--fail-on-gate/--no-fail-on-gate",
            help="Exit 1 when the gate fails (off: a Condition step decides).",
        ),
    ] = True,
) -> None:
    """Evaluate on the test split and gate against thresholds and the champion."""
    from modelyard.pipelines.steps.evaluate import evaluate

    def body(context: StepContext) -> dict[str, Any]:
        thresholds = {"min_accuracy": min_accuracy, "min_auc": min_auc, "max_regression": max_regression}
        if None in thresholds.values():
            pipeline = _stack_config(context).pipeline
            thresholds = {
                name: getattr(pipeline, name) if value is None else value
                for name, value in thresholds.items()
            }
        result = evaluate(
            context.outputs, context.clients, model_uri=model_uri, test_uri=test_uri, **thresholds
        )
        if fail_on_gate and not result["passed"]:
            raise StepFailed("the evaluation gate failed: " + "; ".join(result["reasons"]), result)
        return result

    run_step("evaluate", outputs_file, stack, aws_endpoint_url, result_dir, body)


@step_app.command("register")
def register_command(
    result_dir: ResultDirOption,
    evaluation_file: Annotated[Path, typer.Option(help="The evaluate step's result.json.")],
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    data_version: Annotated[str, typer.Option(help="Recorded on the model version.")] = "",
    promote: Annotated[
        bool, typer.Option(help="Make the version `champion` now (default: deploy does).")
    ] = False,
    image_tag: str = "latest",
) -> None:
    """Register the evaluated model in MLflow and as a SageMaker model package."""
    from modelyard.pipelines.steps.register import register

    def body(context: StepContext) -> dict[str, Any]:
        return register(
            context.outputs,
            context.clients,
            evaluation=_json_file(evaluation_file, "--evaluation-file"),
            data_version=data_version,
            promote=promote,
            image_tag=image_tag,
        )

    run_step("register", outputs_file, stack, aws_endpoint_url, result_dir, body)


@step_app.command("deploy")
def deploy_command(
    result_dir: ResultDirOption,
    model_uri: Annotated[str, typer.Option(help="s3:// URI of model.tar.gz.")],
    smoke_test_uri: Annotated[str, typer.Option(help="s3:// CSV with `target` for the smoke test.")],
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    model_version: Annotated[
        Optional[str], typer.Option(help="MLflow version promoted to champion on success.")
    ] = None,
    image_tag: str = "latest",
    instance_type: Annotated[Optional[str], typer.Option(help="Default: the stack's inference type.")] = None,
    instance_count: int = 1,
    data_capture_percent: Annotated[Optional[int], typer.Option(help="Default: the stack config's.")] = None,
    smoke_rows: int = 20,
    smoke_min_accuracy: float = 0.8,
    wait_timeout: Annotated[float, typer.Option(help="Seconds to wait for InService.")] = 900,
) -> None:
    """Blue/green deploy to the stack's endpoint with smoke test and rollback."""
    from modelyard.pipelines.steps.deploy import deploy

    def body(context: StepContext) -> dict[str, Any]:
        capture = data_capture_percent
        if capture is None:
            capture = _stack_config(context).inference.data_capture_percent
        return deploy(
            context.outputs,
            context.clients,
            model_uri=model_uri,
            smoke_test_uri=smoke_test_uri,
            model_version=model_version,
            image_tag=image_tag,
            instance_type=instance_type,
            instance_count=instance_count,
            data_capture_percent=capture,
            smoke_rows=smoke_rows,
            smoke_min_accuracy=smoke_min_accuracy,
            wait_timeout_seconds=wait_timeout,
        )

    run_step("deploy", outputs_file, stack, aws_endpoint_url, result_dir, body)


@step_app.command("monitor")
def monitor_command(
    result_dir: ResultDirOption,
    baseline_uri: Annotated[str, typer.Option(help="s3:// URI of the ingest step's baseline.json.")],
    outputs_file: OutputsFileOption = None,
    stack: OptionalStackOption = None,
    aws_endpoint_url: EndpointOption = None,
    current: Annotated[
        Optional[str],
        typer.Option(
            help="CSV/Parquet path or s3:// object/prefix of production inputs (default: the endpoint's data "
            "capture)."
        ),
    ] = None,
    psi_threshold: Annotated[Optional[float], typer.Option(help="Default: the stack config's.")] = None,
    trigger_retrain: Annotated[
        bool,
        typer.Option(
            help="On drift, execute the stack's compiled pipeline: locally on an emulator, on SageMaker on AWS."
        ),
    ] = False,
    retrain_source: Annotated[
        Optional[str],
        typer.Option(
            help="Labelled data the retrain ingests (its InputDataUri): an s3:// object or prefix, or on an emulator "
            "also a file. Default: --current when given, else the definition's default."
        ),
    ] = None,
    hyperparameter: HyperparameterOption = None,
) -> None:
    """Drift report (JSON + PNG), CloudWatch MaxFeaturePSI, optional retrain through the pipeline definition."""
    from modelyard.pipelines.retrain import retrain_with_pipeline
    from modelyard.pipelines.steps.monitor import monitor
    from modelyard.stacks.pipeline_settings import pipeline_settings

    def body(context: StepContext) -> dict[str, Any]:
        needs_config = psi_threshold is None or trigger_retrain
        config = _stack_config(context) if needs_config else None
        threshold = psi_threshold if psi_threshold is not None else config.pipeline.drift_psi_threshold
        source = retrain_source or current
        parameters = {}
        if source is not None:
            if not source.startswith("s3://"):
                if not context.clients.is_emulated:
                    raise StepInputError(
                        f"--retrain-source {source}: a retrain on SageMaker reads its data from "
                        "S3; pass an s3:// URI"
                    )
                source = str(Path(source).resolve())
            parameters["InputDataUri"] = source
        hyperparameters = _hyperparameters(hyperparameter)

        def retrain() -> dict[str, Any]:
            overrides = {"hyperparameters": hyperparameters} if hyperparameters else {}
            settings = pipeline_settings(config, context.outputs, **overrides)
            return retrain_with_pipeline(context.outputs, context.clients, settings, parameters=parameters)

        return monitor(
            context.outputs,
            context.clients,
            baseline_uri=baseline_uri,
            psi_threshold=threshold,
            result_dir=context.result_dir,
            current=current,
            trigger_retrain=trigger_retrain,
            retrain=retrain,
        )

    run_step("monitor", outputs_file, stack, aws_endpoint_url, result_dir, body)
