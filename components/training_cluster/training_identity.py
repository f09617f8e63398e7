"""Where training pods run: their namespace and service account, and the role EKS Pod Identity gives them."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from modelyard.components.iam.policy_documents import policy_document
from modelyard.components.training_cluster.args import TrainingClusterArgs

# Who may assume a role that EKS Pod Identity hands to pods: its agent's service principal, which also tags the
# session with the pod's cluster, namespace and service account (docs.aws.amazon.com/eks/latest/userguide/
# pod-id-role.html).
POD_IDENTITY_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Principal": {"Service": "pods.eks.amazonaws.com"},
            }
        ],
    }
)


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
    role = aws.iam.Role(
        f"{name}-training-job-role",
        aws.iam.RoleArgs(assume_role_policy=POD_IDENTITY_TRUST_POLICY, tags=args.tags),
        pulumi.ResourceOptions(parent=parent),
    )
    data_arn = pulumi.Output.concat("arn:aws:s3:::", args.data_bucket_name)
    artifact_arn = pulumi.Output.concat("arn:aws:s3:::", args.artifact_bucket_name)
    permissions = policy_document(
        [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [data_arn, artifact_arn],
            },
            {
                "Sid": "ReadData",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [pulumi.Output.concat(data_arn, "/*")],
            },
            {
                "Sid": "ReadWriteArtifacts",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": [pulumi.Output.concat(artifact_arn, "/*")],
            },
            {
                "Sid": "UseDataKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [args.kms_key_arn],
            },
        ]
    )
    aws.iam.RolePolicy(
        f"{name}-training-job-access",
        aws.iam.RolePolicyArgs(role=role.name, policy=permissions),
        pulumi.ResourceOptions(parent=parent),
    )
    return role.arn
