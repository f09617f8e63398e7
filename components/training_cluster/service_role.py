"""A role one AWS service assumes, with AWS-managed policies attached: the EKS cluster role and the node role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.policy_documents import policy_document


@dataclass
class ServiceRole:
    """The role and its policy attachments (what uses the role waits for the attachments)."""

    role: aws.iam.Role
    attachments: list[aws.iam.RolePolicyAttachment]


def create_service_role(
    name: str,
    role: str,
    service: str,
    policy_arns: Sequence[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> ServiceRole:
    """`<name>-<role>`, trusting `service`, with each policy attached as `<name>-<role>-<policy name>`."""
    trust = policy_document(
        [{"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": service}}]
    )
    iam_role = aws.iam.Role(
        f"{name}-{role}",
        aws.iam.RoleArgs(assume_role_policy=trust, tags=tags),
        pulumi.ResourceOptions(parent=parent),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{role}-{policy_arn.rsplit('/', 1)[1]}",
            aws.iam.RolePolicyAttachmentArgs(role=iam_role.name, policy_arn=policy_arn),
            pulumi.ResourceOptions(parent=parent),
        )
        for policy_arn in policy_arns
    ]
    return ServiceRole(iam_role, attachments)
