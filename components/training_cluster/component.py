"""The GPU training cluster: private EKS with GPU node groups, GPU plumbing, Kubeflow Trainer and SageMaker training settings."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from modelyard.catalog.instance_types import TRAINING_GPU_FAMILIES
from modelyard.components.monitoring import LOG_RETENTION_DAYS
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:training:TrainingCluster"

# EC2 GPU families a GPU node group may use (AL2023 NVIDIA AMIs support all of them).
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Managed add-ons installed before the nodes join (networking and pod credentials) ...
EARLY_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# ... and after, because CoreDNS only becomes healthy once it has nodes to run on.
LATE_ADDONS = ("coredns",)

GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_NODE_LABEL = "nvidia.com/gpu.present"
NODE_ROLE_LABEL = "modelyard.io/node-role"
# Pinned by digest, so a re-pushed tag cannot change what runs on the nodes: the images NVIDIA's GPU Operator
# v25.3.1 ships (relatedImages of its bundle, NVIDIA/gpu-operator
# bundle/v25.3.1/manifests/gpu-operator-certified.clusterserviceversion.yaml).
DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin@sha256:037160a36de0f060fc21cc0cb2f795d980282ff1471b55530433ca4350b24c4f"
DCGM_EXPORTER_IMAGE = "nvcr.io/nvidia/k8s/dcgm-exporter@sha256:6c78381d83e2ccd84e9645d35d8768d98a52b73c75d1bb9395b5f030ce9bd3a4"
DCGM_EXPORTER_PORT = 9400
DCGM_COUNTERS_FILE = "device-counters.csv"
# dcgm-exporter's counters-file format (field, Prometheus type, help). Device counters only: GPU utilization feeds
# the training dashboard (components/monitoring.py); none is a profiling (DCGM_FI_PROF_*) field.
DCGM_DEVICE_COUNTERS = """\
DCGM_FI_DEV_GPU_UTIL, gauge, GPU utilization (in %).
DCGM_FI_DEV_MEM_COPY_UTIL, gauge, Memory utilization (in %).
DCGM_FI_DEV_FB_USED, gauge, Framebuffer memory used (in MiB).
DCGM_FI_DEV_FB_FREE, gauge, Framebuffer memory free (in MiB).
DCGM_FI_DEV_GPU_TEMP, gauge, GPU temperature (in C).
DCGM_FI_DEV_POWER_USAGE, gauge, Power draw (in W).
DCGM_FI_DEV_XID_ERRORS, gauge, Value of the last XID error encountered.
"""
KUBEFLOW_TRAINER_CHART = "oci://ghcr.io/kubeflow/charts/kubeflow-trainer"
KUBEFLOW_TRAINER_NAMESPACE = "kubeflow-system"

# AWS-managed policies the EKS control plane and nodes need. None grants FullAccess; the registry one is
# the pull-only successor of AmazonEC2ContainerRegistryReadOnly.
CLUSTER_POLICY_ARNS = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICY_ARNS = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_NODE_GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
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
        if self.disk_size_gb < 20:
            found.append(f"{path}.disk_size_gb: must be >= 20 (got {self.disk_size_gb})")
        return found


def _default_system_group() -> NodeGroupSpec:
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
    system_node_group: NodeGroupSpec = field(default_factory=_default_system_group)
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


class TrainingCluster(pulumi.ComponentResource):
    """A private EKS cluster for GPU training, plus the settings SageMaker training jobs run with.

    The Kubernetes resources (device plugin, DCGM exporter, training namespace, Kubeflow Trainer) are
    applied through the cluster's API endpoint. With the default private endpoint, `pulumi up` must run
    from a network that reaches the VPC (VPN, a runner inside the VPC), or enable `public_endpoint` with
    that network's CIDR in `public_access_cidrs`.
    """

    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the EKS cluster."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (JSON) authenticating with `aws eks get-token`, so the AWS CLI v2 must be installed wherever it is
    used (the Kubernetes provider during `pulumi up`, kubectl); a secret."""
    kubernetes_provider: k8s.Provider
    """Provider for further Kubernetes resources on this cluster."""
    node_role_arn: pulumi.Output[str]
    """Role the nodes run as."""
    node_group_names: pulumi.Output[list[str]]
    """Names of the system and GPU node groups."""
    training_namespace: str
    """Namespace for training jobs."""
    training_service_account: str
    """Service account training pods run as."""
    training_job_role_arn: pulumi.Output[str]
    """Role training pods receive through EKS Pod Identity."""
    sagemaker_role_arn: pulumi.Output[str]
    """Execution role of SageMaker training jobs."""
    sagemaker_subnet_ids: pulumi.Output[list[str]]
    """Subnets SageMaker training jobs run in."""
    sagemaker_security_group_ids: pulumi.Output[list[str]]
    """Security groups of SageMaker training jobs."""
    training_output_path: pulumi.Output[str]
    """Where SageMaker training writes models: s3://<artifact bucket>/training/."""
    kms_key_arn: pulumi.Output[str]
    """KMS key for training volumes and outputs."""
    inter_container_traffic_encryption: bool
    """Whether SageMaker encrypts traffic between training instances."""

    def __init__(self, name: str, args: TrainingClusterArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("TrainingCluster", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            aws.cloudwatch.LogGroupArgs(
                # EKS writes to exactly this name; creating it first keeps retention and KMS ours.
                name=f"/aws/eks/{args.cluster_name}/cluster",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
            ),
            child,
        )
        cluster_role = self._service_role("cluster-role", "eks.amazonaws.com", CLUSTER_POLICY_ARNS)
        # Envelope encryption of secrets: EKS uses the key as the cluster role, which no managed policy covers.
        secrets_key_policy = aws.iam.RolePolicy(
            f"{name}-cluster-role-secrets-key",
            aws.iam.RolePolicyArgs(
                role=cluster_role.role.name,
                policy=aws.iam.get_policy_document_output(
                    statements=[
                        aws.iam.GetPolicyDocumentStatementArgs(
                            sid="EncryptSecrets",
                            actions=["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                            resources=[args.kms_key_arn],
                        )
                    ]
                ).json,
            ),
            child,
        )
        node_role = self._service_role("node-role", "ec2.amazonaws.com", NODE_POLICY_ARNS)

        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            aws.eks.ClusterArgs(
                name=args.cluster_name,
                version=args.version,
                role_arn=cluster_role.role.arn,
                vpc_config=aws.eks.ClusterVpcConfigArgs(
                    subnet_ids=args.subnet_ids,
                    endpoint_private_access=True,
                    endpoint_public_access=args.public_endpoint,
                    public_access_cidrs=args.public_access_cidrs if args.public_endpoint else None,
                ),
                encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                    provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.kms_key_arn),
                    resources=["secrets"],
                ),
                enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
                access_config=aws.eks.ClusterAccessConfigArgs(
                    authentication_mode="API",
                    # The identity running `pulumi up` applies the Kubernetes resources below.
                    bootstrap_cluster_creator_admin_permissions=True,
                ),
                deletion_protection=args.deletion_protection,
                tags=args.tags,
            ),
            pulumi.ResourceOptions(
                parent=self, depends_on=[log_group, secrets_key_policy, *cluster_role.attachments]
            ),
        )

        early_addons = [self._addon(addon, []) for addon in EARLY_ADDONS]
        admin_entries = self._admin_access_entries()
        system_group = self._node_group(
            args.system_node_group, node_role, gpu=False, after=early_addons + node_role.attachments
        )
        gpu_groups = [
            self._node_group(group, node_role, gpu=True, after=early_addons + node_role.attachments)
            for group in args.gpu_node_groups
        ]
        late_addons = [self._addon(addon, [system_group]) for addon in LATE_ADDONS]

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name,
                self.cluster.endpoint,
                self.cluster.certificate_authority.apply(lambda authority: authority.data),
                self.cluster.arn,
            ).apply(
                lambda values: _kubeconfig(values[0], values[1], values[2], region=values[3].split(":")[3])
            )
        )
        self.kubernetes_provider = k8s.Provider(
            f"{name}-kubernetes",
            k8s.ProviderArgs(kubeconfig=self.kubeconfig, enable_server_side_apply=True),
            # Everything applied through this provider waits for nodes, networking and admin access.
            pulumi.ResourceOptions(
                parent=self, depends_on=[system_group, *early_addons, *late_addons, *admin_entries]
            ),
        )
        self._device_plugin()
        self._dcgm_exporter()
        self.training_job_role_arn = self._training_identity(early_addons)
        if args.kubeflow_trainer:
            self._kubeflow_trainer()

        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.node_role_arn = node_role.role.arn
        self.node_group_names = pulumi.Output.all(
            *[group.node_group_name for group in [system_group, *gpu_groups]]
        )
        self.training_namespace = args.training_namespace
        self.training_service_account = args.training_service_account
        self.sagemaker_role_arn = pulumi.Output.from_input(args.sagemaker_training_role_arn)
        self.sagemaker_subnet_ids = pulumi.Output.from_input(args.subnet_ids)
        self.sagemaker_security_group_ids = pulumi.Output.from_input(args.sagemaker_security_group_ids)
        self.training_output_path = pulumi.Output.concat("s3://", args.artifact_bucket_name, "/training/")
        self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        self.inter_container_traffic_encryption = args.inter_container_traffic_encryption
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "kubeconfig": self.kubeconfig,
                "node_role_arn": self.node_role_arn,
                "node_group_names": self.node_group_names,
                "training_namespace": self.training_namespace,
                "training_service_account": self.training_service_account,
                "training_job_role_arn": self.training_job_role_arn,
                "sagemaker_role_arn": self.sagemaker_role_arn,
                "sagemaker_subnet_ids": self.sagemaker_subnet_ids,
                "sagemaker_security_group_ids": self.sagemaker_security_group_ids,
                "training_output_path": self.training_output_path,
                "kms_key_arn": self.kms_key_arn,
                "inter_container_traffic_encryption": self.inter_container_traffic_encryption,
            }
        )

    # -- AWS side -------------------------------------------------------------------------------------
    def _service_role(self, role: str, service: str, policy_arns: Sequence[str]) -> _Role:
        trust = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    actions=["sts:AssumeRole"],
                    principals=[
                        aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[service])
                    ],
                )
            ]
        )
        iam_role = aws.iam.Role(
            f"{self._name}-{role}",
            aws.iam.RoleArgs(assume_role_policy=trust.json, tags=self._args.tags),
            pulumi.ResourceOptions(parent=self),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{role}-{policy_arn.rsplit('/', 1)[1]}",
                aws.iam.RolePolicyAttachmentArgs(role=iam_role.name, policy_arn=policy_arn),
                pulumi.ResourceOptions(parent=self),
            )
            for policy_arn in policy_arns
        ]
        return _Role(iam_role, attachments)

    def _addon(self, addon: str, after: list[pulumi.Resource]) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-addon-{addon}",
            aws.eks.AddonArgs(
                cluster_name=self.cluster.name,
                addon_name=addon,
                # Take over the self-managed copies EKS bootstraps; keep later manual tuning on update.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                tags=self._args.tags,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _admin_access_entries(self) -> list[pulumi.Resource]:
        created: list[pulumi.Resource] = []
        for index, principal_arn in enumerate(self._args.admin_principal_arns):
            entry = aws.eks.AccessEntry(
                f"{self._name}-admin-{index}",
                aws.eks.AccessEntryArgs(
                    cluster_name=self.cluster.name,
                    principal_arn=principal_arn,
                    type="STANDARD",
                    tags=self._args.tags,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            created.append(entry)
            created.append(
                aws.eks.AccessPolicyAssociation(
                    f"{self._name}-admin-{index}-policy",
                    aws.eks.AccessPolicyAssociationArgs(
                        cluster_name=self.cluster.name,
                        principal_arn=principal_arn,
                        policy_arn=CLUSTER_ADMIN_POLICY_ARN,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    ),
                    pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )
        return created

    def _node_group(
        self, spec: NodeGroupSpec, node_role: _Role, gpu: bool, after: list[pulumi.Resource]
    ) -> aws.eks.NodeGroup:
        args = self._args
        group_name = f"{args.cluster_name}-{spec.name}"
        security_groups = pulumi.Output.all(
            # A launch template that names interfaces must name the cluster security group itself.
            self.cluster.vpc_config.apply(lambda config: config.cluster_security_group_id),
            pulumi.Output.from_input(args.node_security_group_ids),
        ).apply(lambda values: [values[0], *values[1]])
        instance_tags = {**args.tags, "Name": group_name}
        template = aws.ec2.LaunchTemplate(
            f"{self._name}-{spec.name}-launch-template",
            aws.ec2.LaunchTemplateArgs(
                description=f"Nodes of EKS node group {group_name}",
                update_default_version=True,
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    # Pods (one hop further) cannot reach the node's credentials; they use Pod Identity.
                    http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled",
                ),
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name="/dev/xvda",
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_type="gp3",
                            volume_size=spec.disk_size_gb,
                            encrypted="true",
                            kms_key_id=args.kms_key_arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                network_interfaces=[
                    aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                        device_index=0,
                        associate_public_ip_address="false",
                        delete_on_termination="true",
                        security_groups=security_groups,
                    )
                ],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                    for kind in ("instance", "volume", "network-interface")
                ],
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        labels = {NODE_ROLE_LABEL: "gpu" if gpu else "system", "modelyard.io/node-group": spec.name}
        if gpu:
            labels[GPU_NODE_LABEL] = "true"
        return aws.eks.NodeGroup(
            f"{self._name}-{spec.name}-nodes",
            aws.eks.NodeGroupArgs(
                cluster_name=self.cluster.name,
                node_group_name=group_name,
                node_role_arn=node_role.role.arn,
                subnet_ids=args.subnet_ids,
                instance_types=spec.instance_types,
                ami_type="AL2023_x86_64_NVIDIA" if gpu else "AL2023_x86_64_STANDARD",
                capacity_type="SPOT" if spec.spot else "ON_DEMAND",
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=spec.min_size, max_size=spec.max_size, desired_size=spec.desired_size
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                labels=labels,
                taints=[aws.eks.NodeGroupTaintArgs(key=GPU_TAINT_KEY, value="true", effect="NO_SCHEDULE")]
                if gpu
                else None,
                tags=args.tags,
            ),
            pulumi.ResourceOptions(
                parent=self,
                depends_on=after,
                # The cluster autoscaler (or a person) moves desired size; `pulumi up` must not reset it.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _training_identity(self, early_addons: list[aws.eks.Addon]) -> pulumi.Output[str]:
        args = self._args
        opts = pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider)
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-training-namespace",
            k8s.core.v1.NamespaceInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.training_namespace,
                    # Training containers need no host access; baseline rejects privileged pods.
                    labels={"pod-security.kubernetes.io/enforce": "baseline"},
                )
            ),
            opts,
        )
        k8s.core.v1.ServiceAccount(
            f"{self._name}-training-service-account",
            k8s.core.v1.ServiceAccountInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.training_service_account, namespace=args.training_namespace
                )
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider, depends_on=[namespace]),
        )
        role_arn = (
            pulumi.Output.from_input(args.training_job_role_arn)
            if args.training_job_role_arn
            else self._training_job_role()
        )
        aws.eks.PodIdentityAssociation(
            f"{self._name}-training-pod-identity",
            aws.eks.PodIdentityAssociationArgs(
                cluster_name=self.cluster.name,
                namespace=args.training_namespace,
                service_account=args.training_service_account,
                role_arn=role_arn,
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=early_addons),
        )
        return role_arn

    def _training_job_role(self) -> pulumi.Output[str]:
        args = self._args
        trust = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    actions=["sts:AssumeRole", "sts:TagSession"],
                    principals=[
                        aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                            type="Service", identifiers=["pods.eks.amazonaws.com"]
                        )
                    ],
                )
            ]
        )
        role = aws.iam.Role(
            f"{self._name}-training-job-role",
            aws.iam.RoleArgs(assume_role_policy=trust.json, tags=args.tags),
            pulumi.ResourceOptions(parent=self),
        )
        data_arn = pulumi.Output.concat("arn:aws:s3:::", args.data_bucket_name)
        artifact_arn = pulumi.Output.concat("arn:aws:s3:::", args.artifact_bucket_name)
        permissions = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ListBuckets", actions=["s3:ListBucket"], resources=[data_arn, artifact_arn]
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ReadData", actions=["s3:GetObject"], resources=[pulumi.Output.concat(data_arn, "/*")]
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ReadWriteArtifacts",
                    actions=["s3:GetObject", "s3:PutObject"],
                    resources=[pulumi.Output.concat(artifact_arn, "/*")],
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="UseDataKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[args.kms_key_arn],
                ),
            ]
        )
        aws.iam.RolePolicy(
            f"{self._name}-training-job-access",
            aws.iam.RolePolicyArgs(role=role.name, policy=permissions.json),
            pulumi.ResourceOptions(parent=self),
        )
        return role.arn

    # -- Kubernetes side ------------------------------------------------------------------------------
    def _gpu_daemon_set(
        self,
        role: str,
        app: str,
        container: k8s.core.v1.ContainerArgs,
        volumes: list[k8s.core.v1.VolumeArgs],
        ingress_ports: Sequence[int] = (),
    ) -> k8s.apps.v1.DaemonSet:
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": "modelyard"}
        self._network_policy(role, app, labels, ingress_ports)
        return k8s.apps.v1.DaemonSet(
            f"{self._name}-{role}",
            k8s.apps.v1.DaemonSetInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace="kube-system", labels=labels),
                spec=k8s.apps.v1.DaemonSetSpecArgs(
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                        spec=k8s.core.v1.PodSpecArgs(
                            # Neither daemon calls the Kubernetes API (they talk to the kubelet's sockets on the
                            # host), so no service-account token is mounted.
                            automount_service_account_token=False,
                            security_context=k8s.core.v1.PodSecurityContextArgs(
                                seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")
                            ),
                            priority_class_name="system-node-critical",
                            node_selector={GPU_NODE_LABEL: "true"},
                            tolerations=[
                                k8s.core.v1.TolerationArgs(
                                    key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule"
                                ),
                                k8s.core.v1.TolerationArgs(key="CriticalAddonsOnly", operator="Exists"),
                            ],
                            containers=[container],
                            volumes=volumes,
                        ),
                    ),
                ),
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider),
        )

    def _network_policy(self, role: str, app: str, labels: dict[str, str], ingress_ports: Sequence[int]) -> None:
        """Both daemons talk to the kubelet through host sockets, not the network: no egress, and ingress only on
        the ports they serve. EKS enforces NetworkPolicy once the VPC CNI's network policy agent is enabled
        (docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html); until then this is inert, not harmful."""
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{role}-network-policy",
            k8s.networking.v1.NetworkPolicyInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace="kube-system", labels=labels),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                    policy_types=["Ingress", "Egress"],
                    ingress=[
                        k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                            ports=[
                                k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP")
                                for port in ingress_ports
                            ]
                        )
                    ] if ingress_ports else [],
                    egress=[],
                ),
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider),
        )

    def _device_plugin(self) -> None:
        self._gpu_daemon_set(
            "device-plugin",
            "nvidia-device-plugin",
            k8s.core.v1.ContainerArgs(
                name="nvidia-device-plugin",
                image=DEVICE_PLUGIN_IMAGE,
                security_context=k8s.core.v1.SecurityContextArgs(
                    allow_privilege_escalation=False, capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])
                ),
                resources=k8s.core.v1.ResourceRequirementsArgs(
                    requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "200m", "memory": "256Mi"}
                ),
                volume_mounts=[
                    k8s.core.v1.VolumeMountArgs(
                        name="device-plugin", mount_path="/var/lib/kubelet/device-plugins"
                    )
                ],
            ),
            [
                k8s.core.v1.VolumeArgs(
                    name="device-plugin",
                    host_path=k8s.core.v1.HostPathVolumeSourceArgs(
                        path="/var/lib/kubelet/device-plugins", type="Directory"
                    ),
                )
            ],
        )

    def _dcgm_exporter(self) -> None:
        counters = k8s.core.v1.ConfigMap(
            f"{self._name}-dcgm-exporter-counters",
            k8s.core.v1.ConfigMapInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name="dcgm-exporter-counters", namespace="kube-system"),
                data={DCGM_COUNTERS_FILE: DCGM_DEVICE_COUNTERS},
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider),
        )
        daemon_set = self._gpu_daemon_set(
            "dcgm-exporter",
            "dcgm-exporter",
            k8s.core.v1.ContainerArgs(
                name="dcgm-exporter",
                image=DCGM_EXPORTER_IMAGE,
                args=["-f", f"/etc/dcgm-exporter/modelyard/{DCGM_COUNTERS_FILE}"],
                env=[
                    k8s.core.v1.EnvVarArgs(name="DCGM_EXPORTER_KUBERNETES", value="true"),
                    k8s.core.v1.EnvVarArgs(name="DCGM_EXPORTER_LISTEN", value=f":{DCGM_EXPORTER_PORT}"),
                ],
                ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=DCGM_EXPORTER_PORT)],
                # Root to open the GPU devices through DCGM. No SYS_ADMIN: only profiling (DCP) counters need it,
                # since the driver keeps performance counters to admins (developer.nvidia.com/ERR_NVGPUCTRPERM), and
                # the counters file below asks for device counters only.
                security_context=k8s.core.v1.SecurityContextArgs(
                    run_as_user=0,
                    run_as_non_root=False,
                    allow_privilege_escalation=False,
                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                ),
                # dcgm-exporter answers /health on its metrics port
                # (NVIDIA/dcgm-exporter deployment/templates/daemonset.yaml probes it the same way).
                liveness_probe=k8s.core.v1.ProbeArgs(
                    http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=DCGM_EXPORTER_PORT),
                    initial_delay_seconds=45,
                    period_seconds=5,
                ),
                readiness_probe=k8s.core.v1.ProbeArgs(
                    http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=DCGM_EXPORTER_PORT),
                    initial_delay_seconds=45,
                ),
                resources=k8s.core.v1.ResourceRequirementsArgs(
                    requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "1Gi"}
                ),
                volume_mounts=[
                    k8s.core.v1.VolumeMountArgs(
                        name="pod-resources", mount_path="/var/lib/kubelet/pod-resources", read_only=True
                    ),
                    k8s.core.v1.VolumeMountArgs(
                        name="counters", mount_path="/etc/dcgm-exporter/modelyard", read_only=True
                    ),
                ],
            ),
            [
                k8s.core.v1.VolumeArgs(
                    name="pod-resources",
                    host_path=k8s.core.v1.HostPathVolumeSourceArgs(
                        path="/var/lib/kubelet/pod-resources", type="Directory"
                    ),
                ),
                k8s.core.v1.VolumeArgs(
                    name="counters",
                    config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=counters.metadata.name),
                ),
            ],
            ingress_ports=(DCGM_EXPORTER_PORT,),
        )
        k8s.core.v1.Service(
            f"{self._name}-dcgm-exporter-service",
            k8s.core.v1.ServiceInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="dcgm-exporter",
                    namespace="kube-system",
                    labels={"app.kubernetes.io/name": "dcgm-exporter"},
                    # Lets a Prometheus scraper (e.g. the CloudWatch agent) find the GPU metrics.
                    annotations={
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(DCGM_EXPORTER_PORT),
                    },
                ),
                spec=k8s.core.v1.ServiceSpecArgs(
                    type="ClusterIP",
                    selector={"app.kubernetes.io/name": "dcgm-exporter"},
                    ports=[
                        k8s.core.v1.ServicePortArgs(
                            name="metrics", port=DCGM_EXPORTER_PORT, target_port="metrics"
                        )
                    ],
                ),
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider, depends_on=[daemon_set]),
        )

    def _kubeflow_trainer(self) -> None:
        k8s.helm.v3.Release(
            f"{self._name}-kubeflow-trainer",
            k8s.helm.v3.ReleaseArgs(
                name="kubeflow-trainer",
                chart=KUBEFLOW_TRAINER_CHART,
                version=self._args.kubeflow_trainer_version,
                namespace=KUBEFLOW_TRAINER_NAMESPACE,
                create_namespace=True,
                values={
                    "jobset": {"install": True},
                    "runtimes": {"torchDistributed": {"enabled": True}},
                },
                atomic=True,
                timeout=900,
            ),
            pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider),
        )


@dataclass
class _Role:
    role: aws.iam.Role
    attachments: list[aws.iam.RolePolicyAttachment]


def _kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, *, region: str) -> str:
    """A kubeconfig that fetches short-lived tokens with `aws eks get-token` (no stored credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )
