"""TrainingCluster's args: the node group spec, the cluster args, and their validation (every problem with its path)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from modelyard.catalog.instance_types import TRAINING_GPU_FAMILIES
from modelyard.components.monitoring import LOG_RETENTION_DAYS
from modelyard.components.tagging import tag_problems
from modelyard.components.training_cluster.autoscaler_images import autoscaler_image_problem

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
# The node group's limits, which the stack config schema (stacks/config.py) applies as well.
NODE_GROUP_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
MIN_NODE_DISK_SIZE_GB = 20
_NODE_GROUP_NAME = re.compile(NODE_GROUP_NAME_PATTERN)
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_EKS_VERSION = re.compile(r"^1\.\d{2}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(kw_only=True)
class NodeGroupSpec:
    """One EKS managed node group."""

    name: str
    """Suffix of the node group name (`<cluster>-<name>`): lowercase letters, digits, dashes. Required."""
    instance_types: list[str]
    """EC2 instance types (GPU groups: g5/g6/g6e/p4d/p5 families). Required."""
    min_size: int = 0
    """Minimum nodes; 0 lets the group scale to zero. Default 0."""
    max_size: int = 1
    """Maximum nodes. Default 1."""
    desired_size: int = 0
    """Nodes at creation. Default 0."""
    spot: bool = False
    """Run on spot capacity (capacity type SPOT) instead of on-demand. Default False."""
    disk_size_gb: int = 200
    """Size of the encrypted gp3 root volume, in GiB. Default 200."""

    def problems(self, path: str) -> list[str]:
        found = []
        if not _NODE_GROUP_NAME.match(self.name):
            found.append(f"{path}.name: {self.name!r} must be 1-31 lowercase letters, digits or dashes")
        if not self.instance_types:
            found.append(f"{path}.instance_types: at least one instance type is required")
        if self.min_size < 0:
            found.append(f"{path}.min_size: must be >= 0 (got {self.min_size})")
        if self.max_size < 1:
            found.append(f"{path}.max_size: must be >= 1 (got {self.max_size})")
        if not self.min_size <= self.desired_size <= self.max_size:
            found.append(
                f"{path}: sizes must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size}, {self.desired_size}, {self.max_size})"
            )
        if self.disk_size_gb < MIN_NODE_DISK_SIZE_GB:
            found.append(f"{path}.disk_size_gb: must be >= {MIN_NODE_DISK_SIZE_GB} (got {self.disk_size_gb})")
        return found


def default_system_node_group() -> NodeGroupSpec:
    """The CPU group for add-ons and controllers when none is given: 1-2 on-demand m6i.large."""
    return NodeGroupSpec(name="system", instance_types=["m6i.large"], min_size=1, max_size=2, desired_size=1)


@dataclass(kw_only=True)
class TrainingClusterArgs:
    """Inputs of a TrainingCluster; plain ids, ARNs and names so any program can supply them."""

    cluster_name: str
    """Name of the EKS cluster; also names its log group and node groups. Required."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets (two or more AZs) for the control plane, the nodes and SageMaker training. Required."""
    kms_key_arn: pulumi.Input[str]
    """KMS key encrypting Kubernetes secrets, node volumes and the control-plane log group. Required."""
    artifact_bucket_name: pulumi.Input[str]
    """Bucket training writes to; SageMaker jobs use s3://<bucket>/training/. Required."""
    data_bucket_name: pulumi.Input[str]
    """Bucket of the datasets training pods read (used when this component creates the job role). Required."""
    sagemaker_training_role_arn: pulumi.Input[str]
    """Execution role of SageMaker training jobs, exported with the training settings. Required."""
    sagemaker_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of SageMaker training jobs (exported with the training settings). Required."""
    version: str = "1.35"
    """Kubernetes version of the control plane (see policies/eks_versions.py). Default "1.35"."""
    public_endpoint: bool = False
    """Also expose the API endpoint publicly, reachable only from public_access_cidrs. Default False (private)."""
    public_access_cidrs: list[str] = field(default_factory=list)
    """CIDRs allowed to reach a public API endpoint; required with public_endpoint. Default []."""
    node_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    """Security groups added to the nodes next to the EKS cluster security group. Default []."""
    system_node_group: NodeGroupSpec = field(default_factory=default_system_node_group)
    """CPU node group for cluster add-ons and controllers. Default 1-2 on-demand m6i.large."""
    gpu_node_groups: list[NodeGroupSpec] = field(default_factory=list)
    """GPU node groups (tainted nvidia.com/gpu=true:NoSchedule); at least one is required. Default []."""
    log_retention_days: int = 365
    """Retention of the control-plane log group, in days (a CloudWatch-allowed value). Default 365."""
    admin_principal_arns: list[pulumi.Input[str]] = field(default_factory=list)
    """IAM principals granted cluster admin through EKS access entries (e.g. the CI role). Default []."""
    training_namespace: str = "training"
    """Kubernetes namespace for training jobs. Default "training"."""
    training_service_account: str = "training-job"
    """Service account training pods run as, bound to the job role by EKS Pod Identity. Default "training-job"."""
    training_job_role_arn: pulumi.Input[str] | None = None
    """Role for training pods (must trust pods.eks.amazonaws.com); None creates one. Default None."""
    kubeflow_trainer: bool = True
    """Install Kubeflow Trainer (Helm chart kubeflow-trainer) with the torch-distributed runtime. Default True."""
    kubeflow_trainer_version: str = "2.3.0"
    """Version of the kubeflow-trainer Helm chart. Default "2.3.0"."""
    inter_container_traffic_encryption: bool = True
    """Encrypt traffic between SageMaker training instances (exported setting). Default True."""
    deletion_protection: bool = False
    """Refuse to delete the EKS cluster until this is turned off. Default False."""
    tags: dict[str, str]
    """Tags on every AWS resource that takes them: project, environment, owner, cost-center. Required."""

    def problems(self) -> list[str]:
        """Every invalid field, each with its path; empty when the args are usable."""
        found = tag_problems(self.tags)
        if not _CLUSTER_NAME.match(self.cluster_name):
            found.append(
                f"cluster_name: {self.cluster_name!r} must be 1-100 letters, digits, dashes or underscores"
            )
        if not _EKS_VERSION.match(self.version):
            found.append(f"version: {self.version!r} is not a Kubernetes minor version like '1.33'")
        elif problem := autoscaler_image_problem(self.version):
            found.append(f"version: {problem}")
        if isinstance(self.subnet_ids, list) and len(self.subnet_ids) < 2:
            found.append("subnet_ids: EKS needs subnets in at least two availability zones")
        if self.public_endpoint and not self.public_access_cidrs:
            found.append("public_access_cidrs: a public endpoint needs a non-empty CIDR allow-list")
        if not self.public_endpoint and self.public_access_cidrs:
            found.append("public_access_cidrs: only applies with public_endpoint=True")
        for index, cidr in enumerate(self.public_access_cidrs):
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                found.append(f"public_access_cidrs[{index}]: {cidr!r} is not a valid CIDR block")
                continue
            if network.prefixlen == 0:
                found.append(f"public_access_cidrs[{index}]: {cidr!r} opens the API endpoint to the world")
        found += self.system_node_group.problems("system_node_group")
        if not self.gpu_node_groups:
            found.append("gpu_node_groups: at least one GPU node group is required")
        for index, group in enumerate(self.gpu_node_groups):
            path = f"gpu_node_groups[{index}]"
            found += group.problems(path)
            for type_index, instance_type in enumerate(group.instance_types):
                if instance_type.split(".")[0] not in TRAINING_GPU_FAMILIES:
                    found.append(
                        f"{path}.instance_types[{type_index}]: {instance_type!r} is not in the GPU families "
                        f"{', '.join(TRAINING_GPU_FAMILIES)}"
                    )
        names = [self.system_node_group.name] + [group.name for group in self.gpu_node_groups]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            found.append(f"gpu_node_groups: node group name {duplicate!r} is used more than once")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            found.append(
                f"log_retention_days: {self.log_retention_days} is not a CloudWatch retention period"
            )
        for key in ("training_namespace", "training_service_account"):
            if not _DNS_LABEL.match(getattr(self, key)):
                found.append(f"{key}: {getattr(self, key)!r} is not a Kubernetes DNS label")
        if not _SEMVER.match(self.kubeflow_trainer_version):
            found.append(
                f"kubeflow_trainer_version: {self.kubeflow_trainer_version!r} is not a chart version like 2.3.0"
            )
        return found
