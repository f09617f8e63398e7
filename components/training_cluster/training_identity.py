"""Where training pods run: their namespace and service account, and the role EKS Pod Identity gives them."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from modelyard.components.training_cluster.args import TrainingClusterArgs


def create_training_identity(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    provider: k8s.Provider,
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """The namespace, the service account and its Pod Identity association (after `after`: the agent add-on);
    returns the ARN of the role the pods get (args.training_job_role_arn, or one created here)."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    namespace = k8s.core.v1.Namespace(
        f"{name}-training-namespace",
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
        f"{name}-training-service-account",
        k8s.core.v1.ServiceAccountInitArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.training_service_account, namespace=args.training_namespace
            )
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[namespace]),
    )
    role_arn = (
        pulumi.Output.from_input(args.training_job_role_arn)
        if args.training_job_role_arn
        else _training_job_role(name, args, parent)
    )
    aws.eks.PodIdentityAssociation(
        f"{name}-training-pod-identity",
        aws.eks.PodIdentityAssociationArgs(
            cluster_name=cluster.name,
            namespace=args.training_namespace,
            service_account=args.training_service_account,
            role_arn=role_arn,
            tags=args.tags,
        ),
        pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
    return role_arn


def _training_job_role(name: str, args: TrainingClusterArgs, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A role for training pods (trusting EKS Pod Identity): list both buckets, read data, read and write
    artifacts, and use the key for those objects."""
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
        f"{name}-training-job-role",
        aws.iam.RoleArgs(assume_role_policy=trust.json, tags=args.tags),
        pulumi.ResourceOptions(parent=parent),
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
        f"{name}-training-job-access",
        aws.iam.RolePolicyArgs(role=role.name, policy=permissions.json),
        pulumi.ResourceOptions(parent=parent),
    )
    return role.arn
