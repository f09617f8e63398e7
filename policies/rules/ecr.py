"""ECR rules: immutable tags, scan on push, KMS encryption, no public repository policy, lifecycle policy."""

from __future__ import annotations

import json

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
from modelyard.policies.values import ABSENT, UNKNOWN, is_unknown, items_of, lookup, shown

REPOSITORY_TYPES = frozenset({"aws:ecr/repository:Repository"})
REPOSITORY_POLICY_TYPES = frozenset({"aws:ecr/repositoryPolicy:RepositoryPolicy"})
LIFECYCLE_POLICY_TYPES = frozenset({"aws:ecr/lifecyclePolicy:LifecyclePolicy"})


def _immutable_tags(repository: Resource) -> list[str]:
    mutability = lookup(repository.inputs, "imageTagMutability")
    if mutability in ("IMMUTABLE", UNKNOWN):
        return []
    if mutability is ABSENT:
        return ["imageTagMutability is not set, so tags are MUTABLE (the ECR default)"]
    return [f"imageTagMutability is {shown(mutability)}, not IMMUTABLE"]


IMMUTABLE_TAGS = ResourceRule(
    id="MY-ECR-001",
    description="ECR repositories make image tags immutable, so a deployed tag always names the same image.",
    severity="high",
    anchors=("CKV_AWS_51", "aws-ecr-repository-disallow-mutable-image", "SecurityHub ECR.2"),
    levels=MANDATORY,
    resource_types=REPOSITORY_TYPES,
    check=_immutable_tags,
)


def _scan_on_push(repository: Resource) -> list[str]:
    scan = lookup(repository.inputs, "imageScanningConfiguration", "scanOnPush")
    if scan in (True, UNKNOWN):
        return []
    return [f"imageScanningConfiguration.scanOnPush is {shown(scan)}, not true"]


SCAN_ON_PUSH = ResourceRule(
    id="MY-ECR-002",
    description="ECR repositories scan images for vulnerabilities on push.",
    severity="medium",
    anchors=("CKV_AWS_163", "aws-ecr-repository-enable-image-scan", "SecurityHub ECR.1"),
    levels=MANDATORY,
    resource_types=REPOSITORY_TYPES,
    check=_scan_on_push,
)


def _kms_encrypted(repository: Resource) -> list[str]:
    configurations = repository.get("encryptionConfigurations")
    if is_unknown(configurations):
        return []
    if not items_of(configurations):
        return [
            "encryptionConfigurations is not set, so images are encrypted with AES256, not a customer-managed KMS key"
        ]
    problems = []
    for position, configuration in enumerate(items_of(configurations)):
        encryption_type = lookup(configuration, "encryptionType")
        if encryption_type not in ("KMS", UNKNOWN):
            problems.append(
                f"encryptionConfigurations[{position}].encryptionType is {shown(encryption_type)}, not KMS"
            )
        elif lookup(configuration, "kmsKey") is ABSENT:
            problems.append(
                f"encryptionConfigurations[{position}].kmsKey is not set, so the AWS managed key is used"
            )
    return problems


KMS_ENCRYPTION = ResourceRule(
    id="MY-ECR-003",
    description="ECR repositories encrypt images with a customer-managed KMS key.",
    severity="medium",
    anchors=("CKV_AWS_136", "aws-ecr-repository-configure-customer-managed-key"),
    levels=MANDATORY,
    resource_types=REPOSITORY_TYPES,
    check=_kms_encrypted,
)


NO_PUBLIC_REPOSITORY_POLICY = ResourceRule(
    id="MY-ECR-004",
    description='No ECR repository policy allows actions to principal "*" without a scoping condition.',
    severity="critical",
    anchors=("CKV_AWS_32", "AwsSolutions-ECR1"),
    levels=MANDATORY,
    resource_types=REPOSITORY_POLICY_TYPES,
    check=public_statements,
)


def _lifecycle_rules_problem(policy: Resource) -> str | None:
    document = policy.get("policy")
    if is_unknown(document):
        return None
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            return f"policy is not valid JSON ({error.msg})"
    rules = document.get("rules") if isinstance(document, dict) else None
    return None if isinstance(rules, list) and rules else "policy has no rules"


def _every_repository_has_lifecycle(stack: StackResources) -> list[Finding] | NotApplicable:
    repositories = stack.of_types(REPOSITORY_TYPES)
    if not repositories:
        return NotApplicable("the stack has no ECR repositories")
    findings = []
    for repository in repositories:
        policies = stack.referencing(repository, LIFECYCLE_POLICY_TYPES, "repository")
        if not policies:
            findings.append(
                Finding(
                    repository.urn,
                    "no aws.ecr.LifecyclePolicy targets this repository, so old images accumulate",
                )
            )
        for policy in policies:
            problem = _lifecycle_rules_problem(policy)
            if problem:
                findings.append(Finding(policy.urn, problem))
    return findings


LIFECYCLE_POLICY = StackRule(
    id="MY-ECR-005",
    description="Every ECR repository has a lifecycle policy with at least one rule.",
    severity="low",
    anchors=("SecurityHub ECR.3",),
    levels=ADVISORY_IN_DEV,
    check=_every_repository_has_lifecycle,
)


RULES = (IMMUTABLE_TAGS, SCAN_ON_PUSH, KMS_ENCRYPTION, NO_PUBLIC_REPOSITORY_POLICY, LIFECYCLE_POLICY)
