"""The nodes: their role, a hardened launch template per group, and the system and GPU managed node groups."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from modelyard.components.training_cluster.args import NodeGroupSpec, TrainingClusterArgs
from modelyard.components.training_cluster.service_role import ServiceRole, create_service_role

# AWS-managed policies the nodes need. None grants FullAccess; the registry one is the pull-only successor of
# AmazonEC2ContainerRegistryReadOnly.
NODE_POLICY_ARNS = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_NODE_LABEL = "nvidia.com/gpu.present"
NODE_ROLE_LABEL = "modelyard.io/node-role"


@dataclass
class NodeGroups:
    """The node role and the node groups running as it."""

    role: ServiceRole
    system: aws.eks.NodeGroup
    gpu: list[aws.eks.NodeGroup]


def create_node_groups(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> NodeGroups:
    """The node role, the system group and each GPU group; the groups wait for `after` and the role's policies."""
    role = create_service_role(name, "node-role", "ec2.amazonaws.com", NODE_POLICY_ARNS, args.tags, parent)
    ready = after + role.attachments
    system = _node_group(
        name, args, cluster, args.system_node_group, role, gpu=False, after=ready, parent=parent
    )
    gpu = [
        _node_group(name, args, cluster, group, role, gpu=True, after=ready, parent=parent)
        for group in args.gpu_node_groups
    ]
    return NodeGroups(role, system, gpu)


def node_group_name(args: TrainingClusterArgs, spec: NodeGroupSpec) -> str:
    """The EKS name of a node group: `<cluster>-<group>`."""
    return f"{args.cluster_name}-{spec.name}"


def _node_group(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    spec: NodeGroupSpec,
    node_role: ServiceRole,
    gpu: bool,
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> aws.eks.NodeGroup:
    """A launch template (IMDSv2 only, encrypted gp3 root volume, no public IP) and the managed group using it."""
    group_name = node_group_name(args, spec)
    security_groups = pulumi.Output.all(
        # A launch template that names interfaces must name the cluster security group itself.
        cluster.vpc_config.apply(lambda config: config.cluster_security_group_id),
        pulumi.Output.from_input(args.node_security_group_ids),
    ).apply(lambda values: [values[0], *values[1]])
    instance_tags = {**args.tags, "Name": group_name}
    template = aws.ec2.LaunchTemplate(
        f"{name}-{spec.name}-launch-template",
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
        pulumi.ResourceOptions(parent=parent),
    )
    labels = {NODE_ROLE_LABEL: "gpu" if gpu else "system", "modelyard.io/node-group": spec.name}
    if gpu:
        labels[GPU_NODE_LABEL] = "true"
    return aws.eks.NodeGroup(
        f"{name}-{spec.name}-nodes",
        aws.eks.NodeGroupArgs(
            cluster_name=cluster.name,
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
            parent=parent,
            depends_on=after,
            # The cluster autoscaler (or a person) moves desired size; `pulumi up` must not reset it.
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
