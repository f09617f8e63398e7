"""Creates or updates a SageMaker Pipeline from a compiled definition, publishes its inputs, starts executions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.s3_objects import split_s3_uri
from modelyard.workflow.compiler import stack_outputs_uri


def upsert_pipeline(
    sagemaker: Any,
    name: str,
    definition: Mapping[str, Any],
    role_arn: str,
    description: str = "Modelyard training pipeline",
) -> str:
    """Create the pipeline, or update its definition when it exists; returns its ARN."""
    body = json.dumps(definition)
    try:
        sagemaker.describe_pipeline(PipelineName=name)
    except ClientError as error:
        # AWS answers ResourceNotFound for a missing pipeline, moto ValidationException; any other problem
        # with the name resurfaces from create_pipeline with AWS's own message.
        if error.response.get("Error", {}).get("Code") not in ("ResourceNotFound", "ValidationException"):
            raise
        response = sagemaker.create_pipeline(
            PipelineName=name,
            PipelineDefinition=body,
            RoleArn=role_arn,
            PipelineDescription=description,
            ClientRequestToken=str(uuid.uuid4()),
        )
        return response["PipelineArn"]
    response = sagemaker.update_pipeline(
        PipelineName=name, PipelineDefinition=body, RoleArn=role_arn, PipelineDescription=description
    )
    return response["PipelineArn"]


def start_execution(
    sagemaker: Any, name: str, parameters: Mapping[str, Any] | None = None, display_name: str | None = None
) -> str:
    """Start an execution with parameter overrides (SageMaker takes every value as a string); returns its ARN."""
    request: dict[str, Any] = {
        "PipelineName": name,
        "PipelineParameters": [
            {"Name": key, "Value": _as_parameter_value(value)} for key, value in (parameters or {}).items()
        ],
        "ClientRequestToken": str(uuid.uuid4()),
    }
    if display_name:
        request["PipelineExecutionDisplayName"] = display_name
    return sagemaker.start_pipeline_execution(**request)["PipelineExecutionArn"]


def _as_parameter_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def publish_stack_outputs(s3: Any, outputs: StackOutputs, uri: str) -> str:
    """Put the stack outputs where the pipeline's steps read them (`--outputs-file` comes from this object)."""
    bucket, key = split_s3_uri(uri)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=outputs.model_dump_json(indent=2).encode(),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=outputs.data_key_arn,
    )
    return uri


def start_pipeline(
    clients: AwsClients,
    outputs: StackOutputs,
    pipeline_name: str,
    definition: Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """What `modelyard pipeline start` and a retrain on AWS do: publish the stack outputs the steps read, create or
    update the pipeline, start an execution. Returns (pipeline ARN, execution ARN)."""
    publish_stack_outputs(clients.s3, outputs, stack_outputs_uri(outputs, pipeline_name))
    pipeline_arn = upsert_pipeline(clients.sagemaker, pipeline_name, definition, outputs.pipeline_role_arn)
    return pipeline_arn, start_execution(clients.sagemaker, pipeline_name, parameters)
