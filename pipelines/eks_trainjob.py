"""Builds (and submits) the Kubeflow Trainer v2 `TrainJob` that runs our PyTorch entry point with DDP on EKS GPUs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kubeflow_trainer_api import models

from modelyard.catalog.errors import InputError
from modelyard.catalog.outputs import StackOutputs

TRAINJOB_GROUP = "trainer.kubeflow.org"
TRAINJOB_VERSION = "v1alpha1"
TRAINJOB_PLURAL = "trainjobs"
TORCH_RUNTIME = "torch-distributed"
# The torch runtime's replicated job (and container) that runs the trainer on every node.
NODE_JOB = "node"
GPU_RESOURCE = "nvidia.com/gpu"
# The taint and label the TrainingCluster puts on its GPU node groups.
GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT = "nvidia.com/gpu", "true", "NoSchedule"
GPU_NODE_LABEL = "nvidia.com/gpu.present"
# Who owns the runtime patch entry (Kubeflow keys patches by manager).
PATCH_MANAGER = "modelyard.dev/train"
TRAINING_MODULE = "modelyard.model_code.training.train_torch"
RUNNER_MODULE = "modelyard.pipelines.definition.training_job_runner"
_JOB_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


class TrainJobError(InputError, ValueError):
    """A TrainJob argument is invalid, or the cluster refused the job; the message names the field."""


def dataset_uri(outputs: StackOutputs, data_version: str, split: str) -> str:
    """Where a data version's split lies (the layout the ingest step writes)."""
    return f"s3://{outputs.data_bucket}/datasets/{data_version}/{split}.csv"


def build_trainjob(
    outputs: StackOutputs,
    *,
    job_name: str,
    data_version: str,
    nodes: int,
    image_tag: str,
    gpus_per_node: int = 1,
    hyperparameters: Mapping[str, str] | None = None,
) -> models.TrainerV1alpha1TrainJob:
    """A TrainJob on the `torch-distributed` runtime: `nodes` pods with `gpus_per_node` GPUs each, scheduled on
    the tainted GPU nodes under the training service account, running torchrun over our training image.

    Each pod stages the data version's channels from S3 like a SageMaker job; node 0 uploads model.tar.gz to
    `<training_output_path>/<job_name>/output/`.
    """
    problems = []
    if not _JOB_NAME.match(job_name):
        problems.append(f"job name {job_name!r} must be a DNS label (lowercase letters, digits, '-'; max 63)")
    if nodes < 1:
        problems.append(f"nodes={nodes} must be at least 1")
    if gpus_per_node < 1:
        problems.append(f"gpus_per_node={gpus_per_node} must be at least 1")
    if not data_version or "/" in data_version:
        problems.append(f"data version {data_version!r} must be a non-empty name without '/'")
    if problems:
        raise TrainJobError("invalid TrainJob: " + "; ".join(problems))

    command = [
        "python",
        "-m",
        RUNNER_MODULE,
        "--job-name",
        job_name,
        "--channel",
        f"train={dataset_uri(outputs, data_version, 'train')}",
        "--channel",
        f"validation={dataset_uri(outputs, data_version, 'validation')}",
        "--output-path",
        outputs.training_output_path,
        "--kms-key-id",
        outputs.data_key_arn,
        "--hyperparameters",
        json.dumps(dict(hyperparameters or {}), sort_keys=True),
        # torchrun reads the node count, node rank and rendezvous from the PET_* variables the runtime sets.
        "--",
        "torchrun",
        "--module",
        TRAINING_MODULE,
    ]
    gpus = models.IoK8sApimachineryPkgApiResourceQuantity(str(gpus_per_node))
    trainer = models.TrainerV1alpha1Trainer(
        image=f"{outputs.training_repository_url}:{image_tag}",
        command=command,
        num_nodes=nodes,
        resources_per_node=models.IoK8sApiCoreV1ResourceRequirements(
            limits={GPU_RESOURCE: gpus}, requests={GPU_RESOURCE: gpus}
        ),
        env=[
            models.IoK8sApiCoreV1EnvVar(name="AWS_REGION", value=outputs.region),
            models.IoK8sApiCoreV1EnvVar(name="AWS_DEFAULT_REGION", value=outputs.region),
        ],
    )
    pod = models.TrainerV1alpha1PodSpecPatch(
        service_account_name=outputs.training_service_account,
        tolerations=[
            models.IoK8sApiCoreV1Toleration(
                key=GPU_TAINT_KEY, operator="Equal", value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT
            )
        ],
        node_selector={GPU_NODE_LABEL: "true"},
    )
    patch = models.TrainerV1alpha1RuntimePatch(
        manager=PATCH_MANAGER,
        training_runtime_spec=models.TrainerV1alpha1TrainingRuntimeSpecPatch(
            template=models.TrainerV1alpha1JobSetTemplatePatch(
                spec=models.TrainerV1alpha1JobSetSpecPatch(
                    replicated_jobs=[
                        models.TrainerV1alpha1ReplicatedJobPatch(
                            name=NODE_JOB,
                            template=models.TrainerV1alpha1JobTemplatePatch(
                                spec=models.TrainerV1alpha1JobSpecPatch(
                                    template=models.TrainerV1alpha1PodTemplatePatch(spec=pod)
                                )
                            ),
                        ),
                    ]
                ),
            ),
        ),
    )
    return models.TrainerV1alpha1TrainJob(
        api_version=f"{TRAINJOB_GROUP}/{TRAINJOB_VERSION}",
        kind="TrainJob",
        metadata=models.IoK8sApimachineryPkgApisMetaV1ObjectMeta(
            name=job_name,
            namespace=outputs.training_namespace,
            labels={
                "app.kubernetes.io/part-of": "modelyard",
                "modelyard.dev/environment": outputs.environment,
                "modelyard.dev/data-version": data_version[:63],
            },
        ),
        spec=models.TrainerV1alpha1TrainJobSpec(
            runtime_ref=models.TrainerV1alpha1RuntimeRef(name=TORCH_RUNTIME),
            trainer=trainer,
            runtime_patches=[patch],
        ),
    )


def submit_trainjob(trainjob: models.TrainerV1alpha1TrainJob, kubeconfig: str) -> dict[str, Any]:
    """Create the TrainJob with the Kubernetes client, authenticated by the stack's kubeconfig (JSON or YAML)."""
    try:
        from kubernetes import client, config
        from kubernetes.client.exceptions import ApiException
    except ImportError:
        raise TrainJobError(
            "submitting to EKS needs the `kubernetes` package (pip install kubernetes); "
            "--dry-run prints the TrainJob without it"
        ) from None
    import yaml

    try:
        document = yaml.safe_load(kubeconfig)
    except yaml.YAMLError as error:
        raise TrainJobError(f"the stack output kubeconfig is not valid YAML/JSON: {error}") from None
    if not isinstance(document, dict) or not document.get("clusters"):
        raise TrainJobError("the stack output kubeconfig has no clusters")
    api_client = config.new_client_from_config_dict(document)
    body = trainjob.to_dict()
    try:
        return client.CustomObjectsApi(api_client).create_namespaced_custom_object(
            TRAINJOB_GROUP, TRAINJOB_VERSION, trainjob.metadata.namespace, TRAINJOB_PLURAL, body
        )
    except ApiException as error:
        raise TrainJobError(
            f"the cluster refused TrainJob {trainjob.metadata.name}: {error.status} {error.reason}: "
            f"{(error.body or '')[:500]}"
        ) from None
