"""The job the SDK trainer submits is the pipeline's TrainModel job, and passes the same policy checks."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("sagemaker")

from moto import mock_aws  # noqa: E402

from modelyard.pipelines.sagemaker_sdk.policy_check import training_job_findings  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.session import platform_session  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.trainer import TRAINER_VARIABLE, platform_trainer  # noqa: E402
from modelyard.pipelines.steps.step_runtime import StepInputError  # noqa: E402
from modelyard.pipelines.steps.train import sagemaker_training_request  # noqa: E402

TRAIN, VALIDATION = "s3://bucket/datasets/v1/train.csv", "s3://bucket/datasets/v1/validation.csv"
# What the SDK sends in place of the pipeline's ContainerEntrypoint, and the name it makes unique.
NOT_COMPARED = ("TrainingJobName", "AlgorithmSpecification", "Environment")
# The SDK spells out the API's default (botocore sagemaker service-2.json OutputDataConfig.CompressionType:
# "Defaults to gzip"); the pipeline leaves it to the service.
SDK_DEFAULTS = {"OutputDataConfig": {"CompressionType": "GZIP"}}


def submitted_request(outputs, **options: Any) -> dict[str, Any]:
    """The CreateTrainingJob parameters the SDK trainer sends, as botocore validated them against the API model;
    captured in-process on moto (no AWS)."""
    captured: dict[str, Any] = {}
    with mock_aws():
        session = platform_session(outputs)
        session.boto_session.events.register(
            "provide-client-params.sagemaker.CreateTrainingJob", lambda params, **_: captured.update(params)
        )
        trainer = platform_trainer(outputs, session, train_uri=TRAIN, validation_uri=VALIDATION, **options)
        trainer.train(wait=False, logs=False)
    assert captured, "the trainer sent no CreateTrainingJob request"
    return captured


def pipeline_request(
    outputs, framework="sklearn", instance_type=None, hyperparameters=None
) -> dict[str, Any]:
    return sagemaker_training_request(
        outputs,
        TRAIN,
        VALIDATION,
        framework,
        hyperparameters or {},
        instance_type or outputs.training_instance_type,
        outputs.training_instance_count,
        "latest",
        3600,
    )


@pytest.mark.parametrize("instance_type", ["ml.g5.xlarge", "ml.m5.xlarge"])
def test_the_sdk_sends_the_pipelines_training_job(offline_aws, fixture_outputs, instance_type):
    hyperparameters = {"n_estimators": 20, "max_depth": 2}
    sent = submitted_request(fixture_outputs, instance_type=instance_type, hyperparameters=hyperparameters)
    expected = pipeline_request(fixture_outputs, instance_type=instance_type, hyperparameters=hyperparameters)
    for key, defaults in SDK_DEFAULTS.items():
        expected[key] = {**defaults, **expected[key]}

    assert {key: value for key, value in sent.items() if key not in NOT_COMPARED} == {
        key: value for key, value in expected.items() if key not in NOT_COMPARED
    }
    assert sent["TrainingJobName"].startswith("modelyard-dev-sklearn-")
    assert (
        sent["AlgorithmSpecification"]["TrainingImage"] == expected["AlgorithmSpecification"]["TrainingImage"]
    )
    assert sent["Environment"] == {TRAINER_VARIABLE: "sklearn"}
    assert sent["VpcConfig"] == {
        "Subnets": fixture_outputs.private_subnet_ids,
        "SecurityGroupIds": [fixture_outputs.training_security_group_id],
    }
    assert sent["OutputDataConfig"]["KmsKeyId"] == fixture_outputs.data_key_arn
    # g5 brings NVMe storage, for which SageMaker rejects a volume key; m5 gets the stack's key.
    assert sent["ResourceConfig"].get("VolumeKmsKeyId") == (
        None if instance_type == "ml.g5.xlarge" else fixture_outputs.data_key_arn
    )


def test_the_sdk_request_passes_the_training_step_rules(offline_aws, fixture_outputs):
    request = submitted_request(fixture_outputs)
    for stack in ("dev", "staging", "prod"):
        assert training_job_findings(request, stack) == [], stack


def test_a_gpu_outside_the_allow_list_is_found(offline_aws, fixture_outputs):
    findings = training_job_findings(
        submitted_request(fixture_outputs, instance_type="ml.p3.2xlarge"), "prod"
    )
    assert [(finding.rule_id, finding.enforcement) for finding in findings] == [("MY-SM-008", "mandatory")]
    assert "'ml.p3.2xlarge' is a GPU type outside the allowed families" in findings[0].message


def test_an_unencrypted_request_is_found(fixture_outputs):
    request = pipeline_request(fixture_outputs)
    request["EnableInterContainerTrafficEncryption"] = False
    del request["OutputDataConfig"]["KmsKeyId"]
    findings = {finding.rule_id: finding.enforcement for finding in training_job_findings(request, "dev")}
    assert findings == {"MY-SM-007": "advisory", "MY-SM-013": "mandatory"}


def test_bad_trainer_inputs_name_the_field(offline_aws, fixture_outputs):
    with pytest.raises(StepInputError, match="training_instance_count=2 needs framework 'torch'"):
        submitted_request(fixture_outputs, instance_count=2)
