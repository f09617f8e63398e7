"""Deploy on a moto server whose endpoints are served by the real inference server: blue/green, smoke, rollback."""

import io
import json
import tarfile

import pytest

from modelyard.pipelines import s3_objects
from modelyard.pipelines.model_registry import CHAMPION
from modelyard.pipelines.steps.deploy import deploy, lambda_handler
from modelyard.pipelines.steps.step_runtime import StepFailed


def _config_of(clients, outputs) -> str:
    endpoint = clients.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert endpoint["EndpointStatus"] == "InService"
    return endpoint["EndpointConfigName"]


def _predict(clients, outputs, rows) -> list:
    response = clients.sagemaker_runtime.invoke_endpoint(
        EndpointName=outputs.endpoint_name,
        ContentType="application/json",
        Body=json.dumps({"instances": rows}),
    )
    return json.loads(response["Body"].read())["predictions"]


def test_first_deploy_creates_endpoint_serves_the_model_and_promotes_champion(
    outputs, clients, registry, deployed, demo_dataset
):
    assert (
        deployed["previous_config"] is None
        and deployed["deployed"] is True
        and deployed["outcome"] == "created"
    )
    assert _config_of(clients, outputs) == deployed["endpoint_config_name"]
    assert deployed["smoke"]["passed"] and deployed["smoke"]["accuracy"] >= 0.8
    config = clients.sagemaker.describe_endpoint_config(EndpointConfigName=deployed["endpoint_config_name"])
    variant = config["ProductionVariants"][0]
    assert variant["InstanceType"] == outputs.inference_instance_type
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == f"s3://{outputs.capture_bucket}/capture"
    model = clients.sagemaker.describe_model(ModelName=deployed["model_name"])
    assert model["PrimaryContainer"]["Image"] == f"{outputs.serving_repository_url}:latest"
    assert model["ExecutionRoleArn"] == outputs.sagemaker_execution_role_arn
    assert registry.version_by_alias(CHAMPION).version == deployed["champion_version"]
    predictions = _predict(clients, outputs, [[1.0] * 30, [2.0] * 30])
    assert len(predictions) == 2 and set(predictions[0]) >= {"label", "probabilities"}
    captured = s3_objects.list_keys(
        clients, outputs.capture_bucket, f"capture/{outputs.endpoint_name}/AllTraffic/"
    )
    assert captured, "data capture wrote no records"


def test_redeploying_the_same_model_changes_nothing(
    outputs, clients, registry, deployed, demo_dataset, demo_model
):
    again = deploy(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        smoke_test_uri=demo_dataset["test_uri"],
        registry=registry,
    )
    assert again["changed"] is False and again["deployed"] is True and again["outcome"] == "unchanged"
    assert _config_of(clients, outputs) == deployed["endpoint_config_name"]


def test_failed_smoke_test_rolls_back_to_the_previous_config(
    outputs, clients, registry, deployed, demo_dataset, inverted_model
):
    with pytest.raises(StepFailed, match="smoke test .* failed") as failure:
        deploy(
            outputs,
            clients,
            model_uri=inverted_model["model_uri"],
            smoke_test_uri=demo_dataset["test_uri"],
            registry=registry,
        )
    assert failure.value.result["rolled_back"] is True
    assert failure.value.result["outcome"] == "rolled_back_by_smoke_test"
    assert failure.value.result["smoke"]["accuracy"] < 0.5
    assert _config_of(clients, outputs) == deployed["endpoint_config_name"]
    rejected = failure.value.result["endpoint_config_name"]
    configs = [c["EndpointConfigName"] for c in clients.sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    assert rejected not in configs
    # the previous model answers again, and the champion did not change
    assert deploy(
        outputs,
        clients,
        model_uri=deployed["model_uri"],
        smoke_test_uri=demo_dataset["test_uri"],
        registry=registry,
    )["smoke"]["passed"]
    assert registry.version_by_alias(CHAMPION).version == deployed["champion_version"]


def test_unhealthy_model_leaves_the_endpoint_on_the_previous_config(
    outputs, clients, registry, deployed, demo_dataset
):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        note = b"no model.onnx in here"
        info = tarfile.TarInfo("README.txt")
        info.size = len(note)
        tar.addfile(info, io.BytesIO(note))
    broken_uri = f"s3://{outputs.artifact_bucket}/training/broken/output/model.tar.gz"
    s3_objects.put_bytes(clients, broken_uri, archive.getvalue(), outputs.data_key_arn)
    with pytest.raises(StepFailed, match="did not become healthy") as failure:
        deploy(
            outputs,
            clients,
            model_uri=broken_uri,
            smoke_test_uri=demo_dataset["test_uri"],
            registry=registry,
            wait_timeout_seconds=120,
        )
    assert failure.value.result["outcome"] == "failed"
    assert _config_of(clients, outputs) == deployed["endpoint_config_name"]
    assert len(_predict(clients, outputs, [[1.0] * 30])) == 1


def test_lambda_handler_runs_the_same_deploy(
    outputs, clients, demo_dataset, demo_model, monkeypatch, cloud_endpoint, tracking_uri
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud_endpoint)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 300_000

    result = lambda_handler(
        {
            "outputs": outputs.model_dump(),
            "model_uri": demo_model["model_uri"],
            "smoke_test_uri": demo_dataset["test_uri"],
            "data_capture_percent": 0,
        },
        Context(),
    )
    assert result["deployed"] is True
    assert _config_of(clients, outputs) == result["endpoint_config_name"]
