"""The compiled definition on a moto server: CreatePipeline accepts it, `modelyard pipeline start` upserts and starts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from modelyard.catalog.outputs import StackOutputs
from modelyard.cli.pipeline import pipeline_app
from modelyard.pipelines.definition.sagemaker_pipeline import start_execution, upsert_pipeline
from modelyard.pipelines.stack_outputs import outputs_from_file
from modelyard.stacks.config import load_stack_config
from modelyard.stacks.pipeline_settings import pipeline_settings
from modelyard.workflow.compiler import compile_definition, stack_outputs_uri

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stack-outputs-dev.json"


@pytest.fixture
def moto_endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_ENDPOINT_URL", "LOCALSTACK_ENDPOINT", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def outputs_file(tmp_path):
    """The dev outputs with names of their own: moto keeps state per process, shared with other tests' servers."""
    suffix = uuid.uuid4().hex[:8]
    document = json.loads(FIXTURE.read_text())
    document.update(
        pipeline_name=f"{document['pipeline_name']}-{suffix}",
        artifact_bucket=f"{document['artifact_bucket']}-{suffix}",
    )
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_create_pipeline_accepts_each_stacks_definition(moto_endpoint, environment):
    outputs = StackOutputs.model_validate(
        {
            **json.loads(FIXTURE.read_text()),
            "environment": environment,
            "pipeline_name": f"modelyard-{environment}-{uuid.uuid4().hex[:8]}",
        }
    )
    settings = pipeline_settings(load_stack_config(environment), outputs)
    definition = compile_definition(outputs, settings)
    sagemaker = boto3.client("sagemaker", region_name=outputs.region, endpoint_url=moto_endpoint)

    arn = upsert_pipeline(sagemaker, settings.pipeline_name, definition, outputs.pipeline_role_arn)
    described = sagemaker.describe_pipeline(PipelineName=settings.pipeline_name)
    assert described["PipelineArn"] == arn
    assert json.loads(described["PipelineDefinition"]) == definition
    assert described["RoleArn"] == outputs.pipeline_role_arn

    # A second upsert updates in place; an execution takes typed parameter overrides as strings.
    assert upsert_pipeline(sagemaker, settings.pipeline_name, definition, outputs.pipeline_role_arn) == arn
    execution = start_execution(
        sagemaker, settings.pipeline_name, {"MinAccuracy": 0.97, "TrainingInstanceCount": 2}
    )
    parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution)
    assert {item["Name"]: item["Value"] for item in parameters["PipelineParameters"]} == {
        "MinAccuracy": "0.97",
        "TrainingInstanceCount": "2",
    }


def test_pipeline_start_command_publishes_outputs_upserts_and_starts(moto_endpoint, outputs_file):
    outputs = outputs_from_file(outputs_file)
    s3 = boto3.client("s3", region_name=outputs.region, endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=outputs.artifact_bucket)

    result = CliRunner().invoke(
        pipeline_app,
        [
            "start",
            "--stack",
            "dev",
            "--outputs-file",
            str(outputs_file),
            "--aws-endpoint-url",
            moto_endpoint,
            "-p",
            "MinAuc=0.97",
        ],
    )

    assert result.exit_code == 0, result.output
    execution_arn = result.stdout.strip().splitlines()[-1]
    assert execution_arn.startswith(
        f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/{outputs.pipeline_name}/"
    )
    bucket_key = stack_outputs_uri(outputs, outputs.pipeline_name)[5:].split("/", 1)
    published = json.loads(s3.get_object(Bucket=bucket_key[0], Key=bucket_key[1])["Body"].read())
    assert StackOutputs.model_validate(published) == outputs


def test_pipeline_start_rejects_unknown_parameters_before_creating_anything(moto_endpoint, outputs_file):
    result = CliRunner().invoke(
        pipeline_app,
        [
            "start",
            "--stack",
            "dev",
            "--outputs-file",
            str(outputs_file),
            "--aws-endpoint-url",
            moto_endpoint,
            "-p",
            "MinAcuracy=0.9",
        ],
    )
    assert result.exit_code == 2
    assert "unknown pipeline parameter(s) MinAcuracy" in result.output
    sagemaker = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=moto_endpoint)
    names = [item["PipelineName"] for item in sagemaker.list_pipelines()["PipelineSummaries"]]
    assert outputs_from_file(outputs_file).pipeline_name not in names


def test_pipeline_compile_command_writes_the_definition(tmp_path):
    out = tmp_path / "definition.json"
    result = CliRunner().invoke(
        pipeline_app, ["compile", "--stack", "prod", "--outputs-file", str(FIXTURE), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    definition = json.loads(out.read_text())
    assert definition["Version"] == "2020-12-01"
    counts = {item["Name"]: item["DefaultValue"] for item in definition["Parameters"]}
    assert counts["TrainingInstanceCount"] == 2  # prod trains on two instances (DDP)
