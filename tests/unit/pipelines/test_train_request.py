"""The train step's SageMaker job request is the pipeline definition's: entry point, volume key, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.steps.step_runtime import StepInputError
from modelyard.pipelines.steps.train import sagemaker_training_request

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "stack-outputs-dev.json"
TRAIN, VALIDATION = "s3://bucket/datasets/v/train.csv", "s3://bucket/datasets/v/validation.csv"


@pytest.fixture
def outputs() -> StackOutputs:
    return StackOutputs.model_validate(json.loads(FIXTURE.read_text()))


def request(
    outputs, framework="sklearn", instance_type="ml.g5.xlarge", instance_count=1, hyperparameters=None
):
    return sagemaker_training_request(
        outputs,
        TRAIN,
        VALIDATION,
        framework,
        hyperparameters or {},
        instance_type,
        instance_count,
        "1.2.3",
        600,
    )


@pytest.mark.parametrize(
    "instance_type", ["ml.g5.xlarge", "ml.g6e.2xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.g4dn.xlarge"]
)
def test_instances_with_nvme_storage_get_no_volume_key(outputs, instance_type):
    assert "VolumeKmsKeyId" not in request(outputs, instance_type=instance_type)["ResourceConfig"]


def test_ebs_backed_instances_get_the_stacks_volume_key(outputs):
    assert (
        request(outputs, instance_type="ml.m5.xlarge")["ResourceConfig"]["VolumeKmsKeyId"]
        == outputs.data_key_arn
    )


@pytest.mark.parametrize(
    ("framework", "module"),
    [
        ("sklearn", "modelyard.model_code.training.train_sklearn"),
        ("torch", "modelyard.model_code.training.train_torch"),
    ],
)
def test_the_job_runs_the_frameworks_entry_point_with_string_hyperparameters(outputs, framework, module):
    built = request(outputs, framework=framework, hyperparameters={"epochs": 3, "lr": 0.1})
    assert built["AlgorithmSpecification"] == {
        "TrainingImage": f"{outputs.training_repository_url}:1.2.3",
        "TrainingInputMode": "File",
        "ContainerEntrypoint": ["python", "-m", module],
    }
    assert built["HyperParameters"] == {"epochs": "3", "lr": "0.1"}
    assert [channel["DataSource"]["S3DataSource"]["S3Uri"] for channel in built["InputDataConfig"]] == [
        TRAIN,
        VALIDATION,
    ]
    assert built["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}


def test_multi_instance_scikit_learn_is_refused_naming_the_field(outputs):
    with pytest.raises(StepInputError, match="training_instance_count=2 needs framework 'torch'"):
        request(outputs, instance_count=2)
    with pytest.raises(
        StepInputError, match="training_instance_type: .*'g5.xlarge' is not a SageMaker instance"
    ):
        request(outputs, instance_type="g5.xlarge")
