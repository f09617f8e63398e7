"""Policy plumbing every component's grants share: statements, policy documents, service trust, inline policies."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext

Statement = dict[str, Any]


def policy_document(statements: list[Statement]) -> pulumi.Output[str]:
    """A policy document as a JSON string; statement values may be Outputs."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def service_trust_policy(
    service: str, account: AccountContext, source_arn_pattern: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """Trust one AWS service principal, only on behalf of this account (confused-deputy protection)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account.account_id}}
    if source_arn_pattern is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn_pattern}
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ]
    )


def attach_policy(
    name: str, role: aws.iam.Role, statements: list[Statement], parent: pulumi.Resource
) -> aws.iam.RolePolicy:
    """An inline policy on `role`; inline, so it lives and dies with the grant that made it."""
    return aws.iam.RolePolicy(
        name,
        aws.iam.RolePolicyArgs(role=role.name, policy=policy_document(statements)),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def grant_name(grantor: str, access: str, role: aws.iam.Role, qualifier: str = "") -> str:
    """Logical name of a grant's policy: unique per grantor, access, role and (prefix) qualifier."""
    suffix = f"-{re.sub(r'[^a-z0-9]+', '-', qualifier.lower()).strip('-')}" if qualifier else ""
    return f"{grantor}-{access}-{role.pulumi_resource_name}{suffix}"
