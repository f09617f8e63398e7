"""`local-cloud up|status|down`: a detached moto process on 127.0.0.1, seeded from stack outputs, with MLflow."""

import json
import os
from pathlib import Path

import pytest
from stack_fixture import dev_outputs
from typer.testing import CliRunner

from modelyard.cli.local_cloud import local_cloud_app
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.local_cloud import down, status, up


@pytest.fixture
def cloud_root(tmp_path):
    root = tmp_path / "local-cloud"
    yield root
    down("dev", root)


def test_up_seeds_resources_and_down_stops_the_process(cloud_root, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    state = up("dev", cloud_root, outputs=dev_outputs())
    assert state.endpoint_url.startswith("http://127.0.0.1:")
    assert json.loads((cloud_root / "dev" / "state.json").read_text())["pid"] == state.pid
    assert up("dev", cloud_root, outputs=dev_outputs()).pid == state.pid, "a second up must find the running cloud"

    seeded = json.loads(Path(state.outputs_file).read_text())
    clients = AwsClients(state.region, state.endpoint_url)
    assert clients.client("kms").describe_key(KeyId=seeded["data_key_arn"])["KeyMetadata"]["Enabled"]
    versioning = clients.s3.get_bucket_versioning(Bucket=seeded["data_bucket"])
    assert versioning["Status"] == "Enabled"
    rule = clients.s3.get_bucket_encryption(Bucket=seeded["artifact_bucket"])["ServerSideEncryptionConfiguration"]
    assert rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == seeded["data_key_arn"]
    role_name = seeded["sagemaker_training_role_arn"].rsplit("/", 1)[1]
    assert clients.client("iam").get_role(RoleName=role_name)["Role"]["Arn"] == seeded["sagemaker_training_role_arn"]
    repository = seeded["serving_repository_url"].split("/", 1)[1]
    described = clients.client("ecr").describe_repositories(repositoryNames=[repository])["repositories"][0]
    assert described["repositoryUri"] == seeded["serving_repository_url"]
    clients.sagemaker.describe_model_package_group(ModelPackageGroupName=seeded["model_package_group_name"])
    quotas = clients.service_quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    training = next(q for q in quotas if q["QuotaName"] == "ml.g5.xlarge for training job usage")
    assert training["Value"] >= 1
    assert state.environment()["MLFLOW_TRACKING_URI"].startswith("sqlite:///")

    result = CliRunner().invoke(local_cloud_app, ["status", "--stack", "dev", "--root", str(cloud_root), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["running"] is True

    down("dev", cloud_root)
    assert not status("dev", cloud_root).running
    assert not Path(f"/proc/{state.pid}").exists() or b"local_cloud.server" not in \
        Path(f"/proc/{state.pid}/cmdline").read_bytes()
    assert (cloud_root / "dev" / "mlflow" / "mlflow.db").is_file(), "the registry outlives the cloud"
    result = CliRunner().invoke(local_cloud_app, ["status", "--stack", "dev", "--root", str(cloud_root)])
    assert result.exit_code == 1 and "not running" in result.output
    assert os.environ.get("AWS_ENDPOINT_URL") is None
