"""The platform's S3 buckets (datasets, model artifacts, endpoint data capture, access logs), locked down."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.policy_documents import Statement, attach_policy, grant_name, policy_document
from modelyard.components.keys import key_use_statement
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import ComponentArgsError, raise_for_problems

DataBucket = Literal["datasets", "artifacts", "capture"]
DATA_BUCKETS: tuple[DataBucket, ...] = get_args(DataBucket)
ACCESS_LOGS = "access-logs"

# S3 refuses STANDARD_IA transitions of objects younger than 30 days.
MIN_INFREQUENT_ACCESS_DAYS = 30

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,36}[a-z0-9]$")
_PREFIX = re.compile(r"^[\w!\-.'()/=]*$")

READ_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
WRITE_OBJECT_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
# Reading an SSE-KMS object decrypts its data key; writing generates one (and multipart uploads decrypt it).
READ_KEY_ACTIONS = ["kms:Decrypt"]
WRITE_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]


@dataclass
class ArtifactStoreArgs:
    """Encryption, retention and lifecycle of the platform's buckets."""

    key_arn: pulumi.Input[str]
    """Customer-managed KMS key for SSE-KMS on the data buckets. Required."""
    tags: dict[str, str]
    """Tags on every bucket (project, environment, owner, cost-center). Required."""
    retain_on_delete: bool = False
    """Keep the buckets and their settings when the stack is destroyed. Default False (prod: True)."""
    deletion_protection: bool = False
    """Protect the buckets and their settings: Pulumi refuses to delete them. Default False."""
    noncurrent_version_days: int = 30
    """Days before noncurrent object versions expire. Default 30."""
    capture_transition_days: int = 30
    """Days before endpoint data capture moves to STANDARD_IA (at least 30). Default 30."""
    abort_incomplete_upload_days: int = 7
    """Days before incomplete multipart uploads are aborted. Default 7."""
    access_log_retention_days: int = 365
    """Days server access logs are kept. Default 365."""

    def problems(self) -> list[str]:
        found = tag_problems(self.tags)
        for field_name in (
            "noncurrent_version_days",
            "abort_incomplete_upload_days",
            "access_log_retention_days",
        ):
            if getattr(self, field_name) < 1:
                found.append(f"{field_name}: {getattr(self, field_name)} must be at least 1")
        if self.capture_transition_days < MIN_INFREQUENT_ACCESS_DAYS:
            found.append(
                f"capture_transition_days: {self.capture_transition_days} must be at least "
                f"{MIN_INFREQUENT_ACCESS_DAYS} (S3's minimum age for STANDARD_IA)"
            )
        return found


class ArtifactStore(pulumi.ComponentResource):
    """Four buckets: datasets, artifacts, capture (SSE-KMS with the CMK) and access-logs (their log target).

    Every bucket blocks public access, disables ACLs (BucketOwnerEnforced), is versioned, refuses
    non-TLS requests and expires noncurrent versions. The access-logs bucket uses SSE-S3 (AES256)
    because S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS.
    """

    buckets: dict[str, aws.s3.Bucket]
    datasets_bucket_name: pulumi.Output[str]
    artifacts_bucket_name: pulumi.Output[str]
    capture_bucket_name: pulumi.Output[str]
    access_logs_bucket_name: pulumi.Output[str]
    datasets_bucket_arn: pulumi.Output[str]
    artifacts_bucket_arn: pulumi.Output[str]
    capture_bucket_arn: pulumi.Output[str]
    access_logs_bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ArtifactStoreArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if not _NAME.match(name):
            problems.insert(
                0,
                f"name: {name!r} must be 2-38 lowercase letters, digits or hyphens (it prefixes buckets)",
            )
        raise_for_problems("ArtifactStore", name, problems)
        super().__init__("modelyard:storage:ArtifactStore", name, None, opts)
        self._account = AccountContext.lookup(self)
        self.key_arn = pulumi.Output.from_input(args.key_arn)
        # Settings share the bucket's options: deleting a retained bucket's public access block or
        # encryption settings on destroy would leave a weaker bucket behind. An unset flag is None, not
        # False, so `protect` given to the component itself still reaches its children.
        bucket_opts = pulumi.ResourceOptions(
            parent=self,
            retain_on_delete=args.retain_on_delete or None,
            protect=args.deletion_protection or None,
        )

        self.buckets = {
            role: aws.s3.Bucket(
                f"{name}-{role}", aws.s3.BucketArgs(force_destroy=False, tags=args.tags), opts=bucket_opts
            )
            for role in (*DATA_BUCKETS, ACCESS_LOGS)
        }
        logs_bucket = self.buckets[ACCESS_LOGS]
        bucket_policies: dict[str, aws.s3.BucketPolicy] = {}
        for role, bucket in self.buckets.items():
            public_access_block = self._lock_down(f"{name}-{role}", bucket, bucket_opts)
            self._publish_events(f"{name}-{role}", bucket, bucket_opts)
            self._encrypt(
                f"{name}-{role}", bucket, None if role == ACCESS_LOGS else args.key_arn, bucket_opts
            )
            statements = _tls_only_statements(bucket)
            if role == ACCESS_LOGS:
                statements.append(self._log_delivery_statement(logs_bucket))
            bucket_policies[role] = aws.s3.BucketPolicy(
                f"{name}-{role}-policy",
                aws.s3.BucketPolicyArgs(bucket=bucket.id, policy=policy_document(statements)),
                opts=pulumi.ResourceOptions.merge(
                    bucket_opts, pulumi.ResourceOptions(depends_on=[public_access_block])
                ),
            )
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-{role}-lifecycle",
                aws.s3.BucketLifecycleConfigurationArgs(bucket=bucket.id, rules=_lifecycle_rules(role, args)),
                opts=bucket_opts,
            )
        for role in DATA_BUCKETS:
            aws.s3.BucketLogging(
                f"{name}-{role}-logging",
                aws.s3.BucketLoggingInitArgs(
                    bucket=self.buckets[role].id, target_bucket=logs_bucket.id, target_prefix=f"{role}/"
                ),
                # Delivery is refused until the log bucket's policy admits the logging service.
                opts=pulumi.ResourceOptions.merge(
                    bucket_opts, pulumi.ResourceOptions(depends_on=[bucket_policies[ACCESS_LOGS]])
                ),
            )

        self.datasets_bucket_name = self.buckets["datasets"].bucket
        self.artifacts_bucket_name = self.buckets["artifacts"].bucket
        self.capture_bucket_name = self.buckets["capture"].bucket
        self.access_logs_bucket_name = logs_bucket.bucket
        self.datasets_bucket_arn = self.buckets["datasets"].arn
        self.artifacts_bucket_arn = self.buckets["artifacts"].arn
        self.capture_bucket_arn = self.buckets["capture"].arn
        self.access_logs_bucket_arn = logs_bucket.arn
        self.register_outputs(
            {
                "datasets_bucket_name": self.datasets_bucket_name,
                "artifacts_bucket_name": self.artifacts_bucket_name,
                "capture_bucket_name": self.capture_bucket_name,
                "access_logs_bucket_name": self.access_logs_bucket_name,
                "key_arn": self.key_arn,
            }
        )

    # -- grant helpers ---------------------------------------------------------------------------
    def grant_read(self, role: aws.iam.Role, bucket: DataBucket, prefix: str = "") -> aws.iam.RolePolicy:
        """Let `role` list and read objects under `prefix` of one data bucket."""
        return self._grant("read", role, bucket, prefix, read=True, write=False)

    def grant_write(self, role: aws.iam.Role, bucket: DataBucket, prefix: str = "") -> aws.iam.RolePolicy:
        """Let `role` write objects under `prefix` of one data bucket (no reads, no deletes)."""
        return self._grant("write", role, bucket, prefix, read=False, write=True)

    def grant_read_write(
        self, role: aws.iam.Role, bucket: DataBucket, prefix: str = ""
    ) -> aws.iam.RolePolicy:
        """Let `role` list, read and write objects under `prefix` of one data bucket (no deletes)."""
        return self._grant("read-write", role, bucket, prefix, read=True, write=True)

    def _grant(
        self, access: str, role: aws.iam.Role, bucket: DataBucket, prefix: str, read: bool, write: bool
    ) -> aws.iam.RolePolicy:
        problems = []
        if bucket not in DATA_BUCKETS:
            problems.append(f"bucket: {bucket!r} is not one of {', '.join(DATA_BUCKETS)}")
        if prefix.startswith("/") or not _PREFIX.match(prefix):
            problems.append(
                f"prefix: {prefix!r} must be a key prefix without leading '/' or wildcards, e.g. 'training/'"
            )
        if problems:
            raise ComponentArgsError(
                f"ArtifactStore.grant_{access.replace('-', '_')}", self.pulumi_resource_name, problems
            )
        arn = self.buckets[bucket].arn
        objects = pulumi.Output.concat(arn, "/", prefix, "*")
        statements: list[Statement] = []
        object_actions: list[str] = []
        key_actions: list[str] = []
        if read:
            listing: Statement = {
                "Sid": "List",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": arn,
            }
            if prefix:
                listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
            statements += [
                listing,
                {"Sid": "Locate", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": arn},
            ]
            object_actions += READ_OBJECT_ACTIONS
            key_actions += READ_KEY_ACTIONS
        if write:
            object_actions += WRITE_OBJECT_ACTIONS
            key_actions += [action for action in WRITE_KEY_ACTIONS if action not in key_actions]
        statements += [
            {"Sid": "Objects", "Effect": "Allow", "Action": object_actions, "Resource": objects},
            # The key serves this role only through S3, never for direct encrypt/decrypt calls.
            key_use_statement("BucketKey", self.key_arn, key_actions, self._account.region, via_service="s3"),
        ]
        name = grant_name(f"{self.pulumi_resource_name}-{bucket}", access, role, prefix)
        return attach_policy(name, role, statements, self)

    # -- building blocks -------------------------------------------------------------------------
    def _lock_down(
        self, prefix: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
    ) -> aws.s3.BucketPublicAccessBlock:
        aws.s3.BucketOwnershipControls(
            f"{prefix}-ownership",
            aws.s3.BucketOwnershipControlsArgs(
                bucket=bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            ),
            opts=opts,
        )
        aws.s3.BucketVersioning(
            f"{prefix}-versioning",
            aws.s3.BucketVersioningInitArgs(
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            ),
            opts=opts,
        )
        return aws.s3.BucketPublicAccessBlock(
            f"{prefix}-public-access-block",
            aws.s3.BucketPublicAccessBlockArgs(
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            opts=opts,
        )

    def _publish_events(self, prefix: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions) -> None:
        """Every object event to EventBridge's default bus, so a rule can start ingestion or retraining when a
        dataset lands, and deletions leave a trace. S3 events delivered to the default bus cost nothing
        (AWS EventBridge pricing: AWS service events are free); nothing subscribes by default."""
        aws.s3.BucketNotification(
            f"{prefix}-events",
            aws.s3.BucketNotificationArgs(bucket=bucket.id, eventbridge=True),
            opts=opts,
        )

    def _encrypt(
        self,
        prefix: str,
        bucket: aws.s3.Bucket,
        key_arn: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions,
    ) -> None:
        if key_arn is None:
            default = (
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        else:
            default = (
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key_arn
                )
            )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{prefix}-encryption",
            aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=default,
                        # One data key per bucket, not one KMS call per object: cheaper, fewer throttles.
                        bucket_key_enabled=key_arn is not None,
                    )
                ],
            ),
            opts=opts,
        )

    def _log_delivery_statement(self, logs_bucket: aws.s3.Bucket) -> Statement:
        return {
            "Sid": "ServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(logs_bucket.arn, "/*"),
            "Condition": {
                "StringEquals": {"aws:SourceAccount": self._account.account_id},
                "ArnLike": {"aws:SourceArn": [self.buckets[role].arn for role in DATA_BUCKETS]},
            },
        }


def _tls_only_statements(bucket: aws.s3.Bucket) -> list[Statement]:
    # Deny statements: "*" principal and "s3:*" are what make them apply to every caller and call.
    resources = [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")]
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]


def _lifecycle_rules(role: str, args: ArtifactStoreArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    whole_bucket = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=whole_bucket,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_incomplete_upload_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=whole_bucket,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_version_days
            ),
        ),
    ]
    if role == "capture":
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="capture-to-infrequent-access",
                status="Enabled",
                filter=whole_bucket,
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=args.capture_transition_days, storage_class="STANDARD_IA"
                    )
                ],
            )
        )
    if role == ACCESS_LOGS:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=whole_bucket,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.access_log_retention_days
                ),
            )
        )
    return rules
