"""Fixture rows for the deploy-order rules (MY-DEP-*) and the EKS standard-support rule: what a first `pulumi up`
needs from the plan. policy_rule_cases turns each row into a Case."""

from __future__ import annotations

from typing import Any

import policy_records as r

ROLE_POLICY_MESSAGE = (
    "role names role training, but this resource does not wait for the role's policies {names}: "
    "AWS checks the role's permissions when it creates the resource"
)
DIGEST_IMAGE = f"{r.ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serving@sha256:" + "0" * 64
REMEDY = "build it here (docker-build Image, by its digest) or pin it (<repository>@sha256:...)"
AUTO_SCALING_ROLE = (
    f"arn:aws:iam::{r.ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)
GITHUB_URL = "https://token.actions.githubusercontent.com"


def _depending(record: dict[str, Any], *targets: dict[str, Any], prop: str | None = None) -> dict[str, Any]:
    """`record` depending on `targets` (through input `prop` when given, as the engine records an Output input)."""
    built = {
        **record,
        "dependencies": sorted({*record["dependencies"], *(target["urn"] for target in targets)}),
    }
    if prop is not None:
        built["property_dependencies"] = {prop: [target["urn"] for target in targets]}
    return built


# -- images ---------------------------------------------------------------------------------------------------
BUILD = r.record(
    "docker-build:index:Image",
    "serving-image",
    {"push": True, "tags": [f"{r.ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serving:0.1.0-abc"]},
)
REPOSITORY = r.repository()
COMPUTED_IMAGE = {"image": "<unknown>", "modelDataUrl": "s3://artifacts/model.tar.gz"}

# -- KMS for Auto Scaling ------------------------------------------------------------------------------------
AUTO_SCALING_KEY_POLICY = r.document(
    {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{r.ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    },
    {
        "Effect": "Allow",
        "Principal": {"AWS": AUTO_SCALING_ROLE},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
    },
    {
        "Effect": "Allow",
        "Principal": {"AWS": AUTO_SCALING_ROLE},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    },
)
GRANTING_KEY = r.key(policy=AUTO_SCALING_KEY_POLICY)
PLAIN_KEY = r.key()

# -- roles ----------------------------------------------------------------------------------------------------
ROLE = r.role()
READ = _depending(r.role_policy("training-read", r.READ_DATA), ROLE, prop="role")
FUNCTION = r.record(
    "aws:lambda/function:Function",
    "deploy",
    {"role": "<unknown>", "packageType": "Image", "imageUri": DIGEST_IMAGE, "tags": r.TAGS},
)

# -- Kubernetes behind EKS -------------------------------------------------------------------------------------
PRIVATE_CLUSTER = r.cluster()
PUBLIC_CLUSTER = r.cluster(
    vpc_config={
        "subnetIds": ["subnet-a", "subnet-b"],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": True,
        "publicAccessCidrs": ["203.0.113.0/24"],
    }
)
KUBERNETES = _depending(
    r.record("pulumi:providers:kubernetes", "k8s", {"kubeconfig": "[secret]"}),
    PRIVATE_CLUSTER,
    prop="kubeconfig",
)
NAMESPACE = r.record(
    "kubernetes:core/v1:Namespace",
    "jobs",
    {"metadata": {"name": "jobs"}},
    provider=KUBERNETES["urn"] + "::0b7c7c1e",
)

# -- account singletons ---------------------------------------------------------------------------------------
OIDC = [
    r.record(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        f"github-{env}",
        {"url": GITHUB_URL, "clientIdLists": ["sts.amazonaws.com"], "tags": r.TAGS},
    )
    for env in ("dev", "staging")
]
AUTO_SCALING_SLR = r.record(
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    "autoscaling",
    {"awsServiceName": "autoscaling.amazonaws.com", "tags": r.TAGS},
)

ROWS: tuple[tuple[str, str, list[dict[str, Any]], Any], ...] = (
    # -- EKS standard support ---------------------------------------------------------------------------------
    ("MY-EKS-006", "1.35", [r.cluster(version="1.35")], "pass"),
    (
        "MY-EKS-006",
        "1.33",
        [r.cluster(version="1.33")],
        (
            (
                "training",
                "version '1.33' left EKS standard support on 2026-07-29: extended support bills $0.60 instead of "
                "$0.10 per cluster hour; upgrade to 1.35",
            ),
        ),
    ),
    (
        "MY-EKS-006",
        "not in the calendar",
        [r.cluster(version="1.99")],
        (
            (
                "training",
                "version '1.99' is not in the EKS version calendar (policies/eks_versions.py); add its support "
                "dates from the EKS user guide, or use one in standard support (1.35)",
            ),
        ),
    ),
    ("MY-EKS-006", "unpinned", [r.cluster(version=None)], "not_applicable"),
    # -- images by digest or built in the update --------------------------------------------------------------
    ("MY-DEP-001", "digest", [r.model(primaryContainer={"image": DIGEST_IMAGE})], "pass"),
    (
        "MY-DEP-001",
        "built here",
        [BUILD, _depending(r.model(primaryContainer=COMPUTED_IMAGE), BUILD, prop="primaryContainer")],
        "pass",
    ),
    (
        "MY-DEP-001",
        "tag",
        [r.model()],
        (
            (
                "model",
                f"primaryContainer.image '{r.SERVING_IMAGE}' is not pinned by digest: nothing in this update pushes "
                f"it, and a tag can move; {REMEDY}",
            ),
        ),
    ),
    (
        "MY-DEP-001",
        "repository created, nothing pushed",
        [
            REPOSITORY,
            _depending(r.model(primaryContainer=COMPUTED_IMAGE), REPOSITORY, prop="primaryContainer"),
        ],
        (
            (
                "model",
                "primaryContainer.image names an image in repository serving, which this update creates and no "
                f"build in it pushes to: {REMEDY}",
            ),
        ),
    ),
    ("MY-DEP-001", "computed elsewhere", [r.model(primaryContainer=COMPUTED_IMAGE)], "pass"),
    ("MY-DEP-001", "no image", [r.key()], "not_applicable"),
    # -- the Auto Scaling service-linked role may use the volumes' key -----------------------------------------
    ("MY-DEP-002", "granted", [GRANTING_KEY, _depending(r.launch_template(), GRANTING_KEY)], "pass"),
    (
        "MY-DEP-002",
        "root only",
        [PLAIN_KEY, _depending(r.launch_template(), PLAIN_KEY)],
        (
            (
                "data",
                "launch template gpu encrypts volumes with this key, but its policy does not allow "
                "AWSServiceRoleForAutoScaling kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, "
                "kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:DescribeKey, kms:CreateGrant: Auto "
                "Scaling cannot launch the instances (AWS: Required KMS key policy for use with encrypted volumes)",
            ),
        ),
    ),
    ("MY-DEP-002", "key from elsewhere", [r.launch_template()], "not_applicable"),
    # -- resources under a role wait for its policies ----------------------------------------------------------
    ("MY-DEP-003", "waits", [ROLE, READ, _depending(_depending(FUNCTION, ROLE, prop="role"), READ)], "pass"),
    (
        "MY-DEP-003",
        "races",
        [ROLE, READ, _depending(FUNCTION, ROLE, prop="role")],
        (("deploy", ROLE_POLICY_MESSAGE.format(names="training-read")),),
    ),
    ("MY-DEP-003", "no role here", [FUNCTION], "not_applicable"),
    # -- Kubernetes only through a reachable API ----------------------------------------------------------------
    ("MY-DEP-004", "private, nothing applied", [PRIVATE_CLUSTER], "pass"),
    (
        "MY-DEP-004",
        "private with resources",
        [PRIVATE_CLUSTER, KUBERNETES, NAMESPACE],
        (
            (
                "training",
                "the API endpoint is private-only (vpcConfig.endpointPublicAccess false), but this update also "
                "applies 1 Kubernetes resource(s) through provider k8s: `pulumi up` reaches them only from inside "
                "the VPC; make the endpoint public to named publicAccessCidrs, or apply the Kubernetes resources "
                "from a program that runs inside the VPC",
            ),
        ),
    ),
    ("MY-DEP-004", "public to named CIDRs", [PUBLIC_CLUSTER, NAMESPACE], "not_applicable"),
    # -- account singletons at most once ---------------------------------------------------------------------
    ("MY-DEP-005", "once", [OIDC[0], AUTO_SCALING_SLR], "pass"),
    (
        "MY-DEP-005",
        "twice",
        OIDC,
        (
            (
                "github-staging",
                "'token.actions.githubusercontent.com' is an account singleton that github-dev already "
                "creates: AWS refuses the second (EntityAlreadyExists); create it in one stack and look it "
                "up in the others",
            ),
        ),
    ),
    ("MY-DEP-005", "none", [r.key()], "not_applicable"),
)
