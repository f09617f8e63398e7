"""Runs a stack's compiled pipeline definition through the local executor (`modelyard pipeline run`, `make demo`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.local_executor import ExecutionResult, LocalExecutor, StepRecord
from modelyard.pipelines.definition.sagemaker_pipeline import publish_stack_outputs
from modelyard.pipelines.definition.start_parameters import start_parameters
from modelyard.pipelines.iam_check.local_check import LocalIamCheck
from modelyard.pipelines.iam_check.role_policies import RolePolicies
from modelyard.workflow.compiler import DEPLOY_HANDLER, compile_definition, stack_outputs_uri
from modelyard.workflow.settings import PipelineSettings

# Where local executions keep their steps' work folders and logs, one folder per stack.
DEFAULT_RUNS_DIR = Path(".modelyard") / "pipeline-runs"


def run_pipeline_locally(
    outputs: StackOutputs,
    settings: PipelineSettings,
    *,
    clients: AwsClients,
    environment: Mapping[str, str],
    work_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
    role_policies: RolePolicies | None = None,
) -> ExecutionResult:
    """Compile the definition for `outputs`, publish the outputs the steps read, and execute every step as a
    local process whose AWS calls go where `environment` points (the local cloud's endpoint and MLflow).

    With `role_policies` (the stack plan's, `role_policies_for_stack`), every call is authorized against the
    calling step's role (see LocalExecutor) and the result carries the IAM report."""
    definition = compile_definition(outputs, settings)
    start_parameters(definition, settings, parameters or {})
    publish_stack_outputs(clients.s3, outputs, stack_outputs_uri(outputs, settings.pipeline_name))
    iam_check = None
    if role_policies is not None:
        iam_check = LocalIamCheck(
            role_policies, Path(work_dir), outputs.mlflow_tracking_uri, planned_arns(clients, outputs)
        )
    executor = LocalExecutor(
        definition,
        s3=clients.s3,
        sagemaker=clients.sagemaker,
        work_dir=work_dir,
        environment=environment,
        lambda_handlers={outputs.deploy_function_name: DEPLOY_HANDLER},
        on_step=on_step,
        iam_check=iam_check,
    )
    return executor.run(
        pipeline_name=settings.pipeline_name, role_arn=outputs.pipeline_role_arn, parameters=parameters
    )


def planned_arns(clients: AwsClients, outputs: StackOutputs) -> dict[str, str]:
    """ARNs the local cloud issued -> the plan's: its KMS key carries the planned key's ARN as a tag (seeding)."""
    from modelyard.pipelines.local_cloud.seeding import STACK_KEY_TAG

    tags = clients.client("kms").list_resource_tags(KeyId=outputs.data_key_arn).get("Tags", [])
    planned = {tag["TagKey"]: tag["TagValue"] for tag in tags}.get(STACK_KEY_TAG)
    return {outputs.data_key_arn: planned} if planned and planned != outputs.data_key_arn else {}
