"""The fixture table: for every rule a passing baseline and failing variants with their exact messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import policy_records as r
from deploy_order_cases import ROWS as DEPLOY_ORDER_ROWS

Expected = str | tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Case:
    """Resources for one rule and what it must conclude: "pass", "not_applicable" or (name, message) findings."""

    rule_id: str
    label: str
    resources: tuple[dict[str, Any], ...]
    expected: Expected
    cost: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.rule_id}:{self.label}"


def case(
    rule_id: str, label: str, resources: list[dict], expected: Expected, cost: dict | None = None
) -> Case:
    return Case(rule_id, label, tuple(resources), expected, cost)


DATA = r.bucket("data")
LOGS = r.bucket("logs")
CAPTURE = r.bucket("capture", bucket="capture")
STACK = "<stack>"

ALLOW_EVERYONE_GET = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::data/*",
}
ACCOUNT_SCOPED_GET = {
    **ALLOW_EVERYONE_GET,
    "Condition": {"StringEquals": {"aws:PrincipalAccount": r.ACCOUNT}},
}

GITHUB_PROVIDER = f"arn:aws:iam::{r.ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def github_trust(subject: str | None, audience: bool = True) -> str:
    conditions: dict[str, dict[str, str]] = {"StringEquals": {}}
    if audience:
        conditions["StringEquals"]["token.actions.githubusercontent.com:aud"] = "sts.amazonaws.com"
    if subject is not None:
        conditions["StringLike"] = {"token.actions.githubusercontent.com:sub": subject}
    return r.document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB_PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": conditions,
        }
    )


CASES: tuple[Case, ...] = (
    # -- S3 ---------------------------------------------------------------------------------------------------
    case("MY-S3-001", "blocked", [DATA, r.public_access_block(DATA)], "pass"),
    case(
        "MY-S3-001",
        "missing",
        [DATA, LOGS, r.public_access_block(LOGS)],
        (("data", "no aws.s3.BucketPublicAccessBlock targets this bucket"),),
    ),
    case("MY-S3-002", "all four", [r.public_access_block(DATA)], "pass"),
    case(
        "MY-S3-002",
        "two open",
        [r.public_access_block(DATA, blockPublicAcls=False, ignorePublicAcls=None)],
        (("data-pab", "blockPublicAcls, ignorePublicAcls must be true"),),
    ),
    case("MY-S3-003", "owner enforced", [DATA, r.ownership_controls(DATA)], "pass"),
    case(
        "MY-S3-003",
        "object writer",
        [DATA, r.ownership_controls(DATA, "ObjectWriter")],
        (
            (
                "data-ownership",
                "rule.objectOwnership is 'ObjectWriter', not BucketOwnerEnforced, so ACLs stay enabled",
            ),
        ),
    ),
    case(
        "MY-S3-003",
        "missing",
        [DATA],
        (("data", "no aws.s3.BucketOwnershipControls targets this bucket, so ACLs stay enabled"),),
    ),
    case("MY-S3-004", "private", [DATA], "pass"),
    case(
        "MY-S3-004",
        "public-read canned acl",
        [r.bucket("site", acl="public-read")],
        (("site", "acl 'public-read' grants access beyond the bucket owner's account"),),
    ),
    case(
        "MY-S3-004",
        "AllUsers grant",
        [
            r.record(
                "aws:s3/bucketAcl:BucketAcl",
                "site-acl",
                {
                    "bucket": "site",
                    "accessControlPolicy": {
                        "owner": {"id": "owner"},
                        "grants": [
                            {
                                "permission": "READ",
                                "grantee": {
                                    "type": "Group",
                                    "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                                },
                            }
                        ],
                    },
                },
            )
        ],
        (("site-acl", "grants[0] gives READ to http://acs.amazonaws.com/groups/global/AllUsers"),),
    ),
    case("MY-S3-005", "customer key", [DATA, r.encryption(DATA)], "pass"),
    case(
        "MY-S3-005",
        "missing",
        [DATA],
        (
            (
                "data",
                (
                    "no aws.s3.BucketServerSideEncryptionConfiguration targets this bucket, so objects are not "
                    "encrypted with a customer-managed KMS key"
                ),
            ),
        ),
    ),
    case(
        "MY-S3-005",
        "AES256",
        [DATA, r.encryption(DATA, algorithm="AES256", key=None)],
        (("data-sse", "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256', not aws:kms"),),
    ),
    case(
        "MY-S3-005",
        "AWS managed key",
        [DATA, r.encryption(DATA, key=None)],
        (
            (
                "data-sse",
                (
                    "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set, so the AWS managed "
                    "key aws/s3 is used"
                ),
            ),
        ),
    ),
    case(
        "MY-S3-005",
        "aws/s3 alias",
        [DATA, r.encryption(DATA, key="alias/aws/s3")],
        (
            (
                "data-sse",
                (
                    "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is the AWS managed key "
                    "alias/aws/s3, not a customer-managed key"
                ),
            ),
        ),
    ),
    case(
        "MY-S3-005",
        "access-log target on SSE-S3",
        [
            DATA,
            LOGS,
            r.encryption(DATA),
            r.access_logging(DATA, LOGS),
            r.encryption(LOGS, algorithm="AES256", key=None),
        ],
        "pass",
    ),
    case(
        "MY-S3-005",
        "access-log target on KMS",
        [DATA, LOGS, r.encryption(DATA), r.access_logging(DATA, LOGS), r.encryption(LOGS)],
        (
            (
                "logs-sse",
                (
                    "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is 'aws:kms': an access-log target "
                    "bucket must use AES256 (SSE-S3), the only default encryption S3 server access logging can "
                    "write to"
                ),
            ),
        ),
    ),
    case("MY-S3-006", "bucket key", [r.encryption(DATA)], "pass"),
    case(
        "MY-S3-006",
        "no bucket key",
        [r.encryption(DATA, bucket_key=False)],
        (("data-sse", "rules[0].bucketKeyEnabled is not true, so every object request calls KMS"),),
    ),
    case("MY-S3-006", "not KMS", [r.encryption(DATA, algorithm="AES256", key=None)], "not_applicable"),
    case("MY-S3-007", "deny insecure", [DATA, r.bucket_policy(DATA)], "pass"),
    case(
        "MY-S3-007",
        "no policy",
        [DATA],
        (("data", "no aws.s3.BucketPolicy targets this bucket, so requests over plain HTTP are allowed"),),
    ),
    case(
        "MY-S3-007",
        "policy without TLS statement",
        [
            DATA,
            r.bucket_policy(
                DATA, r.READ_DATA | {"Principal": {"AWS": f"arn:aws:iam::{r.ACCOUNT}:role/training"}}
            ),
        ],
        (
            (
                "data-policy",
                'has no statement denying s3:* to principal "*" when aws:SecureTransport is false',
            ),
        ),
    ),
    case("MY-S3-008", "source and sink", [DATA, LOGS, r.access_logging(DATA, LOGS)], "pass"),
    case(
        "MY-S3-008",
        "unlogged",
        [DATA, LOGS, r.access_logging(DATA, LOGS), r.bucket("scratch")],
        (
            (
                "scratch",
                "no aws.s3.BucketLogging has this bucket as its source or its target, so access is not logged",
            ),
        ),
    ),
    case("MY-S3-009", "enabled", [DATA, r.versioning(DATA)], "pass"),
    case(
        "MY-S3-009",
        "suspended",
        [DATA, r.versioning(DATA, "Suspended")],
        (("data-versioning", "versioningConfiguration.status is 'Suspended', not Enabled"),),
    ),
    case("MY-S3-009", "missing", [DATA], (("data", "no aws.s3.BucketVersioning targets this bucket"),)),
    case(
        "MY-S3-010",
        "TLS deny and account-scoped allow",
        [r.bucket_policy(DATA, r.TLS_ONLY_STATEMENT, ACCOUNT_SCOPED_GET)],
        "pass",
    ),
    case(
        "MY-S3-010",
        "public read",
        [r.bucket_policy(DATA, r.TLS_ONLY_STATEMENT, ALLOW_EVERYONE_GET)],
        (
            (
                "data-policy",
                'Statement[1] allows s3:GetObject to principal "*" without a condition that scopes the caller',
            ),
        ),
    ),
    case("MY-S3-011", "rules enabled", [DATA, r.lifecycle(DATA)], "pass"),
    case(
        "MY-S3-011",
        "missing",
        [DATA],
        (
            (
                "data",
                (
                    "no aws.s3.BucketLifecycleConfiguration targets this bucket, so noncurrent versions and "
                    "incomplete uploads accumulate"
                ),
            ),
        ),
    ),
    case(
        "MY-S3-011",
        "all disabled",
        [
            DATA,
            r.lifecycle(
                DATA, [{"id": "old", "status": "Disabled", "filter": {}, "expiration": {"days": 30}}]
            ),
        ],
        (("data-lifecycle", "has no rule with status Enabled"),),
    ),
    case("MY-S3-012", "aborts uploads", [r.lifecycle(DATA)], "pass"),
    case(
        "MY-S3-012",
        "never aborts",
        [
            r.lifecycle(
                DATA, [{"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": 365}}]
            )
        ],
        (
            (
                "data-lifecycle",
                (
                    "no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation, so parts of "
                    "failed uploads are stored and billed indefinitely"
                ),
            ),
        ),
    ),
    # -- ECR --------------------------------------------------------------------------------------------------
    case("MY-ECR-001", "immutable", [r.repository()], "pass"),
    case(
        "MY-ECR-001",
        "mutable",
        [r.repository(imageTagMutability="MUTABLE")],
        (("serving", "imageTagMutability is 'MUTABLE', not IMMUTABLE"),),
    ),
    case(
        "MY-ECR-001",
        "default",
        [r.repository(imageTagMutability=None)],
        (("serving", "imageTagMutability is not set, so tags are MUTABLE (the ECR default)"),),
    ),
    case("MY-ECR-002", "scan on push", [r.repository()], "pass"),
    case(
        "MY-ECR-002",
        "no scanning",
        [r.repository(imageScanningConfiguration=None)],
        (("serving", "imageScanningConfiguration.scanOnPush is not set, not true"),),
    ),
    case("MY-ECR-003", "KMS", [r.repository()], "pass"),
    case(
        "MY-ECR-003",
        "default AES256",
        [r.repository(encryptionConfigurations=None)],
        (
            (
                "serving",
                (
                    "encryptionConfigurations is not set, so images are encrypted with AES256, not a "
                    "customer-managed KMS key"
                ),
            ),
        ),
    ),
    case(
        "MY-ECR-003",
        "AWS managed key",
        [r.repository(encryptionConfigurations=[{"encryptionType": "KMS"}])],
        (("serving", "encryptionConfigurations[0].kmsKey is not set, so the AWS managed key is used"),),
    ),
    case(
        "MY-ECR-004",
        "account principal",
        [
            r.record(
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "serving-policy",
                {
                    "repository": "serving",
                    "policy": r.document(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{r.ACCOUNT}:role/ci"},
                            "Action": ["ecr:BatchGetImage"],
                        }
                    ),
                },
            )
        ],
        "pass",
    ),
    case(
        "MY-ECR-004",
        "public pull",
        [
            r.record(
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "serving-policy",
                {
                    "repository": "serving",
                    "policy": r.document(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        }
                    ),
                },
            )
        ],
        (
            (
                "serving-policy",
                (
                    'Statement[0] allows ecr:BatchGetImage, ecr:GetDownloadUrlForLayer to principal "*" '
                    "without a condition that scopes the caller"
                ),
            ),
        ),
    ),
    case("MY-ECR-005", "lifecycle", [r.repository(), r.ecr_lifecycle(r.repository())], "pass"),
    case(
        "MY-ECR-005",
        "missing",
        [r.repository()],
        (("serving", "no aws.ecr.LifecyclePolicy targets this repository, so old images accumulate"),),
    ),
    case(
        "MY-ECR-005",
        "no rules",
        [r.repository(), r.ecr_lifecycle(r.repository(), json.dumps({"rules": []}))],
        (("serving-lifecycle", "policy has no rules"),),
    ),
    # -- IAM --------------------------------------------------------------------------------------------------
    case("MY-IAM-001", "scoped", [r.role_policy("read", r.READ_DATA)], "pass"),
    case(
        "MY-IAM-001",
        "star action",
        [r.role_policy("admin", {"Effect": "Allow", "Action": "*", "Resource": "*"})],
        (("admin", 'policy Statement[0] allows every action ("*")'),),
    ),
    case(
        "MY-IAM-001",
        "not action in an inline policy",
        [
            r.role(
                inlinePolicies=[
                    {
                        "name": "broad",
                        "policy": r.document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
                    }
                ]
            )
        ],
        (
            (
                "training",
                "inlinePolicies[0].policy Statement[0] allows NotAction iam:*, which grants every other action",
            ),
        ),
    ),
    case("MY-IAM-002", "named actions", [r.role_policy("read", r.READ_DATA)], "pass"),
    case(
        "MY-IAM-002",
        "s3:*",
        [r.role_policy("s3-admin", {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::data"})],
        (("s3-admin", 'policy Statement[0] allows every s3 action ("s3:*")'),),
    ),
    case(
        "MY-IAM-003",
        "documented exceptions",
        [
            r.role_policy(
                "pull",
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {"Effect": "Allow", "Action": ["ec2:DescribeSubnets", "ec2:DescribeVpcs"], "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "cloudwatch:PutMetricData",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": "Modelyard"}},
                },
            )
        ],
        "pass",
    ),
    case(
        "MY-IAM-003",
        "unexcused actions",
        [
            r.role_policy(
                "broad",
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"],
                    "Resource": "*",
                },
            )
        ],
        (
            (
                "broad",
                (
                    "policy Statement[0] allows s3:GetObject, cloudwatch:PutMetricData (needs a "
                    'cloudwatch:namespace condition) on Resource "*"'
                ),
            ),
        ),
    ),
    case(
        "MY-IAM-003",
        "VPC-mode ENI writes on Resource * (they take network-interface, subnet and security-group ARNs)",
        [
            r.role_policy(
                "vpc-mode",
                {
                    "Effect": "Allow",
                    "Action": [
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DescribeSubnets",
                    ],
                    "Resource": "*",
                },
            )
        ],
        (
            (
                "vpc-mode",
                'policy Statement[0] allows ec2:CreateNetworkInterface, ec2:DeleteNetworkInterface on Resource "*"',
            ),
        ),
    ),
    case(
        "MY-IAM-003",
        "NotResource",
        [
            r.role_policy(
                "broad", {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}
            )
        ],
        (("broad", "policy Statement[0] uses NotResource, which grants every resource not listed"),),
    ),
    case("MY-IAM-004", "service principal", [r.role()], "pass"),
    case(
        "MY-IAM-004",
        "anyone",
        [
            r.role(
                trust=r.document({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
            )
        ],
        (("training", 'assumeRolePolicy Statement[0] lets any principal ("*") assume the role'),),
    ),
    case(
        "MY-IAM-005",
        "repo and branch",
        [r.role("ci", trust=github_trust("repo:example-org/modelyard:ref:refs/heads/main"))],
        "pass",
    ),
    case(
        "MY-IAM-005",
        "whole repository",
        [r.role("ci", trust=github_trust("repo:example-org/modelyard:*"))],
        (
            (
                "ci",
                (
                    "assumeRolePolicy Statement[0] token.actions.githubusercontent.com:sub allows "
                    "'repo:example-org/modelyard:*', which allows every branch, tag, pull request and environment of "
                    "the repository"
                ),
            ),
        ),
    ),
    case(
        "MY-IAM-005",
        "any organization repo",
        [r.role("ci", trust=github_trust("repo:example-org/*"))],
        (
            (
                "ci",
                (
                    "assumeRolePolicy Statement[0] token.actions.githubusercontent.com:sub allows 'repo:example-org/*', "
                    "which does not name one repository"
                ),
            ),
        ),
    ),
    case(
        "MY-IAM-005",
        "no subject, no audience",
        [r.role("ci", trust=github_trust(None, audience=False))],
        (
            (
                "ci",
                (
                    "assumeRolePolicy Statement[0] trusts an OIDC provider without a :sub condition, so any identity it "
                    "issues can assume the role"
                ),
            ),
            ("ci", "assumeRolePolicy Statement[0] trusts an OIDC provider without an :aud condition"),
        ),
    ),
    case(
        "MY-IAM-006",
        "role attachment only",
        [
            r.record(
                "aws:iam/policyAttachment:PolicyAttachment",
                "shared",
                {"policyArn": "arn:aws:iam::1:policy/x", "roles": ["training"]},
            )
        ],
        "pass",
    ),
    case(
        "MY-IAM-006",
        "user policy",
        [
            r.record(
                "aws:iam/userPolicy:UserPolicy", "alice", {"user": "alice", "policy": r.document(r.READ_DATA)}
            )
        ],
        (("alice", "puts an inline policy directly on an IAM user; grant permissions through roles"),),
    ),
    case(
        "MY-IAM-006",
        "user attachments",
        [
            r.record(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "bob",
                {"user": "bob", "policyArn": "arn:aws:iam::1:policy/x"},
            ),
            r.record(
                "aws:iam/policyAttachment:PolicyAttachment",
                "shared",
                {"policyArn": "arn:aws:iam::1:policy/x", "users": ["carol"]},
            ),
        ],
        (
            ("bob", "attaches a managed policy directly to an IAM user; grant permissions through roles"),
            (
                "shared",
                "users is set: attaches a managed policy directly to IAM users; grant permissions through roles",
            ),
        ),
    ),
    case(
        "MY-IAM-007",
        "own policy",
        [
            r.record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "ecr-read",
                {
                    "role": "training",
                    "policyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                },
            )
        ],
        "pass",
    ),
    case(
        "MY-IAM-007",
        "SageMaker full access",
        [
            r.record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "sm-full",
                {"role": "training", "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
            ),
            r.role("admin", managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        ],
        (
            (
                "sm-full",
                (
                    "policyArn 'arn:aws:iam::aws:policy/AmazonSageMakerFullAccess' is an AWS managed policy granting "
                    "AmazonSageMakerFullAccess; write a least-privilege policy"
                ),
            ),
            (
                "admin",
                (
                    "managedPolicyArns[0] 'arn:aws:iam::aws:policy/AdministratorAccess' is an AWS managed policy "
                    "granting AdministratorAccess; write a least-privilege policy"
                ),
            ),
        ),
    ),
    case("MY-IAM-008", "well formed", [r.role(), r.role_policy("read", r.READ_DATA)], "pass"),
    case(
        "MY-IAM-008",
        "old version and bad JSON",
        [
            r.role_policy("legacy", r.READ_DATA)
            | {
                "inputs": {
                    "role": "training",
                    "policy": json.dumps({"Version": "2008-10-17", "Statement": [r.READ_DATA]}),
                }
            },
            r.record(
                "aws:iam/policy:Policy", "broken", {"policy": '{"Version": "2012-10-17", "Statement": ['}
            ),
        ],
        (
            (
                "legacy",
                "policy Version is '2008-10-17', not 2012-10-17 (older versions disable policy variables)",
            ),
            ("broken", "policy is not valid JSON (Expecting value at line 1 column 41)"),
        ),
    ),
    case(
        "MY-IAM-008",
        "bad effect in a bucket policy",
        [
            r.record(
                "aws:s3/bucketPolicy:BucketPolicy",
                "data-policy",
                {
                    "bucket": "data",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}],
                        }
                    ),
                },
            )
        ],
        (("data-policy", "policy Statement[0].Effect must be Allow or Deny, got 'Permit'"),),
    ),
    # -- KMS --------------------------------------------------------------------------------------------------
    case("MY-KMS-001", "rotating", [r.key()], "pass"),
    case(
        "MY-KMS-001",
        "not rotating",
        [r.key(enableKeyRotation=None)],
        (("data", "enableKeyRotation is not set, so the key material never rotates"),),
    ),
    case(
        "MY-KMS-001",
        "asymmetric",
        [r.key(customerMasterKeySpec="RSA_2048", keyUsage="SIGN_VERIFY", enableKeyRotation=None)],
        "not_applicable",
    ),
    case("MY-KMS-002", "inline policy", [r.key()], "pass"),
    case(
        "MY-KMS-002",
        "separate key policy",
        [
            r.key(policy=None),
            r.record(
                "aws:kms/keyPolicy:KeyPolicy",
                "data-policy",
                {"keyId": "<unknown>", "policy": r.KEY_POLICY},
                depends_on=(r.key(),),
            ),
        ],
        "pass",
    ),
    case(
        "MY-KMS-002",
        "default policy",
        [r.key(policy=None)],
        (
            (
                "data",
                (
                    "policy is not set and no aws.kms.KeyPolicy targets the key, so the default key policy delegates "
                    "all access to IAM policies in the account"
                ),
            ),
        ),
    ),
    case("MY-KMS-003", "account root", [r.key()], "pass"),
    case(
        "MY-KMS-003",
        "anyone may decrypt",
        [
            r.key(
                policy=r.document(
                    {"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt"], "Resource": "*"}
                )
            )
        ],
        (
            (
                "data",
                'policy Statement[0] allows kms:Decrypt to principal "*" without a condition that scopes the caller',
            ),
        ),
    ),
    case("MY-KMS-004", "described", [r.key()], "pass"),
    case("MY-KMS-004", "no description", [r.key(description=None)], (("data", "description is not set"),)),
    case(
        "MY-KMS-004",
        "terse",
        [r.key(description="key")],
        (("data", "description 'key' is too short to say what the key protects"),),
    ),
    case("MY-KMS-005", "safety check kept", [r.key()], "pass"),
    case(
        "MY-KMS-005",
        "bypassed",
        [r.key(bypassPolicyLockoutSafetyCheck=True)],
        (
            (
                "data",
                "bypassPolicyLockoutSafetyCheck is true, so a policy that locks everyone out of the key is accepted",
            ),
        ),
    ),
    # -- EKS --------------------------------------------------------------------------------------------------
    case("MY-EKS-001", "private", [r.cluster()], "pass"),
    case(
        "MY-EKS-001",
        "public with allow-list",
        [
            r.cluster(
                vpc_config={
                    "subnetIds": ["subnet-a"],
                    "endpointPrivateAccess": True,
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["203.0.113.0/24"],
                }
            )
        ],
        "pass",
    ),
    case(
        "MY-EKS-001",
        "defaults",
        [r.cluster(vpc_config={"subnetIds": ["subnet-a"]})],
        (
            (
                "training",
                "vpcConfig.endpointPrivateAccess is not true, so nodes reach the API server over the internet",
            ),
            (
                "training",
                (
                    "vpcConfig.endpointPublicAccess is not set (EKS defaults to public) with no publicAccessCidrs "
                    "allow-list, so the API server is reachable from the internet"
                ),
            ),
        ),
    ),
    case(
        "MY-EKS-001",
        "open to the world",
        [
            r.cluster(
                vpc_config={
                    "subnetIds": ["subnet-a"],
                    "endpointPrivateAccess": True,
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/0"],
                }
            )
        ],
        (("training", "vpcConfig.publicAccessCidrs includes 0.0.0.0/0"),),
    ),
    case("MY-EKS-002", "secrets encrypted", [r.cluster()], "pass"),
    case(
        "MY-EKS-002",
        "no encryption config",
        [r.cluster(encryptionConfig=None)],
        (
            (
                "training",
                "encryptionConfig is not set, so Kubernetes secrets are not envelope-encrypted with your KMS key",
            ),
        ),
    ),
    case(
        "MY-EKS-002",
        "no key",
        [r.cluster(encryptionConfig={"resources": ["configmaps"], "provider": {}})],
        (
            ("training", 'encryptionConfig.resources does not include "secrets"'),
            ("training", "encryptionConfig.provider.keyArn is not set"),
        ),
    ),
    case("MY-EKS-003", "all five", [r.cluster()], "pass"),
    case(
        "MY-EKS-003",
        "api only",
        [r.cluster(enabledClusterLogTypes=["api"])],
        (("training", "enabledClusterLogTypes lacks audit, authenticator, controllerManager, scheduler"),),
    ),
    case("MY-EKS-004", "supported", [r.cluster()], "pass"),
    case(
        "MY-EKS-004",
        "unpinned",
        [r.cluster(version=None)],
        (
            (
                "training",
                "version is not set, so EKS picks its newest version at creation and the cluster drifts from code",
            ),
        ),
    ),
    case(
        "MY-EKS-004",
        "end of life",
        [r.cluster(version="1.29")],
        (
            (
                "training",
                "version '1.29' is older than every version in the EKS version calendar, so EKS no longer "
                "supports it",
            ),
        ),
    ),
    case(
        "MY-EKS-004",
        "left extended support",
        [r.cluster(version="1.30")],
        (
            (
                "training",
                "version '1.30' left EKS extended support on 2026-07-23; use one EKS still supports "
                "(1.32, 1.33, 1.34, 1.35)",
            ),
        ),
    ),
    case("MY-EKS-005", "launch template, no SSH", [r.node_group()], "pass"),
    case(
        "MY-EKS-005",
        "SSH from anywhere",
        [r.node_group(launchTemplate=None, remoteAccess={"ec2SshKey": "ops"})],
        (
            (
                "gpu",
                "remoteAccess sets ec2SshKey without sourceSecurityGroupIds, so SSH (port 22) is open to 0.0.0.0/0",
            ),
        ),
    ),
    # -- EC2 --------------------------------------------------------------------------------------------------
    case("MY-EC2-001", "IMDSv2", [r.launch_template()], "pass"),
    case(
        "MY-EC2-001",
        "IMDSv1 allowed",
        [r.launch_template(metadataOptions={"httpTokens": "optional", "httpPutResponseHopLimit": 1})],
        (("gpu", "metadataOptions.httpTokens is 'optional', not required"),),
    ),
    case(
        "MY-EC2-001",
        "defaults on an instance",
        [
            r.record(
                "aws:ec2/instance:Instance",
                "bastion",
                {"ami": "ami-0abc", "instanceType": "t3.micro", "tags": r.TAGS},
            )
        ],
        (("bastion", "metadataOptions.httpTokens is not set, so IMDSv1 (no session token) stays enabled"),),
    ),
    case("MY-EC2-002", "one hop", [r.launch_template()], "pass"),
    case(
        "MY-EC2-002",
        "two hops",
        [r.launch_template(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 2})],
        (
            (
                "gpu",
                "metadataOptions.httpPutResponseHopLimit is 2, so containers can reach the instance role's credentials",
            ),
        ),
    ),
    case(
        "MY-EC2-002",
        "AMI default",
        [r.launch_template(metadataOptions={"httpTokens": "required"})],
        (
            (
                "gpu",
                (
                    "metadataOptions.httpPutResponseHopLimit is not set, so the AMI default (2 on IMDSv2-only AMIs) lets "
                    "containers reach the instance role's credentials"
                ),
            ),
        ),
    ),
    case("MY-EC2-003", "encrypted gp3", [r.launch_template()], "pass"),
    case(
        "MY-EC2-003",
        "unencrypted",
        [r.launch_template(blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 200}}])],
        (("gpu", "blockDeviceMappings[0].ebs.encrypted is not set, not true"),),
    ),
    case(
        "MY-EC2-003",
        "no mappings",
        [r.launch_template(blockDeviceMappings=None)],
        (
            (
                "gpu",
                "declares no blockDeviceMappings, so volume encryption depends on the AMI and the account default",
            ),
        ),
    ),
    case(
        "MY-EC2-004",
        "private interfaces",
        [r.launch_template(networkInterfaces=[{"associatePublicIpAddress": "false", "deviceIndex": 0}])],
        "pass",
    ),
    case(
        "MY-EC2-004",
        "public interface",
        [r.launch_template(networkInterfaces=[{"associatePublicIpAddress": "true", "deviceIndex": 0}])],
        (("gpu", "networkInterfaces[0].associatePublicIpAddress is true"),),
    ),
    case(
        "MY-EC2-005",
        "private subnet",
        [
            r.record(
                "aws:ec2/subnet:Subnet",
                "private-a",
                {"vpcId": "vpc-0abc", "cidrBlock": "10.20.0.0/20", "tags": r.TAGS},
            )
        ],
        "pass",
    ),
    case(
        "MY-EC2-005",
        "auto public IPs",
        [
            r.record(
                "aws:ec2/subnet:Subnet",
                "public-a",
                {
                    "vpcId": "vpc-0abc",
                    "cidrBlock": "10.20.128.0/20",
                    "mapPublicIpOnLaunch": True,
                    "tags": r.TAGS,
                },
            )
        ],
        (("public-a", "mapPublicIpOnLaunch is true, so every instance launched here gets a public IP"),),
    ),
    case("MY-EC2-006", "described", [r.security_group(), r.ingress_rule()], "pass"),
    case(
        "MY-EC2-006",
        "provider default and bare rules",
        [
            r.security_group(
                description="Managed by Pulumi",
                ingress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}],
            ),
            r.ingress_rule(description=None),
        ],
        (
            ("endpoint", "description is the provider default 'Managed by Pulumi'"),
            ("endpoint", "ingress[0].description is not set"),
            ("https", "description is not set"),
        ),
    ),
    case("MY-EC2-007", "VPC only", [r.security_group(), r.ingress_rule()], "pass"),
    case(
        "MY-EC2-007",
        "world ingress",
        [
            r.security_group(
                ingress=[
                    {
                        "protocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrBlocks": ["0.0.0.0/0"],
                        "description": "SSH",
                    }
                ]
            ),
            r.ingress_rule(cidrIpv4=None, cidrIpv6="::/0", ipProtocol="-1"),
        ],
        (
            ("endpoint", "ingress[0] allows tcp 22-22 from 0.0.0.0/0"),
            ("https", "allows all traffic from ::/0"),
        ),
    ),
    case("MY-EC2-008", "flow logs", [r.vpc(), r.flow_log(r.vpc())], "pass"),
    case(
        "MY-EC2-008", "no flow logs", [r.vpc()], (("main", "no aws.ec2.FlowLog captures this VPC's traffic"),)
    ),
    # -- CloudWatch / SNS ---------------------------------------------------------------------------------------
    case("MY-CW-001", "KMS", [r.log_group()], "pass"),
    case(
        "MY-CW-001",
        "no key",
        [r.log_group(kmsKeyId=None)],
        (("endpoint", "kmsKeyId is not set, so log events are encrypted only with a CloudWatch-owned key"),),
    ),
    case("MY-CW-002", "30 days", [r.log_group()], "pass"),
    case(
        "MY-CW-002",
        "forever",
        [r.log_group(retentionInDays=None)],
        (("endpoint", "retentionInDays is not set, so log events are kept (and billed) forever"),),
    ),
    case(
        "MY-CW-002",
        "zero",
        [r.log_group(retentionInDays=0)],
        (("endpoint", "retentionInDays is 0, so log events are kept (and billed) forever"),),
    ),
    case("MY-CW-003", "notifies", [r.alarm()], "pass"),
    case(
        "MY-CW-003",
        "silent",
        [r.alarm(alarmActions=None, actionsEnabled=False)],
        (
            ("latency", "actionsEnabled is false, so the alarm notifies no one"),
            ("latency", "alarmActions is empty, so the alarm notifies no one"),
        ),
    ),
    case("MY-SNS-001", "customer key", [r.topic()], "pass"),
    case(
        "MY-SNS-001",
        "unencrypted",
        [r.topic(kmsMasterKeyId=None)],
        (("alarms", "kmsMasterKeyId is not set, so messages are stored unencrypted"),),
    ),
    case(
        "MY-SNS-001",
        "AWS managed key",
        [r.topic(kmsMasterKeyId="alias/aws/sns")],
        (
            (
                "alarms",
                "kmsMasterKeyId is the AWS managed key alias/aws/sns, which CloudWatch alarms cannot publish through",
            ),
        ),
    ),
    # -- SageMaker --------------------------------------------------------------------------------------------
    case("MY-SM-001", "isolated", [r.model()], "pass"),
    case(
        "MY-SM-001",
        "not isolated",
        [r.model(enableNetworkIsolation=None)],
        (("model", "enableNetworkIsolation is not set, so the model container can make outbound calls"),),
    ),
    case("MY-SM-002", "in VPC", [r.model()], "pass"),
    case(
        "MY-SM-002",
        "no VPC",
        [r.model(vpcConfig=None)],
        (("model", "vpcConfig is not set, so the model runs outside your VPC"),),
    ),
    case(
        "MY-SM-002",
        "no security groups",
        [r.model(vpcConfig={"subnets": ["subnet-a"], "securityGroupIds": []})],
        (("model", "vpcConfig.securityGroupIds is empty"),),
    ),
    case(
        "MY-SM-003",
        "EBS-backed type with key",
        [r.endpoint_config(variants=[r.variant("ml.inf2.xlarge")], kmsKeyArn=r.KEY_ARN)],
        "pass",
    ),
    case("MY-SM-003", "NVMe type without key", [r.endpoint_config()], "pass"),
    case(
        "MY-SM-003",
        "EBS-backed type without key",
        [r.endpoint_config(variants=[r.variant("ml.m5.large")])],
        (("endpoint", "kmsKeyArn is not set, so the ML storage volume is not encrypted with your KMS key"),),
    ),
    case(
        "MY-SM-003",
        "NVMe type with key",
        [r.endpoint_config(kmsKeyArn=r.KEY_ARN)],
        (
            (
                "endpoint",
                (
                    "kmsKeyArn is set but productionVariants[0].instanceType ml.g5.xlarge has NVMe instance storage "
                    "(hardware-encrypted); CreateEndpointConfig rejects a KMS key for it"
                ),
            ),
        ),
    ),
    case(
        "MY-SM-003",
        "serverless",
        [
            r.endpoint_config(
                variants=[
                    {
                        "variantName": "primary",
                        "modelName": "model",
                        "serverlessConfig": {"maxConcurrency": 5, "memorySizeInMb": 2048},
                    }
                ]
            )
        ],
        "not_applicable",
    ),
    case("MY-SM-004", "capture encrypted", [r.endpoint_config()], "pass"),
    case(
        "MY-SM-004",
        "capture unencrypted",
        [
            r.endpoint_config(
                dataCaptureConfig={
                    "enableCapture": True,
                    "initialSamplingPercentage": 20,
                    "destinationS3Uri": "s3://capture/endpoint",
                    "captureOptions": [{"captureMode": "Input"}],
                }
            )
        ],
        (
            (
                "endpoint",
                (
                    "dataCaptureConfig.kmsKeyId is not set, so captured requests and responses are not encrypted "
                    "with your KMS key"
                ),
            ),
        ),
    ),
    case("MY-SM-004", "no capture", [r.endpoint_config(dataCaptureConfig=None)], "not_applicable"),
    case(
        "MY-SM-005", "encrypted capture bucket", [CAPTURE, r.encryption(CAPTURE), r.endpoint_config()], "pass"
    ),
    case(
        "MY-SM-005",
        "capture bucket without KMS",
        [CAPTURE, r.encryption(CAPTURE, algorithm="AES256", key=None), r.endpoint_config()],
        (
            (
                "endpoint",
                (
                    "dataCaptureConfig.destinationS3Uri points at bucket 'capture', which is not encrypted by "
                    "default with a customer-managed KMS key"
                ),
            ),
        ),
    ),
    case(
        "MY-SM-005",
        "destination found by dependency",
        [
            DATA,
            r.endpoint_config(
                depends_on=(DATA,),
                dataCaptureConfig={
                    "enableCapture": True,
                    "initialSamplingPercentage": 20,
                    "destinationS3Uri": "<unknown>",
                    "kmsKeyId": r.KEY_ARN,
                    "captureOptions": [{"captureMode": "Input"}],
                },
            ),
        ],
        (
            (
                "endpoint",
                (
                    "dataCaptureConfig.destinationS3Uri points at bucket 'data', which is not encrypted by "
                    "default with a customer-managed KMS key"
                ),
            ),
        ),
    ),
    case("MY-SM-005", "bucket outside the stack", [r.endpoint_config()], "not_applicable"),
    case("MY-SM-006", "two instances", [r.endpoint_config()], "pass"),
    case(
        "MY-SM-006",
        "one instance",
        [r.endpoint_config(variants=[r.variant(count=1)])],
        (
            (
                "endpoint",
                "productionVariants[0].initialInstanceCount is 1, so one instance failure takes the variant down",
            ),
        ),
    ),
    case("MY-SM-007", "encrypted", [r.pipeline()], "pass"),
    case(
        "MY-SM-007",
        "plaintext between nodes",
        [r.pipeline(steps=[r.training_step(EnableInterContainerTrafficEncryption=None)])],
        (("training", "step 'train' runs training without EnableInterContainerTrafficEncryption"),),
    ),
    case(
        "MY-SM-007",
        "definition in S3",
        [
            r.pipeline(
                pipelineDefinition=None,
                pipelineDefinitionS3Location={"bucket": "artifacts", "objectKey": "pipeline.json"},
            )
        ],
        "not_applicable",
    ),
    case(
        "MY-SM-008",
        "allowed GPUs and a CPU",
        [r.endpoint_config(), r.node_group(instanceTypes=["g5.xlarge", "m6i.large"]), r.pipeline()],
        "pass",
    ),
    case(
        "MY-SM-008",
        "old GPU families",
        [
            r.endpoint_config(variants=[r.variant("ml.p3.2xlarge")]),
            r.node_group(instanceTypes=["g4dn.xlarge"]),
            r.pipeline(
                steps=[r.training_step(ResourceConfig={"InstanceType": "ml.p2.xlarge", "InstanceCount": 1})]
            ),
        ],
        (
            (
                "endpoint",
                (
                    "productionVariants[0].instanceType 'ml.p3.2xlarge' is a GPU type outside the allowed families "
                    "g5, g6, g6e, p4d, p5, inf2"
                ),
            ),
            (
                "gpu",
                "instanceTypes[0] 'g4dn.xlarge' is a GPU type outside the allowed families g5, g6, g6e, p4d, p5",
            ),
            (
                "training",
                (
                    "step 'train' ResourceConfig.InstanceType 'ml.p2.xlarge' is a GPU type outside the allowed "
                    "families g5, g6, g6e, p4d, p5"
                ),
            ),
        ),
    ),
    case("MY-SM-009", "canary with rollback", [r.endpoint()], "pass"),
    case(
        "MY-SM-009",
        "all at once",
        [r.endpoint(deploymentConfig=None)],
        (
            (
                "endpoint",
                "deploymentConfig is not set, so updates switch all traffic at once with no automatic rollback",
            ),
        ),
    ),
    case(
        "MY-SM-009",
        "no alarms",
        [
            r.endpoint(
                deploymentConfig={
                    "blueGreenUpdatePolicy": {
                        "trafficRoutingConfiguration": {"type": "ALL_AT_ONCE", "waitIntervalInSeconds": 0}
                    }
                }
            )
        ],
        (
            (
                "endpoint",
                "deploymentConfig.autoRollbackConfiguration.alarms is empty, so a bad model is not rolled back",
            ),
        ),
    ),
    case("MY-SM-010", "own ECR", [r.model()], "pass"),
    case(
        "MY-SM-010",
        "Docker Hub",
        [r.model(primaryContainer={"image": "pytorch/torchserve:latest"})],
        (
            (
                "model",
                (
                    "primaryContainer.image 'pytorch/torchserve:latest' is not in a private ECR registry, so it is "
                    "neither scanned nor pinned by this stack"
                ),
            ),
        ),
    ),
    case(
        "MY-SM-010",
        "model package",
        [r.model(primaryContainer={"modelPackageName": "arn:aws:sagemaker:x"})],
        "not_applicable",
    ),
    case("MY-SM-011", "floor of two", [r.scalable_target()], "pass"),
    case(
        "MY-SM-011",
        "floor of one",
        [r.scalable_target(minCapacity=1)],
        (
            (
                "endpoint-scaling",
                "minCapacity is 1, so autoscaling can shrink the variant to fewer than two instances",
            ),
        ),
    ),
    case(
        "MY-SM-011",
        "not SageMaker",
        [r.scalable_target(serviceNamespace="ecs", minCapacity=0)],
        "not_applicable",
    ),
    case("MY-SM-012", "capturing", [r.endpoint_config()], "pass"),
    case(
        "MY-SM-012",
        "no capture",
        [r.endpoint_config(dataCaptureConfig=None)],
        (("endpoint", "dataCaptureConfig does not capture traffic, so drift cannot be monitored"),),
    ),
    case(
        "MY-SM-012",
        "zero percent",
        [
            r.endpoint_config(
                dataCaptureConfig={
                    "enableCapture": True,
                    "initialSamplingPercentage": 0,
                    "destinationS3Uri": "s3://capture/endpoint",
                    "kmsKeyId": r.KEY_ARN,
                    "captureOptions": [{"captureMode": "Input"}],
                }
            )
        ],
        (("endpoint", "dataCaptureConfig.initialSamplingPercentage is 0, so nothing is captured"),),
    ),
    case("MY-SM-013", "encrypted artifacts", [r.pipeline()], "pass"),
    case(
        "MY-SM-013",
        "SSE-S3 artifacts",
        [r.pipeline(steps=[r.training_step(OutputDataConfig={"S3OutputPath": "s3://artifacts/models/"})])],
        (("training", "step 'train' writes model artifacts without OutputDataConfig.KmsKeyId"),),
    ),
    case(
        "MY-SM-014",
        "async with key",
        [
            r.endpoint_config(
                asyncInferenceConfig={
                    "outputConfig": {"s3OutputPath": "s3://artifacts/async/", "kmsKeyId": r.KEY_ARN}
                }
            )
        ],
        "pass",
    ),
    case(
        "MY-SM-014",
        "async without key",
        [r.endpoint_config(asyncInferenceConfig={"outputConfig": {"s3OutputPath": "s3://artifacts/async/"}})],
        (
            (
                "endpoint",
                (
                    "asyncInferenceConfig.outputConfig.kmsKeyId is not set, so inference results are not encrypted "
                    "with your KMS key"
                ),
            ),
        ),
    ),
    case("MY-SM-014", "real-time", [r.endpoint_config()], "not_applicable"),
    # -- Tags and cost ----------------------------------------------------------------------------------------
    case("MY-TAG-001", "tagged", [DATA, r.key()], "pass"),
    case(
        "MY-TAG-001",
        "provider default tags",
        [
            r.record(
                "pulumi:providers:aws",
                "tagged",
                {"region": "us-east-1", "defaultTags": json.dumps({"tags": r.TAGS})},
            ),
            r.record(
                "aws:s3/bucket:Bucket",
                "plain",
                {},
                provider=r.urn("pulumi:providers:aws", "tagged") + "::0b7c7c1e",
            ),
        ],
        "pass",
    ),
    case(
        "MY-TAG-001",
        "untagged and empty",
        [r.record("aws:s3/bucket:Bucket", "plain", {}), r.key(tags={**r.TAGS, "owner": ""})],
        (("plain", "tags lack project, environment, owner, cost-center"), ("data", "tag owner is empty")),
    ),
    case(
        "MY-COST-001",
        "under the ceiling",
        [DATA],
        "pass",
        cost={"total_monthly_usd": 2400.0, "ceiling_usd": 3000.0},
    ),
    case(
        "MY-COST-001",
        "over the ceiling",
        [DATA],
        ((STACK, "estimated monthly cost $3,250.50 exceeds the stack's ceiling $3,000.00"),),
        cost={"total_monthly_usd": 3250.5, "ceiling_usd": 3000.0},
    ),
    case(
        "MY-COST-001",
        "no ceiling",
        [DATA],
        "not_applicable",
        cost={"total_monthly_usd": 3250.5, "ceiling_usd": None},
    ),
    *(case(*row) for row in DEPLOY_ORDER_ROWS),
    case(
        "MY-COST-001",
        "no estimate (fails closed)",
        [DATA],
        ((STACK, "the stack's ceiling $100.00 cannot be checked: no prices for region 'eu-central-1'"),),
        cost={"error": "no prices for region 'eu-central-1'", "ceiling_usd": 100.0},
    ),
    case(
        "MY-COST-001",
        "no estimate and no ceiling",
        [DATA],
        "not_applicable",
        cost={"error": "no prices for region 'eu-central-1'", "ceiling_usd": None},
    ),
)


# -- MY-SM-ROLE-001: what SageMaker does with a job's execution role ---------------------------------------------


def job_role_policy(*extra: dict[str, Any], encrypt: bool = True) -> dict[str, Any]:
    region_account = f"us-east-1:{r.ACCOUNT}"
    statements = [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            "Resource": [
                f"arn:aws:logs:{region_account}:log-group:/aws/sagemaker/TrainingJobs*",
                f"arn:aws:logs:{region_account}:log-group:/aws/sagemaker/TrainingJobs*:log-stream:*",
            ],
        },
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": f"arn:aws:ecr:{region_account}:repository/*",
        },
    ]
    if encrypt:
        statements.append(
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": r.KEY_ARN}
        )
    statements.extend(extra)
    return r.record(
        "aws:iam/rolePolicy:RolePolicy",
        "training-runtime",
        {"role": "training", "policy": r.document(*statements)},
    )


_EC2 = f"arn:aws:ec2:us-east-1:{r.ACCOUNT}"
VPC_JOB = r.pipeline(
    steps=[r.training_step(VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]})]
)


def eni_statements(
    subnet: str = "subnet-1", vpc: str = "vpc-1", everywhere: bool = False, create_in_vpc: bool = False
) -> list[dict[str, Any]]:
    """The ENI rights of a VPC job's role: PlatformRoles' scoped statements, or AWS's documented policy on "*"."""
    describe = {
        "Effect": "Allow",
        "Action": [
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
        ],
        "Resource": "*",
    }
    manage_actions = [
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
    ]
    if everywhere:
        return [
            describe,
            {"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", *manage_actions], "Resource": "*"},
        ]
    in_vpc = {"ArnEquals": {"ec2:Vpc": f"{_EC2}:vpc/{vpc}"}}
    create = {
        "Effect": "Allow",
        "Action": "ec2:CreateNetworkInterface",
        "Resource": [f"{_EC2}:network-interface/*", f"{_EC2}:subnet/{subnet}", f"{_EC2}:security-group/sg-1"],
    }
    if create_in_vpc:
        create["Condition"] = in_vpc
    manage = {
        "Effect": "Allow",
        "Action": manage_actions,
        "Resource": f"{_EC2}:network-interface/*",
        "Condition": in_vpc,
    }
    return [create, manage, describe]


CASES += (
    case(
        "MY-SM-ROLE-001",
        "role allows logs, image pull and the output key",
        [r.pipeline(), r.role("training"), job_role_policy()],
        "pass",
    ),
    case(
        "MY-SM-ROLE-001",
        "output key not usable",
        [r.pipeline(), r.role("training"), job_role_policy(encrypt=False)],
        (
            (
                "training",
                f"step train (Training) runs as arn:aws:iam::{r.ACCOUNT}:role/training, which does not "
                f"allow kms:Encrypt on {r.KEY_ARN}",
            ),
        ),
    ),
    case(
        "MY-SM-ROLE-001",
        "VPC job without ENI actions",
        [VPC_JOB, r.role("training"), job_role_policy()],
        tuple(
            (
                "training",
                f"step train (Training) runs as arn:aws:iam::{r.ACCOUNT}:role/training, which does not "
                f"allow {action} on {resource}",
            )
            for action, resource in (
                ("ec2:CreateNetworkInterface", f"{_EC2}:network-interface/*"),
                ("ec2:CreateNetworkInterface", f"{_EC2}:subnet/subnet-1"),
                ("ec2:CreateNetworkInterface", f"{_EC2}:security-group/sg-1"),
                ("ec2:CreateNetworkInterfacePermission", f"{_EC2}:network-interface/*"),
                ("ec2:DeleteNetworkInterface", f"{_EC2}:network-interface/*"),
                ("ec2:DeleteNetworkInterfacePermission", f"{_EC2}:network-interface/*"),
                ("ec2:DescribeNetworkInterfaces", "*"),
                ("ec2:DescribeVpcs", "*"),
                ("ec2:DescribeDhcpOptions", "*"),
                ("ec2:DescribeSubnets", "*"),
                ("ec2:DescribeSecurityGroups", "*"),
            )
        ),
    ),
    case(
        "MY-SM-ROLE-001",
        "VPC job, ENI rights scoped to its subnets, groups and VPC",
        [VPC_JOB, r.role("training"), job_role_policy(*eni_statements())],
        "pass",
    ),
    case(
        "MY-SM-ROLE-001",
        'VPC job, ENI rights on AWS\'s documented Resource "*"',
        [VPC_JOB, r.role("training"), job_role_policy(*eni_statements(everywhere=True))],
        "pass",
    ),
    case(
        "MY-SM-ROLE-001",
        "VPC job, ENIs allowed only in another subnet",
        [
            VPC_JOB,
            r.role("training"),
            job_role_policy(*eni_statements(subnet="subnet-2")),
        ],
        (
            (
                "training",
                f"step train (Training) runs as arn:aws:iam::{r.ACCOUNT}:role/training, which does not "
                f"allow ec2:CreateNetworkInterface on {_EC2}:subnet/subnet-1 (ec2:Vpc {_EC2}:vpc/vpc-1)",
            ),
        ),
    ),
    case(
        "MY-SM-ROLE-001",
        "VPC job, the new ENI conditioned on ec2:Vpc (a key CreateNetworkInterface does not set on it)",
        [
            VPC_JOB,
            r.role("training"),
            job_role_policy(*eni_statements(create_in_vpc=True)),
        ],
        (
            (
                "training",
                f"step train (Training) runs as arn:aws:iam::{r.ACCOUNT}:role/training, which does not "
                f"allow ec2:CreateNetworkInterface on {_EC2}:network-interface/*",
            ),
        ),
    ),
    case("MY-SM-ROLE-001", "role from another stack", [r.pipeline()], "not_applicable"),
)


# -- MY-SM-NET-001: VPC-bound steps reach what they call --------------------------------------------------------


def _endpoints(*services: str) -> list[dict[str, Any]]:
    return [
        r.record(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            f"endpoint-{service}",
            {"serviceName": f"com.amazonaws.us-east-1.{service}", "vpcId": "vpc-1"},
        )
        for service in services
    ]


_VPC_TRAINING = r.pipeline(
    steps=[r.training_step(VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]})]
)
_HTTPS_OUT = r.record(
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "https-out",
    {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
)

CASES += (
    case(
        "MY-SM-NET-001",
        "endpoints for image pull, logs and STS",
        [_VPC_TRAINING, *_endpoints("ecr.api", "ecr.dkr", "s3", "logs", "sts")],
        "pass",
    ),
    case(
        "MY-SM-NET-001",
        "no STS endpoint, no egress",
        [_VPC_TRAINING, *_endpoints("ecr.api", "ecr.dkr", "s3", "logs")],
        (
            (
                "training",
                "step train (Training) runs in the VPC, which has no endpoint for sts and no HTTPS egress "
                "to the internet",
            ),
        ),
    ),
    case("MY-SM-NET-001", "HTTPS egress through NAT", [_VPC_TRAINING, _HTTPS_OUT, *_endpoints("s3")], "pass"),
    case("MY-SM-NET-001", "endpoints belong to an existing VPC", [_VPC_TRAINING], "not_applicable"),
)
