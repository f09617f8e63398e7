"""The local executor walks a pipeline definition in dependency order, running fake container entry points."""

from __future__ import annotations

import io
import json
import tarfile
import textwrap

import boto3
import pytest
from moto import mock_aws

from modelyard.catalog.errors import ExitCode, ModelyardError
from modelyard.pipelines.definition.local_executor import (
    FAILED,
    NOT_EXECUTED,
    SUCCEEDED,
    DefinitionError,
    LocalExecutor,
    _Run,
    execution_plan,
    resolve_parameters,
)
from modelyard.pipelines.steps.step_runtime import StepFailed
from modelyard.workflow.expressions import get, join, json_get, parameter

REGION = "us-east-1"
BUCKET = "executor-test-artifacts"
ROLE = "arn:aws:iam::123456789012:role/executor-test"
RESULT_DIR = "/opt/ml/processing/result"

# A fake processing container: writes result.json from its flags (and fails on --exit-code N).
WRITE_RESULT = textwrap.dedent("""
    import argparse, json, pathlib, sys
    parser = argparse.ArgumentParser()
    parser.add_argument("--result-dir")
    parser.add_argument("--score", type=float, default=0.0)
    parser.add_argument("--copy-from")
    parser.add_argument("--exit-code", type=int, default=0)
    args = parser.parse_args()
    if args.exit_code:
        print("fake step broke on purpose", file=sys.stderr)
        sys.exit(args.exit_code)
    out = pathlib.Path(args.result_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = {"score": args.score, "reasons": [f"score {args.score} is low"], "ok": True}
    if args.copy_from:
        result["copied"] = json.loads((pathlib.Path(args.copy_from) / "result.json").read_text())
    (out / "result.json").write_text(json.dumps(result))
""")

# A fake training container: reads its channel and hyperparameters the SageMaker way, writes a model dir.
FAKE_TRAINER = textwrap.dedent("""
    import json, os, pathlib
    rows = (pathlib.Path(os.environ["SM_CHANNEL_TRAIN"]) / "train.csv").read_text().splitlines()
    hps = json.loads((pathlib.Path(os.environ["SM_INPUT_CONFIG_DIR"]) / "hyperparameters.json").read_text())
    model = pathlib.Path(os.environ["SM_MODEL_DIR"])
    (model / "weights.txt").write_text(f"{len(rows)} rows, depth {hps['depth']}")
    (model / "metrics.json").write_text(json.dumps({"accuracy": 0.97}))
""")

HANDLER = textwrap.dedent("""
    def handler(event, context):
        return {"endpoint_name": f"endpoint-{event['model']}", "echo": event}
""")


def processing(name, arguments, depends_on=()):
    step = {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}
            },
            "AppSpecification": {
                "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                "ContainerEntrypoint": ["python", "-c", WRITE_RESULT],
                "ContainerArguments": ["--result-dir", RESULT_DIR, *arguments],
            },
            "RoleArn": ROLE,
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "result",
                        "S3Output": {
                            "S3Uri": join(
                                [f"s3://{BUCKET}/runs", get("Execution.PipelineExecutionId"), name], on="/"
                            ),
                            "LocalPath": RESULT_DIR,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
        },
        "PropertyFiles": [{"PropertyFileName": "Report", "OutputName": "result", "FilePath": "result.json"}],
    }
    if depends_on:
        step["DependsOn"] = list(depends_on)
    return step


def gated_definition():
    """Score -> Gate(score >= MinScore) -> [Publish (reads Score's output) -> Notify (Lambda)] | [Stop (Fail)]."""
    score = processing("Score", ["--score", join([parameter("Score")])])
    publish = processing("Publish", ["--copy-from", "/opt/ml/processing/input/score"])
    publish["Arguments"]["ProcessingInputs"] = [
        {
            "InputName": "score",
            "S3Input": {
                "S3Uri": get("Steps.Score.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri"),
                "LocalPath": "/opt/ml/processing/input/score",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    ]
    notify = {
        "Name": "Notify",
        "Type": "Lambda",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify",
        "Arguments": {"model": json_get("Publish", "Report", "copied.score")},
        "OutputParameters": [{"OutputName": "endpoint_name", "OutputType": "String"}],
        "DependsOn": ["Publish"],
    }
    stop = {
        "Name": "Stop",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": join(
                [
                    "gate failed:",
                    json_get("Score", "Report", "reasons[0]"),
                    "(min",
                    parameter("MinScore"),
                    ")",
                ],
                on=" ",
            )
        },
    }
    gate = {
        "Name": "Gate",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": json_get("Score", "Report", "score"),
                    "RightValue": parameter("MinScore"),
                }
            ],
            "IfSteps": [publish, notify],
            "ElseSteps": [stop],
        },
    }
    return {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "Score", "Type": "Float", "DefaultValue": 0.8},
            {"Name": "MinScore", "Type": "Float", "DefaultValue": 0.5},
        ],
        # Listed out of order on purpose: the executor orders by dependencies, not by listing.
        "Steps": [gate, score],
    }


@pytest.fixture
def cloud(tmp_path, monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield s3, boto3.client("sagemaker", region_name=REGION)


def executor(definition, cloud, tmp_path):
    s3, sagemaker = cloud
    handlers_dir = tmp_path / "handlers"
    handlers_dir.mkdir(exist_ok=True)
    (handlers_dir / "fake_notify.py").write_text(HANDLER)
    return LocalExecutor(
        definition,
        s3=s3,
        sagemaker=sagemaker,
        work_dir=tmp_path / "work",
        environment={"PYTHONPATH": str(handlers_dir)},
        lambda_handlers={"notify": "fake_notify:handler"},
    )


def test_passing_gate_runs_the_if_branch_in_dependency_order(cloud, tmp_path):
    s3, sagemaker = cloud
    result = executor(gated_definition(), cloud, tmp_path).run(pipeline_name="gated", role_arn=ROLE)

    assert result.status == SUCCEEDED and result.failure_reason is None, result.failure_reason
    assert [(r.name, r.status) for r in result.steps] == [
        ("Score", SUCCEEDED),
        ("Gate", SUCCEEDED),
        ("Publish", SUCCEEDED),
        ("Notify", SUCCEEDED),
        ("Stop", NOT_EXECUTED),
    ]
    assert result.step("Gate").outputs["Outcome"] is True
    assert result.step("Gate").outputs["conditions"] == [
        {"type": "GreaterThanOrEqualTo", "left": 0.8, "right": 0.5, "result": True}
    ]
    # Publish read Score's output from S3 through its ProcessingInput.
    assert result.step("Publish").outputs["Report"]["copied"]["score"] == 0.8
    assert result.step("Notify").outputs["endpoint_name"] == "endpoint-0.8"
    # The property file went to the output's S3 location of this execution.
    body = s3.get_object(Bucket=BUCKET, Key=f"runs/{result.execution_id}/Score/result.json")["Body"].read()
    assert json.loads(body)["score"] == 0.8
    # The cloud knows the pipeline, the execution and each processing job.
    assert sagemaker.describe_pipeline(PipelineName="gated")["PipelineArn"] == result.pipeline_arn
    assert sagemaker.describe_pipeline_execution(PipelineExecutionArn=result.execution_arn)
    job = sagemaker.describe_processing_job(ProcessingJobName=result.step("Score").outputs["job_name"])
    assert job["RoleArn"] == ROLE
    assert all(r.duration_s is not None and r.duration_s >= 0 for r in result.steps if r.status == SUCCEEDED)


def test_failing_gate_stops_at_the_fail_step_with_its_reason(cloud, tmp_path):
    result = executor(gated_definition(), cloud, tmp_path).run(
        pipeline_name="gated", role_arn=ROLE, parameters={"MinScore": "0.9"}
    )

    assert result.status == FAILED
    assert result.failure_reason == "gate failed: score 0.8 is low (min 0.9 )"
    assert [(r.name, r.status) for r in result.steps] == [
        ("Score", SUCCEEDED),
        ("Gate", SUCCEEDED),
        ("Publish", NOT_EXECUTED),
        ("Notify", NOT_EXECUTED),
        ("Stop", FAILED),
    ]
    assert result.step("Gate").outputs["Outcome"] is False
    assert result.parameters == {"Score": 0.8, "MinScore": 0.9}


def test_a_failed_definition_step_raises_the_same_error_as_a_failed_step_command(
    cloud, tmp_path, monkeypatch
):
    raised = []
    execute = _Run.execute

    def recording(run, step, record):
        try:
            execute(run, step, record)
        except Exception as error:
            raised.append(error)
            raise

    monkeypatch.setattr(_Run, "execute", recording)
    result = executor(gated_definition(), cloud, tmp_path).run(
        pipeline_name="gated", role_arn=ROLE, parameters={"MinScore": "0.9"}
    )

    assert result.status == FAILED
    assert [type(error) for error in raised] == [StepFailed]
    assert isinstance(raised[0], ModelyardError) and raised[0].exit_code == ExitCode.FAILED
    assert str(raised[0]) == result.failure_reason


def test_a_failing_container_fails_the_execution_and_skips_the_rest(cloud, tmp_path):
    definition = gated_definition()
    score = definition["Steps"][1]
    score["Arguments"]["AppSpecification"]["ContainerArguments"] += ["--exit-code", "3"]

    result = executor(definition, cloud, tmp_path).run(pipeline_name="gated", role_arn=ROLE)

    assert result.status == FAILED
    record = result.step("Score")
    assert record.status == FAILED
    assert "exited with 3" in record.failure_reason and "fake step broke on purpose" in record.failure_reason
    assert result.failure_reason.startswith("step Score failed:")
    assert {r.name: r.status for r in result.steps if r.name != "Score"} == dict.fromkeys(
        ["Gate", "Publish", "Notify", "Stop"], NOT_EXECUTED
    )
    assert "fake step broke on purpose" in record.log_file.read_text()


def test_training_step_stages_channels_and_publishes_model_tar_gz(cloud, tmp_path):
    s3, sagemaker = cloud
    s3.put_object(Bucket=BUCKET, Key="datasets/v1/train.csv", Body=b"a,target\n1,0\n2,1\n")
    train = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fake:1",
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["python", "-c", FAKE_TRAINER],
            },
            "RoleArn": ROLE,
            "HyperParameters": {"depth": join([parameter("Depth")])},
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://{BUCKET}/datasets/v1/train.csv",
                        }
                    },
                }
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training"},
            "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }
    check = processing("Check", ["--score", "1"])
    check["Arguments"]["Environment"] = {"MODEL": get("Steps.Train.ModelArtifacts.S3ModelArtifacts")}
    definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Depth", "Type": "Integer", "DefaultValue": 3}],
        "Steps": [check, train],
    }

    result = executor(definition, cloud, tmp_path).run(pipeline_name="training", role_arn=ROLE)

    assert [r.name for r in result.steps] == ["Train", "Check"]
    assert result.status == SUCCEEDED, result.failure_reason
    record = result.step("Train")
    job_name = record.outputs["job_name"]
    assert record.outputs["model_uri"] == f"s3://{BUCKET}/training/{job_name}/output/model.tar.gz"
    assert record.outputs["metrics"] == {"accuracy": 0.97}
    body = s3.get_object(Bucket=BUCKET, Key=f"training/{job_name}/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        assert sorted(archive.getnames()) == ["metrics.json", "weights.txt"]
        assert archive.extractfile("weights.txt").read() == b"3 rows, depth 3"
    assert sagemaker.describe_training_job(TrainingJobName=job_name)["RoleArn"] == ROLE


def test_plan_orders_by_dependencies_and_rejects_what_cannot_run():
    plan = execution_plan(gated_definition())
    assert [step.name for step in plan] == ["Score", "Gate", "Publish", "Notify", "Stop"]
    by_name = {step.name: step for step in plan}
    assert by_name["Publish"].depends_on == {"Gate", "Score"} and by_name["Publish"].branch == ("Gate", True)
    assert by_name["Stop"].branch == ("Gate", False)

    cycle = {"Steps": [processing("A", [], depends_on=["B"]), processing("B", [], depends_on=["A"])]}
    with pytest.raises(DefinitionError, match="cycle: A, B"):
        execution_plan(cycle)
    with pytest.raises(DefinitionError, match="step 'A' depends on unknown step"):
        execution_plan({"Steps": [processing("A", [], depends_on=["Nowhere"])]})
    with pytest.raises(DefinitionError, match="type 'EMR'"):
        execution_plan({"Steps": [{"Name": "A", "Type": "EMR", "Arguments": {}}]})
    with pytest.raises(DefinitionError, match="used twice"):
        execution_plan({"Steps": [processing("A", []), processing("A", [])]})


def test_definition_features_the_executor_does_not_honour_are_refused_not_dropped():
    cached = processing("A", [])
    cached["CacheConfig"] = {"Enabled": True, "ExpireAfter": "P30D"}
    with pytest.raises(
        DefinitionError, match="step 'A' uses CacheConfig, which the local executor does not honour"
    ):
        execution_plan({"Steps": [cached]})
    retried = processing("A", [])
    retried["RetryPolicies"] = [{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "MaxAttempts": 3}]
    with pytest.raises(DefinitionError, match="uses RetryPolicies"):
        execution_plan({"Steps": [retried]})
    with pytest.raises(DefinitionError, match="the definition uses PipelineExperimentConfig"):
        execution_plan({"Steps": [processing("A", [])], "PipelineExperimentConfig": {"ExperimentName": "x"}})
    # What the executor does anyway is accepted: no cache, and steps one at a time under any parallelism limit.
    uncached = processing("A", [])
    uncached["CacheConfig"] = {"Enabled": False}
    assert [
        step.name
        for step in execution_plan(
            {"Steps": [uncached], "ParallelismConfiguration": {"MaxParallelExecutionSteps": 2}}
        )
    ] == ["A"]


def test_named_lists_resolve_by_position_and_by_name(cloud, tmp_path):
    definition = gated_definition()
    publish = definition["Steps"][0]["Arguments"]["IfSteps"][0]
    # Outputs[0] and Outputs['result'] name the same output, as on SageMaker.
    publish["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = get(
        "Steps.Score.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri"
    )
    result = executor(definition, cloud, tmp_path).run(pipeline_name="gated", role_arn=ROLE)
    assert result.status == SUCCEEDED, result.failure_reason
    assert result.step("Publish").outputs["Report"]["copied"]["score"] == 0.8


def test_parameters_are_typed_and_unknown_names_rejected():
    definition = gated_definition()
    assert resolve_parameters(definition, {"Score": "0.25"}) == {"Score": 0.25, "MinScore": 0.5}
    with pytest.raises(DefinitionError, match="unknown pipeline parameter"):
        resolve_parameters(definition, {"MinScroe": 1})
    with pytest.raises(DefinitionError, match="parameter Score: 'high' is not a valid Float"):
        resolve_parameters(definition, {"Score": "high"})


def test_missing_lambda_handler_fails_the_step_not_the_executor(cloud, tmp_path):
    s3, sagemaker = cloud
    result = LocalExecutor(gated_definition(), s3=s3, sagemaker=sagemaker, work_dir=tmp_path / "work").run(
        pipeline_name="gated", role_arn=ROLE
    )
    assert result.status == FAILED
    assert "no local handler for Lambda function 'notify'" in result.step("Notify").failure_reason
