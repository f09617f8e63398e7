"""`local-cloud up|status|down`: a detached moto process on 127.0.0.1, seeded from stack outputs, with MLflow."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stack_fixture import dev_outputs
from typer.testing import CliRunner

from modelyard.cli import app
from modelyard.cli.local_cloud import local_cloud_app
from modelyard.cli.pipeline import pipeline_app
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.local_cloud import down, status, up
from modelyard.pipelines.local_cloud.lifecycle import SERVER_MODULE
from modelyard.pipelines.options import LOCAL_CLOUD_ROOT


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
    assert up("dev", cloud_root, outputs=dev_outputs()).pid == state.pid, (
        "a second up must find the running cloud"
    )

    seeded = json.loads(Path(state.outputs_file).read_text())
    clients = AwsClients(state.region, state.endpoint_url)
    assert clients.client("kms").describe_key(KeyId=seeded["data_key_arn"])["KeyMetadata"]["Enabled"]
    versioning = clients.s3.get_bucket_versioning(Bucket=seeded["data_bucket"])
    assert versioning["Status"] == "Enabled"
    rule = clients.s3.get_bucket_encryption(Bucket=seeded["artifact_bucket"])[
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == seeded["data_key_arn"]
    role_name = seeded["sagemaker_training_role_arn"].rsplit("/", 1)[1]
    assert (
        clients.client("iam").get_role(RoleName=role_name)["Role"]["Arn"]
        == seeded["sagemaker_training_role_arn"]
    )
    repository = seeded["serving_repository_url"].split("/", 1)[1]
    described = clients.client("ecr").describe_repositories(repositoryNames=[repository])["repositories"][0]
    assert described["repositoryUri"] == seeded["serving_repository_url"]
    clients.sagemaker.describe_model_package_group(ModelPackageGroupName=seeded["model_package_group_name"])
    quotas = clients.service_quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    training = next(q for q in quotas if q["QuotaName"] == "ml.g5.xlarge for training job usage")
    assert training["Value"] >= 1
    assert state.environment()["MLFLOW_TRACKING_URI"].startswith("sqlite:///")

    result = CliRunner().invoke(
        local_cloud_app, ["status", "--stack", "dev", "--root", str(cloud_root), "--json"]
    )
    assert result.exit_code == 0 and json.loads(result.output)["running"] is True

    down("dev", cloud_root)
    assert not status("dev", cloud_root).running
    assert (
        not Path(f"/proc/{state.pid}").exists()
        or b"local_cloud.server" not in Path(f"/proc/{state.pid}/cmdline").read_bytes()
    )
    assert (cloud_root / "dev" / "mlflow" / "mlflow.db").is_file(), "the registry outlives the cloud"
    result = CliRunner().invoke(local_cloud_app, ["status", "--stack", "dev", "--root", str(cloud_root)])
    assert result.exit_code == 1 and "not running" in result.output
    assert os.environ.get("AWS_ENDPOINT_URL") is None


def test_a_truncated_state_file_is_a_clear_error_and_down_still_stops_the_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `pipeline run` looks for the local cloud under ./.modelyard/local-cloud
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    root = (tmp_path / LOCAL_CLOUD_ROOT).resolve()
    home = root / "dev"
    home.mkdir(parents=True)
    server = subprocess.Popen(
        [sys.executable, "-m", SERVER_MODULE, "--work-dir", str(home), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout.readline().startswith("READY ")
        (home / "state.json").write_text('{"stack": "dev", "pid": ' + str(server.pid) + ', "endpoint_u')
        (home / "outputs.json").write_text("{}")
        runner = CliRunner()

        checked = runner.invoke(local_cloud_app, ["status", "--stack", "dev", "--root", str(root)])
        assert checked.exit_code == 1 and "state file" in checked.output and "is unreadable" in checked.output
        started = runner.invoke(local_cloud_app, ["up", "--stack", "dev", "--root", str(root)])
        assert started.exit_code == 2 and "local-cloud down --stack dev" in started.output
        ran = runner.invoke(pipeline_app, ["run", "--stack", "dev"])
        assert ran.exit_code == 2 and "is unreadable (JSONDecodeError" in ran.output
        trained = runner.invoke(app, ["train", "--on", "local", "--stack", "dev", "--data-version", "v1"])
        assert trained.exit_code == 2 and "is unreadable (JSONDecodeError" in trained.output
        assert not any("Traceback" in result.output for result in (checked, started, ran, trained))

        stopped = runner.invoke(local_cloud_app, ["down", "--stack", "dev", "--root", str(root)])
        assert stopped.exit_code == 0 and f"stopped pid {server.pid}" in stopped.output
        assert server.wait(timeout=15) is not None
        assert not (home / "state.json").exists() and not (home / "outputs.json").exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_up_shows_what_is_starting_and_keeps_mlflow_chatter_out(cloud_root, tmp_path):
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(dev_outputs().model_dump_json())
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard.cli",
            "local-cloud",
            "up",
            "--stack",
            "dev",
            "--root",
            str(cloud_root),
            "--outputs-file",
            str(outputs_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_LOGGING_LEVEL": ""},
    )
    assert started.returncode == 0, started.stderr
    progress = started.stderr.splitlines()
    assert [line.split(" ", 2)[:2] for line in progress] == [
        ["starting", "the"],
        ["seeding", "the"],
        ["creating", "the"],
    ], started.stderr
    assert "mlflow" not in started.stderr.replace(str(cloud_root / "dev" / "mlflow"), "")
    assert "running at http://127.0.0.1:" in started.stdout
