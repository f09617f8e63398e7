"""A KMS key that encrypts launch-template volumes lets EC2 Auto Scaling's service-linked role use it."""

from __future__ import annotations

from fnmatch import fnmatchcase

from modelyard.policies.policy_document import Statement, statements_or_empty
from modelyard.policies.resources import Resource, StackResources, refers_to
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.values import is_unknown, items_of, lookup

LAUNCH_TEMPLATE_TYPES = frozenset({"aws:ec2/launchTemplate:LaunchTemplate"})
KEY_TYPES = frozenset({"aws:kms/key:Key"})
AUTO_SCALING_ROLE = "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
# "Required AWS KMS key policy for use with encrypted volumes" (EC2 Auto Scaling user guide,
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html): the
# service-linked role may Encrypt, Decrypt, ReEncrypt*, GenerateDataKey* and DescribeKey, and CreateGrant for
# AWS resources. The wildcards are spelled out as the operations they cover.
REQUIRED_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
    "kms:CreateGrant",
)


def _for_auto_scaling(statement: Statement) -> bool:
    return statement.allows and any(
        arn.endswith(AUTO_SCALING_ROLE) for arn in statement.principals_of_kind("AWS")
    )


def _allowed(statements: list[Statement], action: str) -> bool:
    return any(
        fnmatchcase(action.lower(), pattern.lower())
        for statement in statements
        for pattern in statement.actions
    )


def _volume_keys(stack: StackResources, template: Resource) -> list[Resource]:
    key_ids = [
        lookup(mapping, "ebs", "kmsKeyId")
        for mapping in items_of(lookup(template.inputs, "blockDeviceMappings"))
    ]
    if not any(isinstance(value, str) for value in key_ids):
        return []
    return [
        key
        for key in stack.of_types(KEY_TYPES)
        if refers_to(template, key, "blockDeviceMappings")
        or (key.id and any(isinstance(value, str) and value.endswith(key.id) for value in key_ids))
    ]


def _auto_scaling_may_use_keys(stack: StackResources) -> list[Finding] | NotApplicable:
    pairs = [
        (template, key)
        for template in stack.of_types(LAUNCH_TEMPLATE_TYPES)
        for key in _volume_keys(stack, template)
    ]
    if not pairs:
        return NotApplicable("no launch template encrypts volumes with a key of this stack")
    findings = []
    for template, key in pairs:
        if is_unknown(key.get("policy")):
            continue
        granted = [
            statement for statement in statements_or_empty(key.get("policy")) if _for_auto_scaling(statement)
        ]
        missing = [action for action in REQUIRED_ACTIONS if not _allowed(granted, action)]
        if missing:
            findings.append(
                Finding(
                    key.urn,
                    (
                        f"launch template {template.name} encrypts volumes with this key, but its policy does not allow "
                        f"AWSServiceRoleForAutoScaling {', '.join(missing)}: Auto Scaling cannot launch the instances "
                        "(AWS: Required KMS key policy for use with encrypted volumes)"
                    ),
                )
            )
    return findings


RULE = StackRule(
    id="MY-DEP-002",
    description="KMS keys that encrypt launch-template volumes let the Auto Scaling service-linked role use them.",
    severity="critical",
    anchors=("EC2 Auto Scaling: Required KMS key policy for use with encrypted volumes",),
    levels=MANDATORY,
    check=_auto_scaling_may_use_keys,
)

RULES = (RULE,)
