"""Step 2, train: run a model_code entry point locally or as a SageMaker training job; model.tar.gz lands in S3."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from modelyard.outputs import StackOutputs
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.quota import check_gpu_quota
from modelyard.pipelines.steps.step_runtime import StepFailed, StepInputError, run_module

ENTRY_POINTS = {
    "sklearn": "modelyard.model_code.training.train_sklearn",
    "torch": "modelyard.model_code.training.train_torch",
}
TERMINAL_JOB_STATES = ("Completed", "Failed", "Stopped")
Mode = Literal["local", "sagemaker"]


def training_job_name(outputs: StackOutputs, algorithm: str, train_uri: str, validation_uri: str,
                      hyperparameters: dict[str, Any]) -> str:
    """Deterministic in its inputs, so re-running the same training finds the same job and artifact."""
    recipe = json.dumps({"train": train_uri, "validation": validation_uri, "algorithm": algorithm,
                         "hyperparameters": {key: str(value) for key, value in sorted(hyperparameters.items())}},
                        sort_keys=True)
    return f"modelyard-{outputs.environment}-{algorithm}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def model_artifact_uri(outputs: StackOutputs, job_name: str) -> str:
    """Where SageMaker writes a job's model: <S3OutputPath>/<job name>/output/model.tar.gz."""
    return f"{outputs.training_output_path.rstrip('/')}/{job_name}/output/model.tar.gz"


def train(outputs: StackOutputs, clients: AwsClients, *, train_uri: str, validation_uri: str, mode: Mode = "local",
          algorithm: str = "sklearn", hyperparameters: dict[str, Any] | None = None, job_name: str | None = None,
          instance_type: str | None = None, instance_count: int | None = None, image_tag: str = "latest",
          run_locally: bool | None = None, max_runtime_seconds: int = 3600) -> dict[str, Any]:
    """Train and return {"job_name", "model_uri", "model_sha256", "metrics" (validation), "reused", ...}.

    mode "local" runs the entry point here. mode "sagemaker" creates a training job (role, VPC, KMS,
    inter-container encryption from the outputs; image <training repository>:<image_tag>) after the GPU quota
    pre-flight; with `run_locally` (default: when an endpoint override points at an emulator, which records jobs
    but runs no containers) the entry point then runs here and writes the job's artifact.
    """
    if algorithm not in ENTRY_POINTS:
        raise StepInputError(f"--algorithm {algorithm!r} is not one of {sorted(ENTRY_POINTS)}")
    if mode not in ("local", "sagemaker"):
        raise StepInputError(f"--mode {mode!r} is not 'local' or 'sagemaker'")
    hyperparameters = dict(hyperparameters or {})
    job_name = job_name or training_job_name(outputs, algorithm, train_uri, validation_uri, hyperparameters)
    model_uri = model_artifact_uri(outputs, job_name)
    result: dict[str, Any] = {"job_name": job_name, "mode": mode, "algorithm": algorithm, "model_uri": model_uri,
                              "train_uri": train_uri, "validation_uri": validation_uri,
                              "hyperparameters": hyperparameters}
    if mode == "sagemaker":
        instance_type = instance_type or outputs.training_instance_type
        instance_count = instance_count or outputs.training_instance_count
        result["quota"] = check_gpu_quota(clients, instance_type, instance_count, "training job usage")
        result.update(_training_job(outputs, clients, job_name, train_uri, validation_uri, hyperparameters,
                                    instance_type, instance_count, image_tag, max_runtime_seconds))
        run_locally = clients.is_emulated if run_locally is None else run_locally
        if not run_locally:
            model_uri = result["model_uri"] = _wait_for_job(clients, job_name, max_runtime_seconds)
    if s3_objects.exists(clients, model_uri):
        sha256, metrics = describe_artifact(clients, model_uri)
        return {**result, "model_sha256": sha256, "metrics": metrics, "reused": True}
    if mode == "sagemaker" and not run_locally:
        raise StepFailed(f"training job {job_name} completed but wrote no artifact at {model_uri}", result)
    archive, metrics = _run_entry_point(clients, algorithm, train_uri, validation_uri, hyperparameters)
    s3_objects.put_bytes(clients, model_uri, archive, outputs.data_key_arn, "application/gzip")
    return {**result, "model_sha256": hashlib.sha256(archive).hexdigest(), "metrics": metrics, "reused": False}


def _training_job(outputs: StackOutputs, clients: AwsClients, job_name: str, train_uri: str, validation_uri: str,
                  hyperparameters: dict[str, Any], instance_type: str, instance_count: int, image_tag: str,
                  max_runtime_seconds: int) -> dict[str, Any]:
    sagemaker = clients.sagemaker

    def channel(name: str, uri: str) -> dict[str, Any]:
        return {"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}

    image = f"{outputs.training_repository_url}:{image_tag}"
    try:
        # Job names are unique per account and region: a re-run finds the job instead of creating another.
        existing = sagemaker.describe_training_job(TrainingJobName=job_name)
    except sagemaker.exceptions.ClientError:
        existing = None
    if existing is not None:
        arn, created = existing["TrainingJobArn"], False
    else:
        arn = sagemaker.create_training_job(
            TrainingJobName=job_name,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=outputs.sagemaker_training_role_arn,
            InputDataConfig=[channel("train", train_uri), channel("validation", validation_uri)],
            OutputDataConfig={"S3OutputPath": outputs.training_output_path, "KmsKeyId": outputs.data_key_arn},
            ResourceConfig={"InstanceType": instance_type, "InstanceCount": instance_count, "VolumeSizeInGB": 30,
                            "VolumeKmsKeyId": outputs.data_key_arn},
            VpcConfig={"SecurityGroupIds": [outputs.training_security_group_id],
                       "Subnets": list(outputs.private_subnet_ids)},
            StoppingCondition={"MaxRuntimeInSeconds": max_runtime_seconds},
            # SageMaker passes every hyperparameter to the container as a string.
            HyperParameters={key: str(value) for key, value in hyperparameters.items()},
            EnableInterContainerTrafficEncryption=outputs.inter_container_traffic_encryption,
            Tags=[{"Key": "modelyard:environment", "Value": outputs.environment}],
        )["TrainingJobArn"]
        created = True
    return {"training_job_arn": arn, "training_job_created": created, "image": image,
            "instance_type": instance_type, "instance_count": instance_count}


def _wait_for_job(clients: AwsClients, job_name: str, timeout_seconds: int) -> str:
    deadline = time.monotonic() + timeout_seconds
    while True:
        job = clients.sagemaker.describe_training_job(TrainingJobName=job_name)
        if job["TrainingJobStatus"] in TERMINAL_JOB_STATES:
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"training job {job_name} is still {job['TrainingJobStatus']} after {timeout_seconds}s")
        time.sleep(15)
    if job["TrainingJobStatus"] != "Completed":
        raise StepFailed(f"training job {job_name} ended {job['TrainingJobStatus']}: {job.get('FailureReason', '')}")
    return job["ModelArtifacts"]["S3ModelArtifacts"]


def _run_entry_point(clients: AwsClients, algorithm: str, train_uri: str, validation_uri: str,
                     hyperparameters: dict[str, Any]) -> tuple[bytes, dict[str, float]]:
    """Run the entry point as SageMaker would (SM_* variables, string hyperparameters in hyperparameters.json)
    on the channels downloaded from S3; return model.tar.gz's bytes and the validation metrics."""
    with tempfile.TemporaryDirectory(prefix="modelyard-train-") as scratch:
        root = Path(scratch)
        for name, uri in (("train", train_uri), ("validation", validation_uri)):
            s3_objects.download_file(clients, uri, root / "input" / "data" / name / Path(uri).name)
        config_dir = root / "input" / "config"
        config_dir.mkdir(parents=True)
        (config_dir / "hyperparameters.json").write_text(
            json.dumps({key: str(value) for key, value in hyperparameters.items()}))
        model_dir, output_dir = root / "model", root / "output" / "data"
        environment = {**os.environ, "SM_MODEL_DIR": str(model_dir), "SM_OUTPUT_DATA_DIR": str(output_dir),
                       "SM_CHANNEL_TRAIN": str(root / "input" / "data" / "train"),
                       "SM_CHANNEL_VALIDATION": str(root / "input" / "data" / "validation"),
                       "SM_INPUT_CONFIG_DIR": str(config_dir)}
        completed = subprocess.run([sys.executable, "-m", ENTRY_POINTS[algorithm]], env=environment,
                                   capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise StepFailed(f"the {algorithm} entry point failed (exit {completed.returncode}):\n"
                             f"{completed.stderr.strip()[-3000:]}")
        metrics = json.loads((model_dir / "metrics.json").read_text())
        buffer = io.BytesIO()
        # SageMaker archives the model dir's contents at the root of model.tar.gz.
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for path in sorted(model_dir.iterdir()):
                archive.add(path, arcname=path.name)
        return buffer.getvalue(), metrics


def describe_artifact(clients: AwsClients, model_uri: str) -> tuple[str, dict[str, float]]:
    """(sha256 of model.tar.gz, the validation metrics inside it)."""
    body = s3_objects.get_bytes(clients, model_uri)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        try:
            member = archive.extractfile("metrics.json")
        except KeyError:
            raise StepFailed(f"{model_uri} holds no metrics.json; it was not written by a model_code entry point")
        metrics = json.loads(member.read())
    return hashlib.sha256(body).hexdigest(), metrics


if __name__ == "__main__":
    run_module("train")
