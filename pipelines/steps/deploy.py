"""Step 5, deploy: a new endpoint config per model, blue/green update, smoke test, rollback to the previous config.

The update keeps the endpoint's own deployment configuration (`RetainDeploymentConfig`): the canary or linear
traffic shifting, bake time and CloudWatch rollback alarms the stack set on the endpoint (components/inference.py)
govern every pipeline deployment, so SageMaker itself rolls back when an alarm fires while traffic shifts
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html). The smoke test is a second
gate after SageMaker's; failing it rolls back to the previous config the same way.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import numpy as np

from modelyard.catalog.outputs import StackOutputs
from modelyard.model_code.datasets import TARGET_COLUMN
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.model_registry import MlflowRegistryClient
from modelyard.pipelines.quota import check_gpu_quota
from modelyard.pipelines.steps.ingest import read_csv_uri
from modelyard.pipelines.steps.step_runtime import StepFailed, run_module

TRANSITIONAL_STATES = ("Creating", "Updating", "SystemUpdating", "RollingBack")
VARIANT_NAME = "AllTraffic"
# Polls start fast (a local endpoint is ready in seconds) and back off to SageMaker-friendly intervals.
FIRST_POLL_SECONDS, MAX_POLL_SECONDS = 0.25, 15.0
# A Lambda invocation ends at 15 minutes; leave time to roll back and answer.
LAMBDA_SAFETY_SECONDS = 90
# What a deploy ended in (the result's "outcome").
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ROLLED_BACK_BY_ALARM, ROLLED_BACK_BY_SMOKE_TEST, FAILED = (
    "rolled_back_by_alarm",
    "rolled_back_by_smoke_test",
    "failed",
)
# SageMaker's status while an auto-rollback alarm returns traffic to the old fleet (DescribeEndpoint).
ROLLING_BACK = "RollingBack"


def update_endpoint_request(endpoint_name: str, config_name: str) -> dict[str, Any]:
    """UpdateEndpoint that keeps the endpoint's deployment configuration (blue/green policy and rollback alarms)."""
    return {"EndpointName": endpoint_name, "EndpointConfigName": config_name, "RetainDeploymentConfig": True}


def deployment_suffix(model_uri: str) -> str:
    """The version suffix of the model and endpoint config names: a hash of the artifact's URI."""
    return hashlib.sha256(model_uri.encode()).hexdigest()[:10]


def deploy(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    model_uri: str,
    smoke_test_uri: str,
    model_version: str | None = None,
    image_tag: str = "latest",
    instance_type: str | None = None,
    instance_count: int = 1,
    data_capture_percent: int = 20,
    smoke_rows: int = 20,
    smoke_min_accuracy: float = 0.8,
    wait_timeout_seconds: float = 900,
    registry: MlflowRegistryClient | None = None,
) -> dict[str, Any]:
    """Serve `model_uri` on the stack's endpoint (created on first deploy) and smoke-test it.

    The smoke test sends `smoke_rows` rows of `smoke_test_uri` (a CSV with `target`) through invoke_endpoint and
    needs an answer per row and accuracy >= smoke_min_accuracy. When the new config is unhealthy or fails the
    smoke test, the endpoint goes back to its previous config (a first deploy deletes the endpoint), the new
    model and config are deleted, and StepFailed says why. On success the MLflow `model_version`, when given,
    becomes `champion`.
    """
    instance_type = instance_type or outputs.inference_instance_type
    quota = check_gpu_quota(clients, instance_type, instance_count, "endpoint usage")
    sagemaker = clients.sagemaker
    endpoint_name = outputs.endpoint_name
    suffix = deployment_suffix(model_uri)
    model_name = config_name = f"{endpoint_name}-{suffix}"
    previous_config = _current_config(clients, endpoint_name)
    result: dict[str, Any] = {
        "endpoint_name": endpoint_name,
        "endpoint_config_name": config_name,
        "model_name": model_name,
        "previous_config": previous_config,
        "model_uri": model_uri,
        "quota": quota,
    }
    smoke_frame = read_csv_uri(clients, smoke_test_uri).head(smoke_rows)

    if previous_config == config_name:
        smoke = smoke_test(clients, endpoint_name, smoke_frame, smoke_min_accuracy)
        if not smoke["passed"]:
            raise StepFailed(
                f"endpoint {endpoint_name} already serves {config_name} but fails its smoke test: "
                f"{smoke['reason']}",
                {**result, "smoke": smoke, "deployed": False},
            )
        _promote(outputs, registry, model_version)
        return {
            **result,
            "smoke": smoke,
            "deployed": True,
            "changed": False,
            "outcome": UNCHANGED,
            "champion_version": model_version,
        }

    created_resources = _create_model_and_config(
        outputs,
        clients,
        model_name,
        config_name,
        model_uri,
        image_tag,
        instance_type,
        instance_count,
        data_capture_percent,
    )
    if previous_config is None:
        # Only when the stack's endpoint is gone: the stack creates it with its deployment configuration.
        sagemaker.create_endpoint(
            EndpointName=endpoint_name,
            EndpointConfigName=config_name,
            Tags=[{"Key": "modelyard:environment", "Value": outputs.environment}],
        )
    else:
        sagemaker.update_endpoint(**update_endpoint_request(endpoint_name, config_name))
    statuses: list[str] = []
    endpoint = wait_until_settled(clients, endpoint_name, wait_timeout_seconds, statuses)
    outcome = settled_outcome(endpoint, statuses, config_name, previous_config)
    if outcome is not None:
        reason = endpoint.get("FailureReason") or f"status {endpoint['EndpointStatus']}"
        _roll_back(
            clients, endpoint_name, previous_config, config_name, created_resources, wait_timeout_seconds
        )
        cause = (
            "a rollback alarm fired while traffic shifted"
            if outcome == ROLLED_BACK_BY_ALARM
            else "it did not become healthy"
        )
        raise StepFailed(
            f"the new config {config_name} was not deployed: {cause} ({reason}); "
            + _rollback_note(endpoint_name, previous_config),
            {
                **result,
                "deployed": False,
                "rolled_back": True,
                "outcome": outcome,
                "health": reason,
                "statuses": statuses,
            },
        )
    smoke = smoke_test(clients, endpoint_name, smoke_frame, smoke_min_accuracy)
    if not smoke["passed"]:
        _roll_back(
            clients, endpoint_name, previous_config, config_name, created_resources, wait_timeout_seconds
        )
        raise StepFailed(
            f"the smoke test of {config_name} failed ({smoke['reason']}); "
            + _rollback_note(endpoint_name, previous_config),
            {
                **result,
                "deployed": False,
                "rolled_back": True,
                "outcome": ROLLED_BACK_BY_SMOKE_TEST,
                "smoke": smoke,
            },
        )
    _promote(outputs, registry, model_version)
    return {
        **result,
        "smoke": smoke,
        "deployed": True,
        "changed": True,
        "outcome": CREATED if previous_config is None else UPDATED,
        "champion_version": model_version,
    }


def settled_outcome(
    endpoint: dict[str, Any], statuses: list[str], new_config: str, previous_config: str | None
) -> str | None:
    """None when the endpoint serves `new_config` in service; ROLLED_BACK_BY_ALARM when SageMaker went through
    RollingBack and is back on the previous config; FAILED otherwise."""
    if endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == new_config:
        return None
    if (
        ROLLING_BACK in statuses
        and previous_config is not None
        and endpoint["EndpointConfigName"] == previous_config
    ):
        return ROLLED_BACK_BY_ALARM
    return FAILED


def _current_config(clients: AwsClients, endpoint_name: str) -> str | None:
    sagemaker = clients.sagemaker
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except sagemaker.exceptions.ClientError as error:
        if "Could not find endpoint" in str(error):
            return None
        raise
    return endpoint["EndpointConfigName"]


def _create_model_and_config(
    outputs: StackOutputs,
    clients: AwsClients,
    model_name: str,
    config_name: str,
    model_uri: str,
    image_tag: str,
    instance_type: str,
    instance_count: int,
    data_capture_percent: int,
) -> list[tuple[str, str]]:
    """Create what does not exist yet (a retried deploy reuses both); returns what this call created."""
    sagemaker = clients.sagemaker
    created = []
    try:
        sagemaker.describe_model(ModelName=model_name)
    except sagemaker.exceptions.ClientError:
        sagemaker.create_model(
            ModelName=model_name,
            ExecutionRoleArn=outputs.sagemaker_execution_role_arn,
            PrimaryContainer={
                "Image": f"{outputs.serving_repository_url}:{image_tag}",
                "ModelDataUrl": model_uri,
            },
            VpcConfig={
                "SecurityGroupIds": [outputs.inference_security_group_id],
                "Subnets": list(outputs.private_subnet_ids),
            },
        )
        created.append(("model", model_name))
    try:
        sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except sagemaker.exceptions.ClientError:
        sagemaker.create_endpoint_config(
            EndpointConfigName=config_name,
            KmsKeyId=outputs.data_key_arn,
            ProductionVariants=[
                {
                    "VariantName": VARIANT_NAME,
                    "ModelName": model_name,
                    "InstanceType": instance_type,
                    "InitialInstanceCount": instance_count,
                    "InitialVariantWeight": 1.0,
                }
            ],
            DataCaptureConfig={
                "EnableCapture": data_capture_percent > 0,
                "InitialSamplingPercentage": data_capture_percent,
                "DestinationS3Uri": f"s3://{outputs.capture_bucket}/capture",
                "KmsKeyId": outputs.data_key_arn,
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            },
        )
        created.append(("endpoint_config", config_name))
    return created


def wait_until_settled(
    clients: AwsClients, endpoint_name: str, timeout_seconds: float, statuses: list[str] | None = None
) -> dict[str, Any]:
    """Poll describe_endpoint, backing off from FIRST_POLL_SECONDS to MAX_POLL_SECONDS, until the endpoint leaves
    Creating/Updating/RollingBack or `timeout_seconds` pass; each distinct status seen is appended to `statuses`."""
    deadline = time.monotonic() + timeout_seconds
    interval = FIRST_POLL_SECONDS
    while True:
        endpoint = clients.sagemaker.describe_endpoint(EndpointName=endpoint_name)
        if statuses is not None and (not statuses or statuses[-1] != endpoint["EndpointStatus"]):
            statuses.append(endpoint["EndpointStatus"])
        if endpoint["EndpointStatus"] not in TRANSITIONAL_STATES:
            return endpoint
        if time.monotonic() > deadline:
            return {
                **endpoint,
                "FailureReason": f"still {endpoint['EndpointStatus']} after {timeout_seconds:.0f}s",
            }
        time.sleep(min(interval, max(deadline - time.monotonic(), 0.05)))
        interval = min(interval * 1.5, MAX_POLL_SECONDS)


def smoke_test(clients: AwsClients, endpoint_name: str, frame: Any, min_accuracy: float) -> dict[str, Any]:
    """Predictions for labelled rows through invoke_endpoint: one per row, accuracy >= min_accuracy."""
    features = frame.drop(columns=[TARGET_COLUMN]).to_numpy(dtype=np.float64)
    labels = frame[TARGET_COLUMN].to_numpy(dtype=np.int64)
    started = time.perf_counter()
    try:
        response = clients.sagemaker_runtime.invoke_endpoint(
            EndpointName=endpoint_name,
            ContentType="application/json",
            Accept="application/json",
            Body=json.dumps({"instances": features.tolist()}),
        )
        predictions = json.loads(response["Body"].read())["predictions"]
    except (clients.sagemaker_runtime.exceptions.ClientError, ValueError, KeyError) as error:
        return {"passed": False, "reason": f"invoke_endpoint failed: {error}", "rows": int(len(frame))}
    latency_ms = (time.perf_counter() - started) * 1000
    if len(predictions) != len(frame):
        return {
            "passed": False,
            "reason": f"{len(predictions)} predictions for {len(frame)} rows",
            "rows": int(len(frame)),
        }
    predicted = np.array(
        [item["label"] if isinstance(item, dict) else item for item in predictions], dtype=np.int64
    )
    accuracy = float(np.mean(predicted == labels))
    passed = accuracy >= min_accuracy
    return {
        "passed": passed,
        "rows": int(len(frame)),
        "accuracy": accuracy,
        "min_accuracy": min_accuracy,
        "latency_ms": round(latency_ms, 2),
        "reason": None if passed else f"accuracy {accuracy:.3f} on {len(frame)} rows is below {min_accuracy}",
    }


def _roll_back(
    clients: AwsClients,
    endpoint_name: str,
    previous_config: str | None,
    new_config: str,
    created: list[tuple[str, str]],
    timeout_seconds: float,
) -> None:
    sagemaker = clients.sagemaker
    if previous_config is None:
        sagemaker.delete_endpoint(EndpointName=endpoint_name)
    elif _current_config(clients, endpoint_name) != previous_config:
        sagemaker.update_endpoint(**update_endpoint_request(endpoint_name, previous_config))
        endpoint = wait_until_settled(clients, endpoint_name, timeout_seconds)
        if endpoint["EndpointConfigName"] != previous_config or endpoint["EndpointStatus"] != "InService":
            raise StepFailed(
                f"rolling {endpoint_name} back to {previous_config} failed: "
                f"{endpoint.get('FailureReason') or endpoint['EndpointStatus']}"
            )
    for kind, name in reversed(created):
        if kind == "endpoint_config":
            sagemaker.delete_endpoint_config(EndpointConfigName=name)
        else:
            sagemaker.delete_model(ModelName=name)


def _rollback_note(endpoint_name: str, previous_config: str | None) -> str:
    if previous_config is None:
        return f"the new endpoint {endpoint_name} was deleted"
    return f"endpoint {endpoint_name} is back on {previous_config}"


def _promote(outputs: StackOutputs, registry: MlflowRegistryClient | None, model_version: str | None) -> None:
    if model_version is not None:
        (registry or MlflowRegistryClient.for_stack(outputs)).promote(model_version)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The SageMaker Pipeline's Lambda step: the same deploy, its arguments in `event`.

    event: {"outputs": {...StackOutputs...} | "outputs_uri": "s3://...", "model_uri", "smoke_test_uri",
    optional "model_version", "image_tag", "instance_type", "instance_count", "data_capture_percent",
    "smoke_rows", "smoke_min_accuracy", "wait_timeout_seconds"}. The wait is capped to the invocation's
    remaining time. Returns the deploy result; a failed deploy raises (after its rollback), which fails the step.
    """
    from modelyard.catalog.outputs import StackOutputs as Outputs

    if "outputs" in event:
        outputs = Outputs.model_validate(event["outputs"])
    else:
        import boto3

        region = event.get("region") or boto3.Session().region_name
        outputs = Outputs.model_validate(s3_objects.get_json(AwsClients(region), event["outputs_uri"]))
    clients = AwsClients.for_stack(outputs)
    wait = float(event.get("wait_timeout_seconds", 900))
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        wait = min(wait, context.get_remaining_time_in_millis() / 1000 - LAMBDA_SAFETY_SECONDS)
    options = {
        key: event[key]
        for key in (
            "model_version",
            "image_tag",
            "instance_type",
            "instance_count",
            "data_capture_percent",
            "smoke_rows",
            "smoke_min_accuracy",
        )
        if key in event
    }
    return deploy(
        outputs,
        clients,
        model_uri=event["model_uri"],
        smoke_test_uri=event["smoke_test_uri"],
        wait_timeout_seconds=max(wait, 1.0),
        **options,
    )


if __name__ == "__main__":
    run_module("deploy")
