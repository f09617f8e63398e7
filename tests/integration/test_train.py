"""Training on a moto server: local runs, SageMaker jobs recorded with the stack's settings, GPU quota pre-flight."""

import hashlib

import pytest
from conftest import FAST_HYPERPARAMETERS

from modelyard.pipelines import s3_objects
from modelyard.pipelines.quota import QuotaError, check_gpu_quota
from modelyard.pipelines.steps.train import train


def test_local_training_uploads_model_archive_and_rerun_reuses_it(outputs, clients, demo_dataset, demo_model):
    assert demo_model["model_uri"] == (
        f"s3://{outputs.artifact_bucket}/training/{demo_model['job_name']}/output/model.tar.gz"
    )
    assert demo_model["metrics"]["accuracy"] > 0.9
    body = s3_objects.get_bytes(clients, demo_model["model_uri"])
    assert hashlib.sha256(body).hexdigest() == demo_model["model_sha256"]
    again = train(
        outputs,
        clients,
        train_uri=demo_dataset["train_uri"],
        validation_uri=demo_dataset["validation_uri"],
        hyperparameters=FAST_HYPERPARAMETERS,
    )
    assert again["reused"] is True
    assert again["model_sha256"] == demo_model["model_sha256"]


def test_sagemaker_job_is_recorded_with_stack_settings_and_entry_point_runs_locally(
    outputs, clients, demo_dataset
):
    hyperparameters = {**FAST_HYPERPARAMETERS, "learning_rate": 0.2}
    result = train(
        outputs,
        clients,
        train_uri=demo_dataset["train_uri"],
        platform="sagemaker",
        validation_uri=demo_dataset["validation_uri"],
        hyperparameters=hyperparameters,
    )
    job = clients.sagemaker.describe_training_job(TrainingJobName=result["job_name"])
    assert job["RoleArn"] == outputs.sagemaker_training_role_arn
    assert job["AlgorithmSpecification"]["TrainingImage"] == f"{outputs.training_repository_url}:latest"
    assert job["VpcConfig"] == {
        "SecurityGroupIds": [outputs.training_security_group_id],
        "Subnets": outputs.private_subnet_ids,
    }
    assert job["OutputDataConfig"]["KmsKeyId"] == outputs.data_key_arn
    # g5 brings NVMe instance storage, for which SageMaker rejects a volume key.
    assert "VolumeKmsKeyId" not in job["ResourceConfig"]
    assert job["ResourceConfig"]["InstanceType"] == outputs.training_instance_type
    assert job["AlgorithmSpecification"]["ContainerEntrypoint"] == [
        "python",
        "-m",
        "modelyard.model_code.training.train_sklearn",
    ]
    assert job["EnableInterContainerTrafficEncryption"] is True
    assert job["HyperParameters"]["learning_rate"] == "0.2"
    assert result["quota"]["quota_name"] == "ml.g5.xlarge for training job usage"
    assert s3_objects.exists(clients, result["model_uri"]) and result["reused"] is False
    rerun = train(
        outputs,
        clients,
        train_uri=demo_dataset["train_uri"],
        platform="sagemaker",
        validation_uri=demo_dataset["validation_uri"],
        hyperparameters=hyperparameters,
    )
    assert rerun["training_job_created"] is False and rerun["reused"] is True


def test_gpu_quota_preflight_fails_early_with_quota_name_and_command(outputs, clients, demo_dataset):
    jobs_before = clients.sagemaker.list_training_jobs()["TrainingJobSummaries"]
    with pytest.raises(QuotaError) as error:
        train(
            outputs,
            clients,
            train_uri=demo_dataset["train_uri"],
            validation_uri=demo_dataset["validation_uri"],
            platform="sagemaker",
            framework="torch",
            instance_type="ml.p5.48xlarge",
            instance_count=2,
            hyperparameters={"epochs": 1},
        )
    message = str(error.value)
    assert "'ml.p5.48xlarge for training job usage'" in message and "is 0 in us-east-1" in message
    assert (
        "aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code L-"
        in message
        and "--desired-value 2 --region us-east-1" in message
    )
    assert clients.sagemaker.list_training_jobs()["TrainingJobSummaries"] == jobs_before


def test_quota_check_skips_cpu_instances(clients):
    assert check_gpu_quota(clients, "ml.m5.large", 4, "training job usage")["checked"] is False
