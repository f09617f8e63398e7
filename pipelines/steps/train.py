"""Step 2, train: run a model_code entry point here (`--on local`) or as a SageMaker training job
(`--on sagemaker`); model.tar.gz lands in S3."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.training_job_runner import (
    TrainingJobError,
    TrainingJobLayout,
    run_training_job,
)
from modelyard.pipelines.quota import check_gpu_quota
from modelyard.pipelines.steps.step_runtime import StepFailed, StepInputError, run_module
from modelyard.workflow.compiler import TRAINING_MODULES, training_job_request
from modelyard.workflow.settings import PipelineSettings

TERMINAL_JOB_STATES = ("Completed", "Failed", "Stopped")
# The host name SageMaker gives the only instance of a one-instance job.
LOCAL_HOST = "algo-1"
Platform = Literal["local", "sagemaker"]


def training_job_name(
    outputs: StackOutputs,
    framework: str,
    train_uri: str,
    validation_uri: str,
    hyperparameters: dict[str, Any],
) -> str:
    """Deterministic in its inputs, so re-running the same training finds the same job and artifact. (The recipe
    keeps its key "algorithm", the framework's former name, so that existing jobs keep their names.)"""
    recipe = json.dumps(
        {
            "train": train_uri,
            "validation": validation_uri,
            "algorithm": framework,
            "hyperparameters": {key: str(value) for key, value in sorted(hyperparameters.items())},
        },
        sort_keys=True,
    )
    return f"modelyard-{outputs.environment}-{framework}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def model_artifact_uri(outputs: StackOutputs, job_name: str) -> str:
    """Where SageMaker writes a job's model: <S3OutputPath>/<job name>/output/model.tar.gz."""
    return f"{outputs.training_output_path.rstrip('/')}/{job_name}/output/model.tar.gz"


def train(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    train_uri: str,
    validation_uri: str,
    platform: Platform = "local",
    framework: str = "sklearn",
    hyperparameters: dict[str, Any] | None = None,
    job_name: str | None = None,
    instance_type: str | None = None,
    instance_count: int | None = None,
    image_tag: str = "latest",
    run_locally: bool | None = None,
    max_runtime_seconds: int = 3600,
) -> dict[str, Any]:
    """Train and return {"job_name", "model_uri", "model_sha256", "metrics" (validation), "reused", ...}.

    platform "local" runs the entry point here. "sagemaker" creates a training job (the pipeline definition's
    CreateTrainingJob request: role, VPC, KMS, inter-container encryption from the outputs; image
    <training repository>:<image_tag>; our entry point) after the GPU quota pre-flight; with `run_locally`
    (default: when an endpoint override points at an emulator, which records jobs but runs no containers) the
    entry point then runs here, as the training job runner runs it, and writes the job's artifact.
    """
    if framework not in TRAINING_MODULES:
        raise StepInputError(f"--framework {framework!r} is not one of {sorted(TRAINING_MODULES)}")
    if platform not in ("local", "sagemaker"):
        raise StepInputError(f"--on {platform!r} is not 'local' or 'sagemaker'")
    hyperparameters = dict(hyperparameters or {})
    job_name = job_name or training_job_name(outputs, framework, train_uri, validation_uri, hyperparameters)
    model_uri = model_artifact_uri(outputs, job_name)
    result: dict[str, Any] = {
        "job_name": job_name,
        "platform": platform,
        "framework": framework,
        "model_uri": model_uri,
        "train_uri": train_uri,
        "validation_uri": validation_uri,
        "hyperparameters": hyperparameters,
    }
    if platform == "sagemaker":
        instance_type = instance_type or outputs.training_instance_type
        instance_count = instance_count or outputs.training_instance_count
        request = sagemaker_training_request(
            outputs,
            train_uri,
            validation_uri,
            framework,
            hyperparameters,
            instance_type,
            instance_count,
            image_tag,
            max_runtime_seconds,
        )
        result["quota"] = check_gpu_quota(clients, instance_type, instance_count, "training job usage")
        result.update(_training_job(clients, job_name, request))
        run_locally = clients.is_emulated if run_locally is None else run_locally
        if not run_locally:
            model_uri = result["model_uri"] = _wait_for_job(clients, job_name, max_runtime_seconds)
    if s3_objects.exists(clients, model_uri):
        sha256, metrics = describe_artifact(clients, model_uri)
        return {**result, "model_sha256": sha256, "metrics": metrics, "reused": True}
    if platform == "sagemaker" and not run_locally:
        raise StepFailed(f"training job {job_name} completed but wrote no artifact at {model_uri}", result)
    _run_entry_point(
        outputs, clients, job_name, framework, train_uri, validation_uri, hyperparameters, max_runtime_seconds
    )
    sha256, metrics = describe_artifact(clients, model_uri)
    return {**result, "model_sha256": sha256, "metrics": metrics, "reused": False}


def sagemaker_training_request(
    outputs: StackOutputs,
    train_uri: str,
    validation_uri: str,
    framework: str,
    hyperparameters: dict[str, Any],
    instance_type: str,
    instance_count: int,
    image_tag: str,
    max_runtime_seconds: int,
) -> dict[str, Any]:
    """The pipeline definition's CreateTrainingJob request, with values where the definition has expressions."""
    try:
        settings = PipelineSettings(
            pipeline_name=outputs.pipeline_name,
            image_tag=image_tag,
            framework=framework,
            # SageMaker passes every hyperparameter to the container as a string.
            hyperparameters={key: str(value) for key, value in hyperparameters.items()},
            training_instance_type=instance_type,
            training_instance_count=instance_count,
            max_training_seconds=max_runtime_seconds,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}"
            for item in error.errors()
        )
        raise StepInputError(f"cannot build the training job: {problems}") from None
    return training_job_request(
        outputs,
        settings,
        image=f"{outputs.training_repository_url}:{image_tag}",
        train_uri=train_uri,
        validation_uri=validation_uri,
        instance_type=instance_type,
        instance_count=instance_count,
    )


def _training_job(clients: AwsClients, job_name: str, request: dict[str, Any]) -> dict[str, Any]:
    sagemaker = clients.sagemaker
    try:
        # Job names are unique per account and region: a re-run finds the job instead of creating another.
        existing = sagemaker.describe_training_job(TrainingJobName=job_name)
    except sagemaker.exceptions.ClientError:
        existing = None
    if existing is not None:
        arn, created = existing["TrainingJobArn"], False
    else:
        arn, created = (
            sagemaker.create_training_job(TrainingJobName=job_name, **request)["TrainingJobArn"],
            True,
        )
    resources = request["ResourceConfig"]
    return {
        "training_job_arn": arn,
        "training_job_created": created,
        "image": request["AlgorithmSpecification"]["TrainingImage"],
        "instance_type": resources["InstanceType"],
        "instance_count": resources["InstanceCount"],
    }


def _wait_for_job(clients: AwsClients, job_name: str, timeout_seconds: int) -> str:
    deadline = time.monotonic() + timeout_seconds
    while True:
        job = clients.sagemaker.describe_training_job(TrainingJobName=job_name)
        if job["TrainingJobStatus"] in TERMINAL_JOB_STATES:
            break
        if time.monotonic() > deadline:
            raise StepFailed(
                f"training job {job_name} is still {job['TrainingJobStatus']} after {timeout_seconds}s"
            )
        time.sleep(15)
    if job["TrainingJobStatus"] != "Completed":
        raise StepFailed(
            f"training job {job_name} ended {job['TrainingJobStatus']}: {job.get('FailureReason', '')}"
        )
    return job["ModelArtifacts"]["S3ModelArtifacts"]


def _run_entry_point(
    outputs: StackOutputs,
    clients: AwsClients,
    job_name: str,
    framework: str,
    train_uri: str,
    validation_uri: str,
    hyperparameters: dict[str, Any],
    timeout_seconds: int,
) -> None:
    """Run the entry point here as a one-instance SageMaker job would; model.tar.gz lands at the job's artifact URI."""
    with tempfile.TemporaryDirectory(prefix="modelyard-train-") as scratch:
        try:
            run_training_job(
                clients.s3,
                job_name=job_name,
                command=[sys.executable, "-m", TRAINING_MODULES[framework]],
                channels={"train": train_uri, "validation": validation_uri},
                hyperparameters={key: str(value) for key, value in hyperparameters.items()},
                output_path=outputs.training_output_path,
                layout=TrainingJobLayout(Path(scratch)),
                kms_key_id=outputs.data_key_arn,
                hosts=(LOCAL_HOST,),
                log_file=Path(scratch) / "logs.txt",
                timeout_s=timeout_seconds,
            )
        except TrainingJobError as error:
            raise StepFailed(f"the {framework} entry point failed: {error}") from None


def describe_artifact(clients: AwsClients, model_uri: str) -> tuple[str, dict[str, float]]:
    """(sha256 of model.tar.gz, the validation metrics inside it)."""
    body = s3_objects.get_bytes(clients, model_uri)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        try:
            member = archive.extractfile("metrics.json")
        except KeyError:
            raise StepFailed(
                f"{model_uri} holds no metrics.json; it was not written by a model_code entry point"
            )
        metrics = json.loads(member.read())
    return hashlib.sha256(body).hexdigest(), metrics


if __name__ == "__main__":
    run_module("train")
