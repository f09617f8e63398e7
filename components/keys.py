"""A customer-managed KMS key with rotation, a least-privilege key policy, an alias and grant helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.policy_documents import Statement, attach_policy, grant_name, policy_document
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

# Administration the account may delegate to IAM policies (who may manage the key is then decided in
# IAM, as with AWS's default key policy), spelled out so no `kms:*` appears.
ADMIN_ACTIONS = [
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:GetKeyRotationStatus",
    "kms:ListKeyRotations",
    "kms:RotateKeyOnDemand",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "kms:ListGrants",
    "kms:CreateGrant",
    "kms:RevokeGrant",
    "kms:RetireGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
]
DECRYPT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
# What AWSServiceRoleForAutoScaling needs on a key that encrypts the volumes of instances it launches, as the
# EC2 Auto Scaling user guide lists them ("Required AWS KMS key policy for use with encrypted volumes").
AUTO_SCALING_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]

# Services that may use the key as their own principal (not on behalf of a role), e.g. CloudWatch
# Logs encrypting a log group, or CloudWatch alarms publishing to an encrypted SNS topic.
KEY_USER_SERVICES = ("logs", "cloudwatch", "events", "sns", "budgets", "scheduler")

_ALIAS = re.compile(r"^[a-zA-Z0-9/_-]{1,250}$")


@dataclass
class EncryptionKeyArgs:
    """What the key is for and who besides IAM-authorized roles may use it."""

    alias: str
    """Alias name without the `alias/` prefix (e.g. modelyard-dev-data). Required."""
    tags: dict[str, str]
    """Tags on the key (project, environment, owner, cost-center). Required."""
    description: str = "Modelyard customer-managed key"
    """Key description shown in the console. Default "Modelyard customer-managed key"."""
    services: list[str] = field(default_factory=list)
    """AWS services (from KEY_USER_SERVICES) that use the key as themselves. Default [] (none)."""
    auto_scaling_role_arn: pulumi.Input[str] | None = None
    """ARN of AWSServiceRoleForAutoScaling, to let EC2 Auto Scaling launch instances whose EBS volumes this key
    encrypts (EKS node groups' launch templates); the role must exist. Default None: no such use."""
    deletion_window_days: int = 30
    """Waiting period before a scheduled deletion takes effect (7-30). Default 30."""
    rotation_period_days: int = 365
    """Automatic rotation period (90-2560). Default 365."""

    def problems(self) -> list[str]:
        found = tag_problems(self.tags)
        if not _ALIAS.match(self.alias) or self.alias.startswith(("aws/", "alias/")):
            found.append(
                f"alias: {self.alias!r} must be letters, digits, '/', '_' or '-', without the 'alias/' "
                "prefix and outside the reserved 'aws/' namespace"
            )
        for index, service in enumerate(self.services):
            if service not in KEY_USER_SERVICES:
                found.append(f"services[{index}]: {service!r} is not one of {', '.join(KEY_USER_SERVICES)}")
        if not 7 <= self.deletion_window_days <= 30:
            found.append(f"deletion_window_days: {self.deletion_window_days} must be between 7 and 30")
        if not 90 <= self.rotation_period_days <= 2560:
            found.append(f"rotation_period_days: {self.rotation_period_days} must be between 90 and 2560")
        return found


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric customer-managed key; roles get access through `grant_decrypt`/`grant_encrypt_decrypt`."""

    key: aws.kms.Key
    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("EncryptionKey", name, args.problems())
        super().__init__("modelyard:keys:EncryptionKey", name, None, opts)
        self._account = AccountContext.lookup(self)
        self.key = aws.kms.Key(
            f"{name}-key",
            aws.kms.KeyArgs(
                description=args.description,
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=args.rotation_period_days,
                deletion_window_in_days=args.deletion_window_days,
                policy=policy_document(
                    _key_policy(self._account, args.services)
                    + (
                        _auto_scaling_statements(args.auto_scaling_role_arn)
                        if args.auto_scaling_role_arn
                        else []
                    )
                ),
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            aws.kms.AliasArgs(name=f"alias/{args.alias}", target_key_id=self.key.key_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = self.key.arn
        self.key_id = self.key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})

    def grant_decrypt(self, role: aws.iam.Role, via_service: str | None = None) -> aws.iam.RolePolicy:
        """Let `role` decrypt with this key (optionally only through one service, e.g. "s3")."""
        return self._grant("decrypt", role, DECRYPT_ACTIONS, via_service)

    def grant_encrypt_decrypt(self, role: aws.iam.Role, via_service: str | None = None) -> aws.iam.RolePolicy:
        """Let `role` encrypt and decrypt, and let services it drives (SageMaker volumes, EBS) hold grants."""
        return self._grant("encrypt-decrypt", role, USE_ACTIONS, via_service, resource_grants=True)

    def _grant(
        self,
        access: str,
        role: aws.iam.Role,
        actions: list[str],
        via_service: str | None,
        resource_grants: bool = False,
    ) -> aws.iam.RolePolicy:
        statements = [key_use_statement("UseKey", self.key_arn, actions, self._account.region, via_service)]
        if resource_grants:
            statements.append(
                {
                    "Sid": "GrantsForAwsResources",
                    "Effect": "Allow",
                    "Action": "kms:CreateGrant",
                    "Resource": self.key_arn,
                    # Only services acting for the role (a training volume, an endpoint) may get grants.
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                }
            )
        return attach_policy(
            grant_name(self.pulumi_resource_name, access, role, via_service or ""), role, statements, self
        )


def key_use_statement(
    sid: str,
    key_arn: pulumi.Input[str],
    actions: list[str],
    region: pulumi.Input[str],
    via_service: str | None = None,
) -> Statement:
    """The key half of a grant (as aws-cdk's `bucket.grant` leaves it to `encryptionKey.grant`): `actions` on one
    key, and with `via_service` only in requests that service makes for the principal in `region`
    (kms:ViaService: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    EncryptionKey's grants use it, and so do components that hold only the key's ARN (ArtifactStore)."""
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": key_arn}
    if via_service is not None:
        statement["Condition"] = {
            "StringEquals": {
                "kms:ViaService": pulumi.Output.concat(via_service, ".", region, ".amazonaws.com")
            }
        }
    return statement


def _key_policy(account: AccountContext, services: list[str]) -> list[Statement]:
    # In a key policy "Resource": "*" means "this key": the policy is attached to the key itself.
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": account.root_arn},
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            # The account principal lets IAM policies (the grant helpers) decide which roles use the key.
            "Sid": "IamPoliciesGrantUse",
            "Effect": "Allow",
            "Principal": {"AWS": account.root_arn},
            "Action": USE_ACTIONS,
            "Resource": "*",
        },
    ]
    for service in services:
        if service == "logs":
            principal = pulumi.Output.concat("logs.", account.region, ".amazonaws.com")
            # CloudWatch Logs identifies the log group in the encryption context, not in aws:SourceAccount.
            condition = {
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": account.arn("logs", "log-group:*")}
            }
        else:
            principal = f"{service}.amazonaws.com"
            condition = {"StringEquals": {"aws:SourceAccount": account.account_id}}
        statements.append(
            {
                "Sid": f"Service{service.capitalize()}UsesKey",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": USE_ACTIONS,
                "Resource": "*",
                "Condition": condition,
            }
        )
    return statements


def _auto_scaling_statements(role_arn: pulumi.Input[str]) -> list[Statement]:
    """The two statements AWS requires for Auto Scaling instances with volumes encrypted by a customer managed key:
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html (Example 1)."""
    principal = {"AWS": role_arn}
    return [
        {
            "Sid": "AutoScalingServiceLinkedRoleUsesKey",
            "Effect": "Allow",
            "Principal": principal,
            "Action": AUTO_SCALING_USE_ACTIONS,
            "Resource": "*",
        },
        {
            # EC2 attaches the encrypted volumes through grants that the service-linked role creates.
            "Sid": "AutoScalingServiceLinkedRoleAttachesVolumes",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
