"""KMS rules: rotation, an explicit key policy without public principals, a description, the lockout check."""

from __future__ import annotations

from modelyard.policies.policy_document import public_statements
from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import (
    ADVISORY_IN_DEV,
    MANDATORY,
    Finding,
    NotApplicable,
    ResourceRule,
    StackRule,
)
from modelyard.policies.values import ABSENT, UNKNOWN, is_set, lookup, shown

KEY_TYPES = frozenset({"aws:kms/key:Key"})
KEY_POLICY_TYPES = frozenset({"aws:kms/keyPolicy:KeyPolicy"})
# Only symmetric encryption keys can rotate automatically; asymmetric and HMAC keys cannot.
ROTATABLE_SPEC = "SYMMETRIC_DEFAULT"
MEANINGFUL_DESCRIPTION_LENGTH = 6


def _rotation_enabled(key: Resource) -> list[str] | NotApplicable:
    spec = lookup(key.inputs, "customerMasterKeySpec")
    if spec not in (ABSENT, UNKNOWN, ROTATABLE_SPEC):
        return NotApplicable(f"{spec} keys cannot rotate automatically")
    rotation = lookup(key.inputs, "enableKeyRotation")
    if rotation in (True, UNKNOWN):
        return []
    return [f"enableKeyRotation is {shown(rotation)}, so the key material never rotates"]


ROTATION = ResourceRule(
    id="MY-KMS-001",
    description="Symmetric customer-managed KMS keys rotate their key material yearly.",
    severity="medium",
    anchors=("CKV_AWS_7", "AwsSolutions-KMS5", "aws-kms-key-enable-key-rotation", "SecurityHub KMS.4"),
    levels=MANDATORY,
    resource_types=KEY_TYPES,
    check=_rotation_enabled,
)


def _every_key_has_policy(stack: StackResources) -> list[Finding] | NotApplicable:
    keys = stack.of_types(KEY_TYPES)
    if not keys:
        return NotApplicable("the stack has no KMS keys")
    return [
        Finding(
            key.urn,
            "policy is not set and no aws.kms.KeyPolicy targets the key, so the default key policy "
            "delegates all access to IAM policies in the account",
        )
        for key in keys
        if not is_set(lookup(key.inputs, "policy")) and not stack.referencing(key, KEY_POLICY_TYPES, "keyId")
    ]


KEY_POLICY_PRESENT = StackRule(
    id="MY-KMS-002",
    description="Every KMS key has an explicit key policy (on the key or as a KeyPolicy resource).",
    severity="medium",
    anchors=("CKV2_AWS_64",),
    levels=MANDATORY,
    check=_every_key_has_policy,
)


def _no_public_principal(resource: Resource) -> list[str]:
    return public_statements(resource, "policy Statement")


NO_WILDCARD_PRINCIPAL = ResourceRule(
    id="MY-KMS-003",
    description='No KMS key policy allows actions to principal "*" without a condition that scopes the caller.',
    severity="critical",
    anchors=("CKV_AWS_33",),
    levels=MANDATORY,
    resource_types=KEY_TYPES | KEY_POLICY_TYPES,
    check=_no_public_principal,
)


def _has_description(key: Resource) -> list[str]:
    description = lookup(key.inputs, "description")
    if description is ABSENT or description == "":
        return ["description is not set"]
    if (
        isinstance(description, str)
        and description != UNKNOWN
        and len(description) < MEANINGFUL_DESCRIPTION_LENGTH
    ):
        return [f"description {description!r} is too short to say what the key protects"]
    return []


DESCRIPTION = ResourceRule(
    id="MY-KMS-004",
    description="KMS keys have a description that says what they protect.",
    severity="low",
    anchors=("aws-kms-key-missing-description",),
    levels=ADVISORY_IN_DEV,
    resource_types=KEY_TYPES,
    check=_has_description,
)


def _keeps_lockout_check(resource: Resource) -> list[str]:
    if lookup(resource.inputs, "bypassPolicyLockoutSafetyCheck") is True:
        return [
            "bypassPolicyLockoutSafetyCheck is true, so a policy that locks everyone out of the key is accepted"
        ]
    return []


LOCKOUT_SAFETY_CHECK = ResourceRule(
    id="MY-KMS-005",
    description="KMS keys and key policies keep the policy lockout safety check.",
    severity="critical",
    anchors=("aws-kms-key-disallow-bypass-policy-lockout-safety-check",),
    levels=MANDATORY,
    resource_types=KEY_TYPES | KEY_POLICY_TYPES,
    check=_keeps_lockout_check,
)


RULES = (ROTATION, KEY_POLICY_PRESENT, NO_WILDCARD_PRINCIPAL, DESCRIPTION, LOCKOUT_SAFETY_CHECK)
