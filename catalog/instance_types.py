"""Instance-type facts: accelerator families, the GPU families the platform allows, families with local NVMe storage."""

from __future__ import annotations

import re

# GPU families a training node group or training job may use (EC2 / SageMaker instance types).
TRAINING_GPU_FAMILIES = ("g5", "g6", "g6e", "p4d", "p5")
# GPU families an inference endpoint may use (SageMaker instance types, "ml." prefix).
INFERENCE_GPU_FAMILIES = ("g5", "g6", "g6e", "p4d", "p5", "inf2")

# GPU and ML-accelerator families (EC2 and SageMaker): p*, g*, gr*, inf*, trn*, dl*.
ACCELERATED_FAMILY = re.compile(r"^(p\d|g\d|gr\d|inf\d|trn\d|dl\d)")

# SageMaker families whose instances carry local NVMe instance storage. That storage is hardware-encrypted,
# and SageMaker rejects a KMS key for the storage volume when any variant (or a training job) uses one
# of them (CreateEndpointConfig KmsKeyId, ResourceConfig VolumeKmsKeyId, ProcessingClusterConfig VolumeKmsKeyId:
# "You can't request a VolumeKmsKeyId when using an instance type with local storage", SageMaker API reference;
# list: https://docs.aws.amazon.com/sagemaker/latest/dg/host-instance-storage.html "Instance Store Volumes").
LOCAL_STORAGE_FAMILIES = frozenset(
    {
        "c5d",
        "m5d",
        "r5d",
        "c6id",
        "m6id",
        "r6id",
        "g4dn",
        "g5",
        "g6",
        "g6e",
        "gr6",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "trn1",
        "trn1n",
        "trn2",
    }
)


_LOCAL_NVME_SUFFIX = re.compile(r"[a-z]+\d+[a-z]*d[a-z]*")


def family(instance_type: str) -> str:
    """'ml.g5.2xlarge' -> 'g5'; 'p4d.24xlarge' -> 'p4d'."""
    return instance_type.removeprefix("ml.").split(".")[0]


def is_accelerated(instance_type: str) -> bool:
    return bool(ACCELERATED_FAMILY.match(family(instance_type)))


def has_local_storage(instance_type: str) -> bool:
    """Whether the type brings local NVMe storage, for which SageMaker refuses a volume KMS key."""
    name = family(instance_type)
    # Beyond the list, "d" after the generation marks local NVMe in EC2's naming (m5dn, r5dn, c5ad, m6gd).
    return name in LOCAL_STORAGE_FAMILIES or bool(_LOCAL_NVME_SUFFIX.fullmatch(name))


def disallowed_gpu(instance_type: str, allowed_families: tuple[str, ...]) -> bool:
    """A GPU/accelerator type outside the allowed families (CPU types are not this rule's business)."""
    return is_accelerated(instance_type) and family(instance_type) not in allowed_families


__all__ = [
    "INFERENCE_GPU_FAMILIES",
    "TRAINING_GPU_FAMILIES",
    "disallowed_gpu",
    "family",
    "has_local_storage",
    "is_accelerated",
]
