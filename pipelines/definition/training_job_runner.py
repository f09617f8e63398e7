"""Runs a training entry point the way a SageMaker training job does, on any host: channels from S3 into
SM_CHANNEL_* folders, hyperparameters.json, SM_* variables, and the model dir packed to model.tar.gz in S3.

The local executor runs the pipeline's Training step through it, and a Kubeflow TrainJob wraps torchrun in it:

    python -m modelyard.pipelines.definition.training_job_runner --job-name J --channel train=s3://... \\
        --channel validation=s3://... --output-path s3://bucket/training [--kms-key-id ARN] -- torchrun ...
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3

from modelyard.catalog.errors import ModelyardError
from modelyard.pipelines.s3_objects import split_s3_uri

# Kubeflow Trainer's torch runtime numbers the nodes of a TrainJob in this variable; node 0 uploads the model.
NODE_RANK_VARIABLE = "PET_NODE_RANK"
LOG_TAIL_CHARS = 2000


class TrainingJobError(ModelyardError, RuntimeError):
    """The job could not be staged, its entry point failed, or its model could not be uploaded."""


@dataclasses.dataclass(frozen=True)
class TrainingJobLayout:
    """SageMaker's /opt/ml tree, rooted at `root` (the real /opt/ml in a container, a work folder locally)."""

    root: Path

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def input_config_dir(self) -> Path:
        return self.root / "input" / "config"

    @property
    def output_data_dir(self) -> Path:
        return self.root / "output" / "data"

    def channel_dir(self, channel: str) -> Path:
        return self.root / "input" / "data" / channel


@dataclasses.dataclass(frozen=True)
class TrainingJobRun:
    """What a finished run left behind."""

    job_name: str
    model_uri: str | None
    """s3:// URI of model.tar.gz (None when this node does not upload)."""
    metrics: dict[str, Any]
    """The model dir's metrics.json ({} when the entry point wrote none)."""
    log_file: Path | None


def download_prefix(s3: Any, uri: str, destination: Path) -> list[Path]:
    """Copy every object under the S3 prefix `uri` into `destination`, as SageMaker's S3Prefix File mode does:
    a key below the prefix "folder" keeps its path under it, an object the prefix names keeps its name.
    The copies are private to this user (files 0600, folders 0700): a step's inputs include the stack outputs,
    whose secrets (the kubeconfig) the original file keeps at 0600. Raises TrainingJobError when nothing matches."""
    bucket, prefix = split_s3_uri(uri)
    files: list[Path] = []
    _private_folder(destination)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            if key.startswith(prefix.rstrip("/") + "/"):
                relative = key[len(prefix.rstrip("/")) + 1 :]
            else:
                # The prefix names the object itself, or part of its name: keep the name.
                relative = key[prefix.rfind("/") + 1 :]
            target = destination / relative
            for folder in reversed(target.relative_to(destination).parents[:-1]):
                _private_folder(destination / folder)
            s3.download_file(bucket, key, str(target))
            target.chmod(0o600)
            files.append(target)
    if not files:
        raise TrainingJobError(f"no objects under {uri}")
    return files


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def upload_directory(s3: Any, directory: Path, uri: str, kms_key_id: str | None = None) -> list[str]:
    """Upload every file under `directory` below the prefix `uri` (a processing output at end of job)."""
    bucket, prefix = split_s3_uri(uri.rstrip("/") + "/")
    uploaded = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(directory).as_posix()
        s3.upload_file(str(path), bucket, key, ExtraArgs=_encryption(kms_key_id))
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def pack_and_upload(s3: Any, directory: Path, uri: str, kms_key_id: str | None = None) -> str:
    """Upload the contents of `directory` as one gzipped tarball at `uri` (SageMaker's model.tar.gz)."""
    bucket, key = split_s3_uri(uri)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "archive.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for path in sorted(directory.iterdir()):
                tar.add(path, arcname=path.name)
        s3.upload_file(str(archive), bucket, key, ExtraArgs=_encryption(kms_key_id))
    return uri


def stage_job(
    s3: Any,
    layout: TrainingJobLayout,
    channels: Mapping[str, str],
    hyperparameters: Mapping[str, str],
    hosts: Sequence[str] = (),
) -> dict[str, str]:
    """Download the channels and write the config files; returns the SM_* variables the entry point reads.

    `hosts` lists SageMaker host names (omit on Kubeflow, where torchrun's variables describe the run).
    """
    for folder in (layout.model_dir, layout.input_config_dir, layout.output_data_dir):
        folder.mkdir(parents=True, exist_ok=True)
    environment = {
        "SM_MODEL_DIR": str(layout.model_dir),
        "SM_OUTPUT_DATA_DIR": str(layout.output_data_dir),
        "SM_INPUT_DIR": str(layout.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(layout.input_config_dir),
        "SM_OUTPUT_DIR": str(layout.root / "output"),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(dict(hyperparameters)),
    }
    for channel, uri in channels.items():
        download_prefix(s3, uri, layout.channel_dir(channel))
        environment[f"SM_CHANNEL_{channel.upper()}"] = str(layout.channel_dir(channel))
    (layout.input_config_dir / "hyperparameters.json").write_text(json.dumps(dict(hyperparameters)))
    (layout.input_config_dir / "inputdataconfig.json").write_text(
        json.dumps(
            {
                channel: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}
                for channel in channels
            }
        )
    )
    if hosts:
        (layout.input_config_dir / "resourceconfig.json").write_text(
            json.dumps({"current_host": hosts[0], "hosts": list(hosts)})
        )
        environment.update({"SM_HOSTS": json.dumps(list(hosts)), "SM_CURRENT_HOST": hosts[0]})
    return environment


def run_training_job(
    s3: Any,
    *,
    job_name: str,
    command: Sequence[str],
    channels: Mapping[str, str],
    hyperparameters: Mapping[str, str],
    output_path: str,
    layout: TrainingJobLayout,
    kms_key_id: str | None = None,
    environment: Mapping[str, str] | None = None,
    hosts: Sequence[str] = (),
    upload: bool = True,
    log_file: Path | None = None,
    timeout_s: float | None = None,
) -> TrainingJobRun:
    """Stage, run `command` with the SM_* variables, then (when `upload`) put model.tar.gz and output.tar.gz
    at `<output_path>/<job_name>/output/`. Raises TrainingJobError with the entry point's last output on failure."""
    job_environment = {
        **os.environ,
        **(environment or {}),
        **stage_job(s3, layout, channels, hyperparameters, hosts),
    }
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_file, "w") if log_file else contextlib.nullcontext() as log:
            completed = subprocess.run(
                list(command),
                env=job_environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
    except subprocess.TimeoutExpired:
        raise TrainingJobError(
            f"training job {job_name} ran past its {timeout_s:.0f} s stopping condition"
        ) from None
    except OSError as error:
        raise TrainingJobError(f"training job {job_name} could not start {command[0]!r}: {error}") from None
    if completed.returncode != 0:
        tail = log_file.read_text()[-LOG_TAIL_CHARS:].strip() if log_file else ""
        raise TrainingJobError(
            f"training job {job_name}: entry point exited with {completed.returncode}"
            + (f"\n{tail}" if tail else "")
        )
    metrics_file = layout.model_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    model_uri = None
    if upload:
        job_prefix = f"{output_path.rstrip('/')}/{job_name}/output"
        model_uri = pack_and_upload(s3, layout.model_dir, f"{job_prefix}/model.tar.gz", kms_key_id)
        if any(layout.output_data_dir.iterdir()):
            pack_and_upload(s3, layout.output_data_dir, f"{job_prefix}/output.tar.gz", kms_key_id)
    return TrainingJobRun(job_name=job_name, model_uri=model_uri, metrics=metrics, log_file=log_file)


def _encryption(kms_key_id: str | None) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job-name", required=True)
    parser.add_argument(
        "--channel", action="append", default=[], metavar="NAME=S3_URI", help="an input channel (repeatable)"
    )
    parser.add_argument(
        "--output-path", required=True, help="s3:// prefix for <job-name>/output/model.tar.gz"
    )
    parser.add_argument("--kms-key-id", help="KMS key for the uploaded artifacts")
    parser.add_argument("--hyperparameters", default="{}", help="JSON object of hyperparameters")
    parser.add_argument("--work-dir", type=Path, default=Path("/opt/ml"), help="root of the /opt/ml tree")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the entry point command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    problems = []
    channels = {}
    for item in args.channel:
        name, _, uri = item.partition("=")
        if not name or not uri.startswith("s3://"):
            problems.append(f"--channel {item!r}: expected NAME=s3://...")
        channels[name] = uri
    try:
        hyperparameters = {key: str(value) for key, value in json.loads(args.hyperparameters).items()}
    except (json.JSONDecodeError, AttributeError):
        problems.append(f"--hyperparameters {args.hyperparameters!r}: expected a JSON object")
    if not command:
        problems.append("no entry point command after --")
    if problems:
        parser.error("; ".join(problems))
    try:
        run = run_training_job(
            boto3.client("s3"),
            job_name=args.job_name,
            command=command,
            channels=channels,
            hyperparameters=hyperparameters,
            output_path=args.output_path,
            layout=TrainingJobLayout(args.work_dir),
            kms_key_id=args.kms_key_id,
            upload=os.environ.get(NODE_RANK_VARIABLE, "0") == "0",
        )
    except (TrainingJobError, ValueError) as error:
        print(f"training job failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"job_name": run.job_name, "model_uri": run.model_uri, "metrics": run.metrics}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
