"""The retrain path the monitor triggers: the stack's compiled pipeline definition (the one users deploy), run by
the local executor on an emulator, or started as an execution of the stack's SageMaker Pipeline on AWS."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients, endpoint_environment
from modelyard.pipelines.definition.local_executor import SUCCEEDED, DefinitionError
from modelyard.pipelines.definition.local_run import DEFAULT_RUNS_DIR, run_pipeline_locally
from modelyard.pipelines.definition.sagemaker_pipeline import start_pipeline
from modelyard.pipelines.definition.start_parameters import start_parameters
from modelyard.pipelines.steps.step_runtime import StepFailed, StepInputError
from modelyard.workflow.compiler import compile_definition
from modelyard.workflow.settings import PipelineSettings


def retrain_with_pipeline(
    outputs: StackOutputs,
    clients: AwsClients,
    settings: PipelineSettings,
    *,
    parameters: Mapping[str, Any] | None = None,
    work_dir: Path | None = None,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Execute the compiled definition with `parameters` (e.g. {"InputDataUri": "s3://.../landed/"}).

    With an endpoint override (the local cloud, LocalStack) the local executor runs every step here, in
    `work_dir` (default .modelyard/pipeline-runs/<environment>), with `environment` added to the steps' own, and
    the result is the finished execution; a failed execution (the gate included) raises StepFailed carrying it.
    On AWS the execution is started as `modelyard pipeline start` starts it and runs on SageMaker; the result
    names it. Unknown or mistyped parameters raise StepInputError before anything runs.
    """
    parameters = dict(parameters or {})
    definition = compile_definition(outputs, settings)
    try:
        start_parameters(definition, settings, parameters)
    except DefinitionError as error:
        raise StepInputError(f"retrain: {error}") from None
    if not clients.is_emulated:
        pipeline_arn, execution_arn = start_pipeline(
            clients, outputs, settings.pipeline_name, definition, parameters
        )
        return {
            "executor": "sagemaker",
            "pipeline_arn": pipeline_arn,
            "execution_arn": execution_arn,
            "parameters": parameters,
        }
    result = run_pipeline_locally(
        outputs,
        settings,
        clients=clients,
        environment={**endpoint_environment(clients.endpoint_url, outputs.region), **(environment or {})},
        work_dir=(work_dir or DEFAULT_RUNS_DIR / outputs.environment).resolve(),
        parameters=parameters,
    )
    execution = {"executor": "local", **result.to_json()}
    if result.status != SUCCEEDED:
        raise StepFailed(
            f"retrain execution {result.execution_id} of {result.pipeline_name} failed: "
            f"{result.failure_reason}",
            execution,
        )
    return execution
