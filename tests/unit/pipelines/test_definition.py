"""The compiled SageMaker Pipeline definition of each stack: graph, parameters, gate, and where every reference
comes from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from pydantic import ValidationError

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.definition.local_executor import DefinitionError, execution_plan
from modelyard.pipelines.definition.start_parameters import start_parameters
from modelyard.stacks.config import load_stack_config
from modelyard.stacks.pipeline_settings import pipeline_settings
from modelyard.workflow import compiler
from modelyard.workflow.compiler import compile_definition
from modelyard.workflow.expressions import Resolver, referenced_steps
from modelyard.workflow.settings import PipelineSettings

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "stack-outputs-dev.json"
ENVIRONMENTS = ("dev", "staging", "prod")
# Every other stack's outputs differ in every value, so nothing of the first may leak into the second.
OTHER_VALUES = {
    "environment": "staging",
    "region": "eu-west-1",
    "account_id": "210987654321",
    "data_bucket": "other-data",
    "artifact_bucket": "other-artifacts",
    "capture_bucket": "other-capture",
    "access_logs_bucket": "other-logs",
    "data_key_arn": "arn:aws:kms:eu-west-1:210987654321:key/11111111-2222-3333-4444-555555555555",
    "training_repository_url": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/other-training",
    "serving_repository_url": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/other-serving",
    "model_package_group_name": "other-models",
    "mlflow_tracking_uri": "https://mlflow.other.example",
    "sagemaker_training_role_arn": "arn:aws:iam::210987654321:role/other-training",
    "sagemaker_execution_role_arn": "arn:aws:iam::210987654321:role/other-execution",
    "pipeline_role_arn": "arn:aws:iam::210987654321:role/other-pipeline",
    "ci_role_arn": "arn:aws:iam::210987654321:role/other-ci",
    "vpc_id": "vpc-0ffffffffffffffff",
    "private_subnet_ids": ["subnet-0eeeeeeeeeeeeeeee"],
    "training_security_group_id": "sg-0dddddddddddddddd",
    "inference_security_group_id": "sg-0cccccccccccccccc",
    "training_output_path": "s3://other-artifacts/jobs",
    "inter_container_traffic_encryption": False,
    "pipeline_name": "other-pipeline",
    "deploy_function_name": "other-deploy",
}


def stack_outputs(**changes: Any) -> StackOutputs:
    return StackOutputs.model_validate({**json.loads(FIXTURE.read_text()), **changes})


def compiled(
    environment: str, outputs: StackOutputs | None = None
) -> tuple[dict[str, Any], StackOutputs, Any]:
    outputs = outputs or stack_outputs(environment=environment)
    config = load_stack_config(environment)
    return compile_definition(outputs, pipeline_settings(config, outputs)), outputs, config


def all_steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step.name: step.definition for step in execution_plan(definition)}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_step_graph(environment):
    definition, _, _ = compiled(environment)

    assert definition["Version"] == "2020-12-01"
    assert [step["Name"] for step in definition["Steps"]] == [
        "IngestData",
        "TrainModel",
        "EvaluateModel",
        "CheckEvaluation",
    ]
    plan = execution_plan(definition)
    assert [step.name for step in plan] == [
        "IngestData",
        "TrainModel",
        "EvaluateModel",
        "CheckEvaluation",
        "RegisterModel",
        "DeployModel",
        "MonitorDrift",
        "EvaluationGateFailed",
    ]
    depends = {step.name: set(step.depends_on) for step in plan}
    assert depends == {
        "IngestData": set(),
        "TrainModel": {"IngestData"},
        "EvaluateModel": {"IngestData", "TrainModel"},
        "CheckEvaluation": {"EvaluateModel"},
        "RegisterModel": {"CheckEvaluation", "IngestData", "EvaluateModel"},
        "DeployModel": {"CheckEvaluation", "IngestData", "TrainModel", "RegisterModel"},
        "MonitorDrift": {"CheckEvaluation", "IngestData", "DeployModel"},
        "EvaluationGateFailed": {"CheckEvaluation", "EvaluateModel"},
    }
    types = {name: step["Type"] for name, step in all_steps(definition).items()}
    assert types == {
        "IngestData": "Processing",
        "TrainModel": "Training",
        "EvaluateModel": "Processing",
        "CheckEvaluation": "Condition",
        "RegisterModel": "Processing",
        "DeployModel": "Lambda",
        "MonitorDrift": "Processing",
        "EvaluationGateFailed": "Fail",
    }
    assert len(json.dumps(definition)) < 1_048_576  # CreatePipeline's PipelineDefinition limit


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_parameters_default_to_the_stack_config(environment):
    definition, outputs, config = compiled(environment)
    defaults = {item["Name"]: (item["Type"], item["DefaultValue"]) for item in definition["Parameters"]}

    assert defaults == {
        "InputDataUri": ("String", "bundled:demo"),
        "SplitSeed": ("Integer", 0),
        "MinAccuracy": ("Float", config.pipeline.min_accuracy),
        "MinAuc": ("Float", config.pipeline.min_auc),
        "MaxRegression": ("Float", config.pipeline.max_regression),
        "DriftPsiThreshold": ("Float", config.pipeline.drift_psi_threshold),
        "TrainingInstanceType": ("String", config.training.sagemaker_instance_type),
        "TrainingInstanceCount": ("Integer", config.training.sagemaker_instance_count),
        "ProcessingInstanceType": ("String", config.pipeline.processing_instance_type),
        "ImageTag": ("String", PipelineSettings.model_fields["image_tag"].default),
    }
    used = {match for text in re.findall(r'"Parameters\.(\w+)"', json.dumps(definition)) for match in [text]}
    assert used == set(defaults), "every parameter is used and every use is declared"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_gate_condition_and_fail_branch(environment):
    definition, _, _ = compiled(environment)
    gate = definition["Steps"][3]["Arguments"]

    def report(path):
        return {
            "Std:JsonGet": {
                "PropertyFile": {"Get": "Steps.EvaluateModel.PropertyFiles.EvaluationReport"},
                "Path": path,
            }
        }

    assert gate["Conditions"] == [
        {"Type": "Equals", "LeftValue": report("passed"), "RightValue": True},
        {
            "Type": "GreaterThanOrEqualTo",
            "LeftValue": report("metrics.accuracy"),
            "RightValue": {"Get": "Parameters.MinAccuracy"},
        },
        {
            "Type": "GreaterThanOrEqualTo",
            "LeftValue": report("metrics.roc_auc"),
            "RightValue": {"Get": "Parameters.MinAuc"},
        },
    ]
    assert [step["Name"] for step in gate["IfSteps"]] == ["RegisterModel", "DeployModel", "MonitorDrift"]
    [fail] = gate["ElseSteps"]
    assert fail["Type"] == "Fail"
    message = fail["Arguments"]["ErrorMessage"]["Std:Join"]
    assert report("reasons[0]") in message["Values"] and report("metrics.accuracy") in message["Values"]
    evaluate = all_steps(definition)["EvaluateModel"]
    assert evaluate["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "result", "FilePath": "result.json"}
    ]
    assert "--no-fail-on-gate" in evaluate["Arguments"]["AppSpecification"]["ContainerArguments"]

    # The failure message a real failed evaluation produces.
    evaluation = {
        "passed": False,
        "reasons": ["accuracy 0.81 < 0.9"],
        "metrics": {"accuracy": 0.81, "roc_auc": 0.95},
    }
    parameters = {item["Name"]: item["DefaultValue"] for item in definition["Parameters"]}
    resolver = Resolver(parameters, {}, lambda name: {}, lambda step, name: evaluation)
    text = resolver.resolve(fail["Arguments"]["ErrorMessage"])
    assert text.startswith("Evaluation gate failed: accuracy 0.81 < 0.9 (accuracy 0.81 min ")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_image_role_bucket_and_key_comes_from_the_stack_outputs(environment):
    definition, outputs, _ = compiled(environment)
    steps = all_steps(definition)
    processing = [
        steps[name]["Arguments"] for name in ("IngestData", "EvaluateModel", "RegisterModel", "MonitorDrift")
    ]
    training = steps["TrainModel"]["Arguments"]
    image = {
        "Std:Join": {
            "On": "",
            "Values": [outputs.training_repository_url, ":", {"Get": "Parameters.ImageTag"}],
        }
    }

    for arguments in processing:
        assert arguments["AppSpecification"]["ImageUri"] == image
        assert arguments["AppSpecification"]["ContainerEntrypoint"][:2] == ["python", "-m"]
        assert arguments["AppSpecification"]["ContainerEntrypoint"][2].startswith(
            "modelyard.pipelines.steps."
        )
        assert arguments["RoleArn"] == outputs.pipeline_role_arn
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == outputs.data_key_arn
        assert arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == outputs.data_key_arn
        assert arguments["NetworkConfig"]["VpcConfig"] == {
            "SecurityGroupIds": [outputs.training_security_group_id],
            "Subnets": outputs.private_subnet_ids,
        }
        assert arguments["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == (
            f"s3://{outputs.artifact_bucket}/pipelines/{outputs.pipeline_name}/stack-outputs.json"
        )

    assert training["AlgorithmSpecification"]["TrainingImage"] == image
    assert training["RoleArn"] == outputs.sagemaker_training_role_arn
    assert training["OutputDataConfig"] == {
        "S3OutputPath": outputs.training_output_path,
        "KmsKeyId": outputs.data_key_arn,
    }
    assert training["VpcConfig"] == {
        "SecurityGroupIds": [outputs.training_security_group_id],
        "Subnets": outputs.private_subnet_ids,
    }
    assert training["EnableInterContainerTrafficEncryption"] is outputs.inter_container_traffic_encryption
    assert training["ResourceConfig"]["InstanceCount"] == {"Get": "Parameters.TrainingInstanceCount"}
    # g5 instances bring NVMe storage, for which SageMaker rejects a volume key.
    assert "VolumeKmsKeyId" not in training["ResourceConfig"]
    assert steps["DeployModel"]["FunctionArn"] == (
        f"arn:aws:lambda:{outputs.region}:{outputs.account_id}:function:{outputs.deploy_function_name}"
    )

    # Any ARN, bucket, ECR image or network id in the definition is built from the outputs' values.
    values = set(strings(outputs.model_dump()))
    buckets = {outputs.data_bucket, outputs.artifact_bucket, outputs.capture_bucket}
    for text in strings(definition):
        if text.startswith("s3://"):
            assert text[5:].split("/")[0] in buckets, f"{text!r}: bucket not from the stack outputs"
        elif text.startswith("arn:"):
            _, partition, _, region, account, resource = text.split(":", 5)
            assert region in ("", outputs.region) and account == outputs.account_id, (
                text
            )  # IAM ARNs: no region
            assert text in values or resource.split(":")[-1] in values, (
                f"{text!r}: not from the stack outputs"
            )
        elif ".dkr.ecr." in text:
            assert text in (outputs.training_repository_url, outputs.serving_repository_url), text
        elif re.match(r"^(sg|subnet|vpc)-", text):
            assert text in values, f"{text!r}: network id not from the stack outputs"


def test_nothing_is_hard_coded_between_stacks():
    definition, outputs, _ = compiled("dev")
    other, _, _ = compiled("staging", stack_outputs(**OTHER_VALUES))
    other_text = json.dumps(other)
    for value in strings(outputs.model_dump()):
        if len(value) > 3 and value not in ("dev", "us-east-1"):
            assert value not in other_text, (
                f"{value!r} of the dev outputs leaked into another stack's definition"
            )
    assert "us-east-1" not in other_text and "123456789012" not in other_text


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_training_runs_our_entry_point_with_instance_count_from_config(environment):
    definition, _, config = compiled(environment)
    training = all_steps(definition)["TrainModel"]["Arguments"]
    module = training["AlgorithmSpecification"]["ContainerEntrypoint"][2]
    if config.training.sagemaker_instance_count > 1:
        # Multi-instance DDP: only the PyTorch entry point trains across hosts.
        assert module == "modelyard.model_code.training.train_torch"
    else:
        assert module == "modelyard.model_code.training.train_sklearn"
    channels = {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
        for channel in training["InputDataConfig"]
    }
    assert referenced_steps(channels) == {"IngestData"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_step_arguments_match_the_sagemaker_api_shapes(environment):
    """Each Processing/Training step's Arguments, with expressions replaced by values of their type, is a valid
    CreateProcessingJob / CreateTrainingJob request for botocore's model of the SageMaker API."""
    definition, _, _ = compiled(environment)
    model = botocore.session.get_session().get_service_model("sagemaker")
    parameters = {item["Name"]: item["DefaultValue"] for item in definition["Parameters"]}
    sample_report = {
        "train_uri": "s3://b/datasets/v/train.csv",
        "validation_uri": "s3://b/datasets/v/validation.csv",
        "test_uri": "s3://b/datasets/v/test.csv",
        "baseline_uri": "s3://b/datasets/v/baseline.json",
        "data_version": "v",
        "model_version": "1",
    }
    properties = {
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/training/job/output/model.tar.gz"},
        "ProcessingOutputConfig": {"Outputs": {"result": {"S3Output": {"S3Uri": "s3://b/result"}}}},
    }
    resolver = Resolver(
        parameters,
        {"PipelineExecutionId": "abc123"},
        lambda name: properties,
        lambda step, name: sample_report,
    )
    operations = {
        "Processing": ("CreateProcessingJob", "ProcessingJobName"),
        "Training": ("CreateTrainingJob", "TrainingJobName"),
    }
    checked = 0
    for name, step in all_steps(definition).items():
        if step["Type"] not in operations:
            continue
        operation, name_key = operations[step["Type"]]
        request = {name_key: f"pipelines-abc123-{name}", **resolver.resolve(step["Arguments"])}
        report = ParamValidator().validate(request, model.operation_model(operation).input_shape)
        assert not report.has_errors(), f"{name}: {report.generate_report()}"
        checked += 1
    assert checked == 5


def test_settings_reject_impossible_combinations():
    outputs = stack_outputs()
    with pytest.raises(ValidationError, match="needs framework 'torch'"):
        PipelineSettings(pipeline_name=outputs.pipeline_name, training_instance_count=2, framework="sklearn")
    with pytest.raises(ValidationError, match="is not a SageMaker instance type"):
        PipelineSettings(pipeline_name=outputs.pipeline_name, processing_instance_type="m5.large")
    settings = PipelineSettings(pipeline_name=outputs.pipeline_name, processing_instance_type="ml.m5d.large")
    processing = compile_definition(outputs, settings)["Steps"][0]["Arguments"]["ProcessingResources"]
    assert "VolumeKmsKeyId" not in processing["ClusterConfig"]  # m5d: NVMe instance storage


def test_lambda_step_event_matches_the_deploy_handler_contract():
    definition, outputs, config = compiled("dev")
    deploy = all_steps(definition)["DeployModel"]
    assert tuple(deploy["Arguments"]) == compiler.DEPLOY_EVENT_KEYS
    assert deploy["Arguments"]["outputs_uri"] == compiler.stack_outputs_uri(outputs, outputs.pipeline_name)
    assert deploy["Arguments"]["data_capture_percent"] == config.inference.data_capture_percent
    assert [item["OutputName"] for item in deploy["OutputParameters"]] == list(compiler.DEPLOY_OUTPUTS)


def test_start_refuses_overrides_the_compiled_choices_cannot_serve():
    outputs = stack_outputs()
    settings = PipelineSettings(
        pipeline_name=outputs.pipeline_name,
        processing_instance_type="ml.m5.large",
        training_instance_type="ml.g5.xlarge",
        framework="sklearn",
    )
    definition = compile_definition(outputs, settings)
    # Same storage kind as compiled: accepted, and the values come back typed.
    assert (
        start_parameters(
            definition,
            settings,
            {"ProcessingInstanceType": "ml.c5.xlarge", "TrainingInstanceType": "ml.g6.xlarge"},
        )["ProcessingInstanceType"]
        == "ml.c5.xlarge"
    )
    # m5d has NVMe storage: the compiled VolumeKmsKeyId would make CreateProcessingJob fail.
    with pytest.raises(
        DefinitionError,
        match=r"ProcessingInstanceType=ml\.m5d\.xlarge has local NVMe storage, but "
        r"the definition was compiled for ml\.m5\.large, with a VolumeKmsKeyId",
    ):
        start_parameters(definition, settings, {"ProcessingInstanceType": "ml.m5d.xlarge"})
    # The other way: g5 was compiled without the key, m5 would train with an AWS-managed volume key.
    with pytest.raises(DefinitionError, match=r"TrainingInstanceType=ml\.m5\.xlarge has EBS storage only"):
        start_parameters(definition, settings, {"TrainingInstanceType": "ml.m5.xlarge"})
    with pytest.raises(
        DefinitionError, match="TrainingInstanceCount=2: the definition trains with the sklearn"
    ):
        start_parameters(definition, settings, {"TrainingInstanceCount": "2"})
    with pytest.raises(DefinitionError, match="not a SageMaker instance type"):
        start_parameters(definition, settings, {"ProcessingInstanceType": "m5.large"})
