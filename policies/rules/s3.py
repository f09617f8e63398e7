"""S3 rules: public access, ACLs, encryption, TLS, logging, versioning, bucket policies and lifecycle.

In pulumi-aws v7 a bucket's settings live in separate resources (BucketPublicAccessBlock,
BucketServerSideEncryptionConfiguration, ...), so most rules here are stack rules that pair each bucket
with the resources targeting it. The deprecated inline bucket arguments are not credited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modelyard.policies.policy_document import public_statements, statements_or_empty
from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import (
    ADVISORY_IN_DEV,
    MANDATORY,
    Finding,
    NotApplicable,
    ResourceRule,
    StackRule,
)
from modelyard.policies.values import ABSENT, UNKNOWN, items_of, lookup, shown

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
PUBLIC_ACCESS_BLOCK_TYPES = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
OWNERSHIP_CONTROLS_TYPES = frozenset({"aws:s3/bucketOwnershipControls:BucketOwnershipControls"})
ENCRYPTION_TYPES = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
VERSIONING_TYPES = frozenset(
    {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}
)
LOGGING_TYPES = frozenset({"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"})
LIFECYCLE_TYPES = frozenset(
    {
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    }
)
BUCKET_POLICY_TYPES = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
BUCKET_ACL_TYPES = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})

CompanionJudge = Callable[[Resource], Sequence[str]]


def _every_bucket_has(companion_types: frozenset[str], missing: str, judge: CompanionJudge | None = None):
    """A stack check: each bucket is targeted by a companion resource (and each companion passes `judge`)."""

    def check(stack: StackResources) -> list[Finding] | NotApplicable:
        buckets = stack.of_types(BUCKET_TYPES)
        if not buckets:
            return NotApplicable("the stack has no S3 buckets")
        findings: list[Finding] = []
        for bucket in buckets:
            companions = stack.referencing(bucket, companion_types, "bucket")
            if not companions:
                findings.append(Finding(bucket.urn, missing))
            for companion in companions if judge else ():
                findings.extend(Finding(companion.urn, message) for message in judge(companion))
        return findings

    return check


# -- MY-S3-001 / 002: block public access -----------------------------------------------------------------


def _public_access_flags_all_true(block: Resource) -> list[str]:
    # Each flag defaults to false in the S3 API, so an absent flag leaves that path open.
    open_flags = [flag for flag in PUBLIC_ACCESS_FLAGS if lookup(block.inputs, flag) not in (True, UNKNOWN)]
    return [f"{', '.join(open_flags)} must be true"] if open_flags else []


PUBLIC_ACCESS_BLOCK_PRESENT = StackRule(
    id="MY-S3-001",
    description="Every S3 bucket has a public access block.",
    severity="high",
    anchors=("CKV2_AWS_6", "AwsSolutions-S2", "SecurityHub S3.8"),
    levels=MANDATORY,
    check=_every_bucket_has(
        PUBLIC_ACCESS_BLOCK_TYPES, "no aws.s3.BucketPublicAccessBlock targets this bucket"
    ),
)

PUBLIC_ACCESS_BLOCK_COMPLETE = ResourceRule(
    id="MY-S3-002",
    description="S3 public access blocks set all four settings to true.",
    severity="high",
    anchors=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "SecurityHub S3.8"),
    levels=MANDATORY,
    resource_types=PUBLIC_ACCESS_BLOCK_TYPES,
    check=_public_access_flags_all_true,
)


# -- MY-S3-003 / 004: ACLs -----------------------------------------------------------------------------------


def _owner_enforced(controls: Resource) -> list[str]:
    ownership = lookup(controls.inputs, "rule", "objectOwnership")
    if ownership in ("BucketOwnerEnforced", UNKNOWN):
        return []
    return [f"rule.objectOwnership is {shown(ownership)}, not BucketOwnerEnforced, so ACLs stay enabled"]


ACLS_DISABLED = StackRule(
    id="MY-S3-003",
    description="Every S3 bucket disables ACLs (object ownership BucketOwnerEnforced).",
    severity="medium",
    anchors=("CKV2_AWS_65", "SecurityHub S3.12"),
    levels=MANDATORY,
    check=_every_bucket_has(
        OWNERSHIP_CONTROLS_TYPES,
        "no aws.s3.BucketOwnershipControls targets this bucket, so ACLs stay enabled",
        _owner_enforced,
    ),
)


def _no_public_acl(resource: Resource) -> list[str]:
    problems = []
    acl = resource.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        problems.append(f"acl {acl!r} grants access beyond the bucket owner's account")
    grants = (
        resource.get("grants")
        if resource.type in BUCKET_TYPES
        else lookup(resource.inputs, "accessControlPolicy", "grants")
    )
    for position, grant in enumerate(items_of(grants)):
        uri = lookup(grant, "uri") if resource.type in BUCKET_TYPES else lookup(grant, "grantee", "uri")
        if uri in PUBLIC_GRANTEE_URIS:
            permissions = (
                lookup(grant, "permissions") if resource.type in BUCKET_TYPES else lookup(grant, "permission")
            )
            granted = ", ".join(permissions) if isinstance(permissions, list) else permissions
            problems.append(f"grants[{position}] gives {granted} to {uri}")
    return problems


NO_PUBLIC_ACL = ResourceRule(
    id="MY-S3-004",
    description="No S3 bucket ACL grants access to everyone or to all authenticated AWS users.",
    severity="critical",
    anchors=(
        "CKV_AWS_20",
        "CKV_AWS_57",
        "aws-s3-bucket-no-public-read",
        "SecurityHub S3.2",
        "SecurityHub S3.3",
    ),
    levels=MANDATORY,
    resource_types=BUCKET_TYPES | BUCKET_ACL_TYPES,
    check=_no_public_acl,
)


# -- MY-S3-005 / 006: encryption ------------------------------------------------------------------------------


def _encryption_rules(configuration: Resource) -> list[tuple[int, object, object]]:
    """(position, sseAlgorithm, kmsMasterKeyId) of each rule of a server-side encryption configuration."""
    return [
        (
            position,
            lookup(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm"),
            lookup(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"),
        )
        for position, rule in enumerate(items_of(configuration.get("rules")))
    ]


def _uses_customer_managed_key(configuration: Resource) -> list[str]:
    rules = _encryption_rules(configuration)
    if not rules and configuration.get("rules") != UNKNOWN:
        return ["has no rules"]
    problems = []
    for position, algorithm, key in rules:
        path = f"rules[{position}].applyServerSideEncryptionByDefault"
        if algorithm not in KMS_ALGORITHMS and algorithm != UNKNOWN:
            problems.append(f"{path}.sseAlgorithm is {shown(algorithm)}, not aws:kms")
        elif key is ABSENT:
            problems.append(f"{path}.kmsMasterKeyId is not set, so the AWS managed key aws/s3 is used")
        elif isinstance(key, str) and key.endswith("alias/aws/s3"):
            problems.append(
                f"{path}.kmsMasterKeyId is the AWS managed key alias/aws/s3, not a customer-managed key"
            )
    return problems


def _sse_s3(configuration: Resource) -> list[str]:
    return [
        f"rules[{position}].applyServerSideEncryptionByDefault.sseAlgorithm is {shown(algorithm)}: an access-log "
        "target bucket must use AES256 (SSE-S3), the only default encryption S3 server access logging can write to"
        for position, algorithm, _ in _encryption_rules(configuration)
        if algorithm not in ("AES256", UNKNOWN)
    ]


def _customer_key_except_log_targets(stack: StackResources) -> list[Finding] | NotApplicable:
    buckets = stack.of_types(BUCKET_TYPES)
    if not buckets:
        return NotApplicable("the stack has no S3 buckets")
    findings: list[Finding] = []
    for bucket in buckets:
        configurations = stack.referencing(bucket, ENCRYPTION_TYPES, "bucket")
        if not configurations:
            findings.append(
                Finding(
                    bucket.urn,
                    "no aws.s3.BucketServerSideEncryptionConfiguration targets this "
                    "bucket, so objects are not encrypted with a customer-managed KMS key",
                )
            )
        is_log_target = bool(stack.referencing(bucket, LOGGING_TYPES, "targetBucket"))
        judge = _sse_s3 if is_log_target else _uses_customer_managed_key
        for configuration in configurations:
            findings.extend(Finding(configuration.urn, message) for message in judge(configuration))
    return findings


def bucket_encrypted_with_customer_key(stack: StackResources, bucket: Resource) -> bool:
    """Whether a bucket's default encryption is SSE-KMS under a customer-managed key (as MY-S3-005 judges it)."""
    configurations = stack.referencing(bucket, ENCRYPTION_TYPES, "bucket")
    return bool(configurations) and not any(
        _uses_customer_managed_key(configuration) for configuration in configurations
    )


SSE_KMS_CUSTOMER_KEY = StackRule(
    id="MY-S3-005",
    description=(
        "Every S3 bucket encrypts objects by default with SSE-KMS under a customer-managed key; "
        "server access log targets use SSE-S3, the only encryption S3 log delivery supports."
    ),
    severity="high",
    anchors=(
        "CKV_AWS_145",
        "aws-s3-bucket-server-side-encryption-kms",
        "aws-s3-bucket-server-side-encryption-customer-managed-key",
        "SecurityHub S3.17",
    ),
    levels=MANDATORY,
    check=_customer_key_except_log_targets,
)


def _bucket_key_enabled(configuration: Resource) -> Sequence[str] | NotApplicable:
    kms_rules = [rule for rule in _encryption_rules(configuration) if rule[1] in KMS_ALGORITHMS]
    if not kms_rules:
        return NotApplicable("no rule encrypts with KMS")
    return [
        f"rules[{position}].bucketKeyEnabled is not true, so every object request calls KMS"
        for position, _, _ in kms_rules
        if lookup(configuration.get("rules"), position, "bucketKeyEnabled") not in (True, UNKNOWN)
    ]


BUCKET_KEY = ResourceRule(
    id="MY-S3-006",
    description="SSE-KMS bucket encryption uses an S3 bucket key (fewer KMS calls, lower cost).",
    severity="low",
    anchors=("aws-s3-bucket-server-side-encryption-with-bucket-key",),
    levels=ADVISORY_IN_DEV,
    resource_types=ENCRYPTION_TYPES,
    check=_bucket_key_enabled,
)


# -- MY-S3-007: TLS only -------------------------------------------------------------------------------------


def _denies_insecure_transport(policy: Resource) -> list[str]:
    document = policy.get("policy")
    if document == UNKNOWN:
        return []
    for statement in statements_or_empty(document):
        denies_all_s3 = any(action.lower() in ("s3:*", "*") for action in statement.actions)
        insecure = [value.lower() for value in statement.condition_values("aws:SecureTransport")]
        if (
            statement.effect == "Deny"
            and statement.has_wildcard_principal
            and denies_all_s3
            and "false" in insecure
        ):
            return []
    return ['has no statement denying s3:* to principal "*" when aws:SecureTransport is false']


TLS_ONLY = StackRule(
    id="MY-S3-007",
    description="Every S3 bucket policy denies requests that do not use TLS.",
    severity="high",
    anchors=("AwsSolutions-S10", "SecurityHub S3.5"),
    levels=MANDATORY,
    check=_every_bucket_has(
        BUCKET_POLICY_TYPES,
        "no aws.s3.BucketPolicy targets this bucket, so requests over plain HTTP are allowed",
        _denies_insecure_transport,
    ),
)


# -- MY-S3-008: access logging ------------------------------------------------------------------------------


def _access_logged(stack: StackResources) -> list[Finding] | NotApplicable:
    buckets = stack.of_types(BUCKET_TYPES)
    if not buckets:
        return NotApplicable("the stack has no S3 buckets")
    # The bucket receiving access logs is exempt: logging it into itself would log its own log writes.
    return [
        Finding(
            bucket.urn,
            "no aws.s3.BucketLogging has this bucket as its source or its target, so access is not logged",
        )
        for bucket in buckets
        if not stack.referencing(bucket, LOGGING_TYPES, "bucket")
        and not stack.referencing(bucket, LOGGING_TYPES, "targetBucket")
    ]


ACCESS_LOGGING = StackRule(
    id="MY-S3-008",
    description="Every S3 bucket writes server access logs (the log bucket itself is exempt).",
    severity="medium",
    anchors=("CKV_AWS_18", "AwsSolutions-S1", "SecurityHub S3.9"),
    levels=ADVISORY_IN_DEV,
    check=_access_logged,
)


# -- MY-S3-009: versioning ------------------------------------------------------------------------------------


def _versioning_enabled(versioning: Resource) -> list[str]:
    status = lookup(versioning.inputs, "versioningConfiguration", "status")
    if status in ("Enabled", UNKNOWN):
        return []
    return [f"versioningConfiguration.status is {shown(status)}, not Enabled"]


VERSIONING = StackRule(
    id="MY-S3-009",
    description="Every S3 bucket has versioning enabled.",
    severity="medium",
    anchors=("CKV_AWS_21", "SecurityHub S3.14"),
    levels=MANDATORY,
    check=_every_bucket_has(
        VERSIONING_TYPES, "no aws.s3.BucketVersioning targets this bucket", _versioning_enabled
    ),
)


# -- MY-S3-010: no wildcard principal -------------------------------------------------------------------------

NO_WILDCARD_PRINCIPAL = ResourceRule(
    id="MY-S3-010",
    description='No S3 bucket policy allows actions to principal "*" without a scoping condition.',
    severity="critical",
    anchors=("CKV_AWS_70", "SecurityHub S3.2", "SecurityHub S3.3"),
    levels=MANDATORY,
    resource_types=BUCKET_POLICY_TYPES,
    check=public_statements,
)


# -- MY-S3-011 / 012: lifecycle -------------------------------------------------------------------------------


def _enabled_rules(configuration: Resource) -> list[object]:
    return [
        rule
        for rule in items_of(configuration.get("rules"))
        if lookup(rule, "status") in ("Enabled", UNKNOWN)
    ]


def _has_enabled_rule(configuration: Resource) -> list[str]:
    if configuration.get("rules") == UNKNOWN or _enabled_rules(configuration):
        return []
    return ["has no rule with status Enabled"]


LIFECYCLE_PRESENT = StackRule(
    id="MY-S3-011",
    description="Every S3 bucket has a lifecycle configuration with at least one enabled rule.",
    severity="low",
    anchors=("CKV2_AWS_61", "SecurityHub S3.13"),
    levels=ADVISORY_IN_DEV,
    check=_every_bucket_has(
        LIFECYCLE_TYPES,
        "no aws.s3.BucketLifecycleConfiguration targets this bucket, so noncurrent versions and incomplete "
        "uploads accumulate",
        _has_enabled_rule,
    ),
)


def _aborts_incomplete_uploads(configuration: Resource) -> list[str]:
    if configuration.get("rules") == UNKNOWN:
        return []
    if any(
        lookup(rule, "abortIncompleteMultipartUpload", "daysAfterInitiation") is not ABSENT
        for rule in _enabled_rules(configuration)
    ):
        return []
    return [
        (
            "no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation, so parts of failed uploads "
            "are stored and billed indefinitely"
        )
    ]


ABORT_INCOMPLETE_UPLOADS = ResourceRule(
    id="MY-S3-012",
    description="S3 lifecycle configurations abort incomplete multipart uploads.",
    severity="low",
    anchors=("CKV_AWS_300",),
    levels=ADVISORY_IN_DEV,
    resource_types=LIFECYCLE_TYPES,
    check=_aborts_incomplete_uploads,
)


RULES = (
    PUBLIC_ACCESS_BLOCK_PRESENT,
    PUBLIC_ACCESS_BLOCK_COMPLETE,
    ACLS_DISABLED,
    NO_PUBLIC_ACL,
    SSE_KMS_CUSTOMER_KEY,
    BUCKET_KEY,
    TLS_ONLY,
    ACCESS_LOGGING,
    VERSIONING,
    NO_WILDCARD_PRINCIPAL,
    LIFECYCLE_PRESENT,
    ABORT_INCOMPLETE_UPLOADS,
)
