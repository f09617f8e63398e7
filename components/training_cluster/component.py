"""The GPU training cluster: private EKS with GPU node groups, GPU plumbing, Kubeflow Trainer and SageMaker training
settings, built in the order its parts depend on each other (each builder is a module of this package)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from modelyard.components.training_cluster.args import TrainingClusterArgs
from modelyard.components.training_cluster.cluster_autoscaler import create_cluster_autoscaler
from modelyard.components.training_cluster.control_plane import (
    EARLY_ADDONS,
    LATE_ADDONS,
    create_addons,
    create_admin_access,
    create_control_plane,
)
from modelyard.components.training_cluster.gpu_daemons import create_gpu_daemons
from modelyard.components.training_cluster.kubeflow_trainer import create_kubeflow_trainer
from modelyard.components.training_cluster.kubernetes_access import create_kubernetes_access
from modelyard.components.training_cluster.node_groups import create_node_groups
from modelyard.components.training_cluster.training_identity import create_training_identity
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:training:TrainingCluster"


class TrainingCluster(pulumi.ComponentResource):
    """A private EKS cluster for GPU training, plus the settings SageMaker training jobs run with.

    The Kubernetes resources (device plugin, DCGM exporter, Cluster Autoscaler, training namespace, Kubeflow
    Trainer) are applied through the cluster's API endpoint. With the default private endpoint, `pulumi up` must
    run from a network that reaches the VPC (VPN, a runner inside the VPC), or enable `public_endpoint` with that
    network's CIDR in `public_access_cidrs`.
    """

    cluster: aws.eks.Cluster
    """The EKS cluster."""
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
    cluster_autoscaler_role_arn: pulumi.Output[str]
    """Role the Cluster Autoscaler receives through EKS Pod Identity (scales the node groups)."""
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

        self.cluster = create_control_plane(name, args, self)
        early_addons = create_addons(name, args, self.cluster, EARLY_ADDONS, after=[], parent=self)
        admin_access = create_admin_access(name, args, self.cluster, self)
        nodes = create_node_groups(name, args, self.cluster, after=early_addons, parent=self)
        late_addons = create_addons(name, args, self.cluster, LATE_ADDONS, after=[nodes.system], parent=self)
        access = create_kubernetes_access(
            name, self.cluster, after=[nodes.system, *early_addons, *late_addons, *admin_access], parent=self
        )
        create_gpu_daemons(name, access.provider, self)
        self.cluster_autoscaler_role_arn = create_cluster_autoscaler(
            name, args, self.cluster, access.provider, after=early_addons, parent=self
        )
        self.training_job_role_arn = create_training_identity(
            name, args, self.cluster, access.provider, after=early_addons, parent=self
        )
        if args.kubeflow_trainer:
            create_kubeflow_trainer(name, args, access.provider, self)

        self.kubeconfig = access.kubeconfig
        self.kubernetes_provider = access.provider
        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.node_role_arn = nodes.role.role.arn
        self.node_group_names = pulumi.Output.all(
            *[group.node_group_name for group in [nodes.system, *nodes.gpu]]
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
                "cluster_autoscaler_role_arn": self.cluster_autoscaler_role_arn,
                "sagemaker_role_arn": self.sagemaker_role_arn,
                "sagemaker_subnet_ids": self.sagemaker_subnet_ids,
                "sagemaker_security_group_ids": self.sagemaker_security_group_ids,
                "training_output_path": self.training_output_path,
                "kms_key_arn": self.kms_key_arn,
                "inter_container_traffic_encryption": self.inter_container_traffic_encryption,
            }
        )
