"""Runs a stack's compiled pipeline definition through the local executor (`modelyard pipeline run`, `make demo`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.local_executor import ExecutionResult, LocalExecutor, StepRecord
from modelyard.pipelines.definition.sagemaker_pipeline import publish_stack_outputs
from modelyard.workflow.compiler import DEPLOY_HANDLER, compile_definition, stack_outputs_uri
from modelyard.workflow.settings import PipelineSettings

# Where local executions keep their steps' work folders and logs, one folder per stack.
DEFAULT_RUNS_DIR = Path(".modelyard") / "pipeline-runs"


def run_pipeline_locally(outputs: StackOutputs, settings: PipelineSettings, *, clients: AwsClients,
                         environment: Mapping[str, str], work_dir: Path,
                         parameters: Mapping[str, Any] | None = None,
                         on_step: Callable[[StepRecord], None] | None = None) -> ExecutionResult:
    """Compile the definition for `outputs`, publish the outputs the steps read, and execute every step as a
    local process whose AWS calls go where `environment` points (the local cloud's endpoint and MLflow)."""
    definition = compile_definition(outputs, settings)
    publish_stack_outputs(clients.s3, outputs, stack_outputs_uri(outputs, settings.pipeline_name))
    executor = LocalExecutor(
        definition, s3=clients.s3, sagemaker=clients.sagemaker, work_dir=work_dir, environment=environment,
        lambda_handlers={outputs.deploy_function_name: DEPLOY_HANDLER}, on_step=on_step,
    )
    return executor.run(pipeline_name=settings.pipeline_name, role_arn=outputs.pipeline_role_arn,
                        parameters=parameters)
