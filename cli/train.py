"""`modelyard train --on local|sagemaker|eks`: one training run on this machine, as a SageMaker job, or as a
Kubeflow TrainJob on the stack's EKS GPU nodes."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from modelyard.catalog.errors import ExitCode
from modelyard.cli.pipeline import errors, fail
from modelyard.pipelines.options import EndpointOption, OutputsFileOption, StackOption


class Platform(str, Enum):
    local = "local"
    sagemaker = "sagemaker"
    eks = "eks"


class Framework(str, Enum):
    sklearn = "sklearn"
    torch = "torch"


def _hyperparameters(items: list[str] | None) -> dict[str, str]:
    from modelyard.pipelines.assignments import parse_assignments

    try:
        return parse_assignments(items, "--hyperparameter")
    except ValueError as error:
        raise fail(str(error)) from None


def train(
    on: Annotated[Platform, typer.Option("--on", help="Where to train: this machine, SageMaker, or EKS.")],
    stack: StackOption,
    data_version: Annotated[
        str,
        typer.Option(
            help="Data version written by the ingest step (s3://<data bucket>/datasets/<version>/)."
        ),
    ],
    nodes: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="Processes (local, via torchrun), instances "
            "(SageMaker; default: the stack's count) or nodes (EKS); >1 trains data-parallel with PyTorch "
            "DDP. Default 1.",
        ),
    ] = None,
    gpus_per_node: Annotated[int, typer.Option(min=1, help="EKS: GPUs per node.")] = 1,
    framework: Annotated[
        Optional[Framework],
        typer.Option(
            help="Entry point (local/sagemaker): default torch when --nodes > 1, else sklearn; EKS always torch."
        ),
    ] = None,
    hyperparameter: Annotated[Optional[list[str]], typer.Option(help="NAME=VALUE (repeatable).")] = None,
    image_tag: Annotated[
        Optional[str], typer.Option(help="Training image tag (default: the package version).")
    ] = None,
    job_name: Annotated[
        Optional[str], typer.Option(help="Default: modelyard-<env>-<framework>-<UTC time>.")
    ] = None,
    outputs_file: OutputsFileOption = None,
    outputs_source: Annotated[
        str, typer.Option(help="Without --outputs-file, for AWS and EKS: 'pulumi' or 'plan'.")
    ] = "pulumi",
    aws_endpoint_url: EndpointOption = None,
    work_dir: Annotated[
        Optional[Path],
        typer.Option(help="Local: the /opt/ml tree of the run (default .modelyard/train/<job>)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would run (EKS: the TrainJob YAML) and stop.")
    ] = False,
) -> None:
    """Train once: locally (torchrun for --nodes > 1), as a SageMaker training job, or as a Kubeflow TrainJob
    (submitted with the stack's kubeconfig; --aws-endpoint-url applies to --on local and sagemaker).

    Exit codes: 0 done (or submitted), 1 the run or the submission failed, 2 bad input.
    """
    from modelyard import __version__
    from modelyard.pipelines.local_cloud.lifecycle import LocalCloudError
    from modelyard.pipelines.stack_outputs import StackOutputsError

    hyperparameters = _hyperparameters(hyperparameter)
    tag = image_tag or __version__
    try:
        if on is Platform.eks:
            if framework not in (None, Framework.torch):
                raise fail("--on eks trains the PyTorch entry point (torchrun); drop --framework sklearn")
            _train_on_eks(
                stack,
                outputs_file,
                outputs_source,
                job_name,
                data_version,
                nodes or 1,
                gpus_per_node,
                tag,
                hyperparameters,
                dry_run,
            )
            return
        from modelyard.pipelines.definition.target import resolve_target

        target = resolve_target(stack, outputs_file, aws_endpoint_url, outputs_source)
    except (StackOutputsError, LocalCloudError) as error:
        raise fail(str(error)) from None
    count = nodes or (target.outputs.training_instance_count if on is Platform.sagemaker else 1)
    chosen = framework or (Framework.torch if count > 1 else Framework.sklearn)
    if count > 1 and chosen is not Framework.torch:
        raise fail(f"{count} processes/instances need --framework torch (scikit-learn trains in one process)")
    if on is Platform.local:
        name = job_name or _default_job_name(target.outputs.environment, chosen.value)
        _train_locally(target, name, data_version, count, chosen.value, hyperparameters, work_dir, dry_run)
    else:
        _train_on_sagemaker(
            target, job_name, data_version, count, chosen.value, hyperparameters, tag, dry_run
        )


def _default_job_name(environment: str, framework: str) -> str:
    return f"modelyard-{environment}-{framework}-{datetime.now(timezone.utc):%Y%m%dt%H%M%S}"


def _train_on_eks(
    stack,
    outputs_file,
    outputs_source,
    job_name,
    data_version,
    nodes,
    gpus_per_node,
    image_tag,
    hyperparameters,
    dry_run,
) -> None:
    import yaml

    from modelyard.pipelines.eks_trainjob import TrainJobError, build_trainjob, submit_trainjob
    from modelyard.pipelines.stack_outputs import load_stack_outputs

    outputs = load_stack_outputs(outputs_file, stack, outputs_source)
    try:
        trainjob = build_trainjob(
            outputs,
            job_name=job_name or _default_job_name(outputs.environment, "torch"),
            data_version=data_version,
            nodes=nodes,
            gpus_per_node=gpus_per_node,
            image_tag=image_tag,
            hyperparameters=hyperparameters,
        )
    except TrainJobError as error:
        raise fail(str(error)) from None
    if dry_run:
        sys.stdout.write(yaml.safe_dump(trainjob.to_dict(), sort_keys=False))
        return
    try:
        created = submit_trainjob(trainjob, outputs.kubeconfig)
    except TrainJobError as error:
        raise fail(str(error), ExitCode.FAILED) from None
    metadata = created.get("metadata", {})
    errors.print(
        f"submitted TrainJob {metadata.get('namespace')}/{metadata.get('name')} on cluster "
        f"{outputs.eks_cluster_name} ({nodes} node(s) x {gpus_per_node} GPU)",
        highlight=False,
    )


def _train_locally(
    target, job_name, data_version, nodes, framework, hyperparameters, work_dir, dry_run
) -> None:
    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.definition.training_job_runner import (
        TrainingJobError,
        TrainingJobLayout,
        run_training_job,
    )
    from modelyard.pipelines.eks_trainjob import dataset_uri
    from modelyard.workflow.compiler import TRAINING_MODULES

    outputs = target.outputs
    module = TRAINING_MODULES[framework]
    if nodes > 1:
        # torchrun on this host: gloo on CPU, NCCL when the entry point finds GPUs.
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={nodes}",
            "--module",
            module,
        ]
    else:
        command = [sys.executable, "-m", module]
    channels = {split: dataset_uri(outputs, data_version, split) for split in ("train", "validation")}
    root = (work_dir or Path(".modelyard") / "train" / job_name).resolve()
    if dry_run:
        sys.stdout.write(
            json.dumps(
                {
                    "job_name": job_name,
                    "command": command,
                    "channels": channels,
                    "hyperparameters": hyperparameters,
                    "work_dir": str(root),
                    "output_path": outputs.training_output_path,
                    "target": target.description,
                },
                indent=2,
            )
            + "\n"
        )
        return
    clients = AwsClients(outputs.region, target.endpoint_url)
    try:
        run = run_training_job(
            clients.s3,
            job_name=job_name,
            command=command,
            channels=channels,
            hyperparameters=hyperparameters,
            output_path=outputs.training_output_path,
            layout=TrainingJobLayout(root),
            kms_key_id=outputs.data_key_arn,
            environment=target.environment,
            hosts=() if nodes > 1 else ("algo-1",),
        )
    except (TrainingJobError, ValueError) as error:
        raise fail(str(error), ExitCode.FAILED) from None
    sys.stdout.write(
        json.dumps({"job_name": run.job_name, "model_uri": run.model_uri, "metrics": run.metrics}, indent=2)
        + "\n"
    )


def _train_on_sagemaker(
    target, job_name, data_version, nodes, framework, hyperparameters, image_tag, dry_run
) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.eks_trainjob import dataset_uri
    from modelyard.pipelines.quota import QuotaError
    from modelyard.pipelines.steps.step_runtime import StepFailed, StepInputError
    from modelyard.pipelines.steps.train import train as train_step

    outputs = target.outputs
    arguments = {
        "train_uri": dataset_uri(outputs, data_version, "train"),
        "validation_uri": dataset_uri(outputs, data_version, "validation"),
        "platform": "sagemaker",
        "framework": framework,
        "hyperparameters": hyperparameters,
        "job_name": job_name,
        "instance_count": nodes,
        "image_tag": image_tag,
    }
    if dry_run:
        sys.stdout.write(
            json.dumps(
                {
                    "step": "modelyard.pipelines.steps.train.train",
                    "arguments": arguments,
                    "target": target.description,
                },
                indent=2,
            )
            + "\n"
        )
        return
    try:
        result = train_step(outputs, AwsClients(outputs.region, target.endpoint_url), **arguments)
    except (StepFailed, StepInputError, QuotaError, ClientError, BotoCoreError) as error:
        raise fail(f"on {target.description}: {error}", ExitCode.FAILED) from None
    sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
