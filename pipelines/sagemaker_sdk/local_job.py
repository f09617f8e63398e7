"""Runs, on this host, the container of a training job the SDK submitted to an emulator (which records jobs but
runs no containers), as the pipeline's train step does in local mode: its model lands where SageMaker puts it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.training_job_runner import (
    TrainingJobLayout,
    TrainingJobRun,
    run_training_job,
)
from modelyard.pipelines.steps.train import LOCAL_HOST

# The training image's ENTRYPOINT and CMD (model_code/Dockerfile.training): SageMaker runs `<image> train`.
IMAGE_COMMAND = ("-m", "modelyard.model_code.training", "train")


class LocalJobError(LookupError):
    """No training job of that name (or name prefix) is recorded."""


def latest_job_name(clients: AwsClients, base_job_name: str) -> str:
    """The newest recorded job whose name starts with `base_job_name` (ModelTrainer appends a timestamp)."""
    jobs = clients.sagemaker.list_training_jobs(
        NameContains=base_job_name, SortBy="CreationTime", SortOrder="Descending"
    )["TrainingJobSummaries"]
    names = [job["TrainingJobName"] for job in jobs if job["TrainingJobName"].startswith(base_job_name)]
    if not names:
        raise LocalJobError(
            f"no training job named {base_job_name}* is recorded at {clients.endpoint_url or 'AWS'}"
        )
    return names[0]


def run_job_here(clients: AwsClients, job_name: str, work_dir: Path | None = None) -> TrainingJobRun:
    """Stage the recorded job's channels and hyperparameters, run the image's entry point with the job's
    Environment and stopping condition, and upload model.tar.gz to <S3OutputPath>/<job>/output/ with its KMS key."""
    try:
        job = clients.sagemaker.describe_training_job(TrainingJobName=job_name)
    except clients.sagemaker.exceptions.ClientError as error:
        raise LocalJobError(f"training job {job_name!r}: {error}") from None
    channels = {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
        for channel in job.get("InputDataConfig", [])
    }
    output = job["OutputDataConfig"]
    with tempfile.TemporaryDirectory(prefix="modelyard-sdk-job-", dir=work_dir) as scratch:
        return run_training_job(
            clients.s3,
            job_name=job_name,
            command=[sys.executable, *IMAGE_COMMAND],
            channels=channels,
            hyperparameters=job.get("HyperParameters", {}),
            output_path=output["S3OutputPath"],
            layout=TrainingJobLayout(Path(scratch) / "opt" / "ml"),
            kms_key_id=output.get("KmsKeyId"),
            environment=job.get("Environment", {}),
            hosts=(LOCAL_HOST,),
            timeout_s=job.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
        )
