"""The EKS control plane: its role, its log group, envelope encryption of secrets, managed add-ons, admin access."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.policy_documents import policy_document
from modelyard.components.training_cluster.args import TrainingClusterArgs
from modelyard.components.training_cluster.service_role import create_service_role

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Managed add-ons installed before the nodes join (networking and pod credentials) ...
EARLY_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
# ... and after, because CoreDNS only becomes healthy once it has nodes to run on.
LATE_ADDONS = ("coredns",)

# The AWS-managed policy the EKS control plane needs (not a FullAccess one).
CLUSTER_POLICY_ARNS = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def create_control_plane(name: str, args: TrainingClusterArgs, parent: pulumi.Resource) -> aws.eks.Cluster:
    """The cluster, after its log group, its role's policies and the role's use of the secrets key."""
    child = pulumi.ResourceOptions(parent=parent)
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
    cluster_role = create_service_role(
        name, "cluster-role", "eks.amazonaws.com", CLUSTER_POLICY_ARNS, args.tags, parent
    )
    # Envelope encryption of secrets: EKS uses the key as the cluster role, which no managed policy covers.
    secrets_key_policy = aws.iam.RolePolicy(
        f"{name}-cluster-role-secrets-key",
        aws.iam.RolePolicyArgs(
            role=cluster_role.role.name,
            policy=policy_document(
                [
                    {
                        "Sid": "EncryptSecrets",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                        "Resource": [args.kms_key_arn],
                    }
                ]
            ),
        ),
        child,
    )
    return aws.eks.Cluster(
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
            parent=parent, depends_on=[log_group, secrets_key_policy, *cluster_role.attachments]
        ),
    )


def create_addons(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    addons: tuple[str, ...],
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> list[aws.eks.Addon]:
    """One managed add-on per name in `addons`, each created after `after`."""
    return [
        aws.eks.Addon(
            f"{name}-addon-{addon}",
            aws.eks.AddonArgs(
                cluster_name=cluster.name,
                addon_name=addon,
                # Take over the self-managed copies EKS bootstraps; keep later manual tuning on update.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=parent, depends_on=after),
        )
        for addon in addons
    ]


def create_admin_access(
    name: str, args: TrainingClusterArgs, cluster: aws.eks.Cluster, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """An access entry with the cluster-admin access policy for each of `args.admin_principal_arns`."""
    created: list[pulumi.Resource] = []
    for index, principal_arn in enumerate(args.admin_principal_arns):
        entry = aws.eks.AccessEntry(
            f"{name}-admin-{index}",
            aws.eks.AccessEntryArgs(
                cluster_name=cluster.name,
                principal_arn=principal_arn,
                type="STANDARD",
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=parent),
        )
        created.append(entry)
        created.append(
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}-policy",
                aws.eks.AccessPolicyAssociationArgs(
                    cluster_name=cluster.name,
                    principal_arn=principal_arn,
                    policy_arn=CLUSTER_ADMIN_POLICY_ARN,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                ),
                pulumi.ResourceOptions(parent=parent, depends_on=[entry]),
            )
        )
    return created
