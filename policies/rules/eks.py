"""EKS rules: private API endpoint, secrets encryption, control-plane logs, a supported version, no open SSH."""

from __future__ import annotations

import datetime
import re

from modelyard.policies.eks_versions import BY_VERSION, CALENDAR
from modelyard.policies.resources import Resource
from modelyard.policies.rule import MANDATORY, ResourceRule
from modelyard.policies.values import ABSENT, UNKNOWN, has_unknown_item, is_set, items_of, lookup

CLUSTER_TYPES = frozenset({"aws:eks/cluster:Cluster"})
NODE_GROUP_TYPES = frozenset({"aws:eks/nodeGroup:NodeGroup"})

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORLD = frozenset({"0.0.0.0/0", "::/0"})
VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)$")


def _endpoint_private(cluster: Resource) -> list[str]:
    vpc_config = lookup(cluster.inputs, "vpcConfig")
    if vpc_config == UNKNOWN:
        return []
    problems = []
    if lookup(vpc_config, "endpointPrivateAccess") not in (True, UNKNOWN):
        problems.append(
            "vpcConfig.endpointPrivateAccess is not true, so nodes reach the API server over the internet"
        )
    public = lookup(vpc_config, "endpointPublicAccess")
    # EKS makes the endpoint public unless told otherwise.
    if public in (True, ABSENT):
        cidrs = lookup(vpc_config, "publicAccessCidrs")
        qualifier = "true" if public is True else "not set (EKS defaults to public)"
        if cidrs is ABSENT or (cidrs != UNKNOWN and not items_of(cidrs)):
            problems.append(
                f"vpcConfig.endpointPublicAccess is {qualifier} with no publicAccessCidrs allow-list, "
                "so the API server is reachable from the internet"
            )
        elif open_cidrs := [cidr for cidr in items_of(cidrs) if cidr in WORLD]:
            problems.append(f"vpcConfig.publicAccessCidrs includes {', '.join(open_cidrs)}")
    return problems


PRIVATE_ENDPOINT = ResourceRule(
    id="MY-EKS-001",
    description="EKS API endpoints are private, or public only to an explicit CIDR allow-list.",
    severity="high",
    anchors=(
        "CKV_AWS_38",
        "CKV_AWS_39",
        "AwsSolutions-EKS1",
        "aws-eks-cluster-disallow-api-endpoint-public-access",
        "SecurityHub EKS.1",
    ),
    levels=MANDATORY,
    resource_types=CLUSTER_TYPES,
    check=_endpoint_private,
)


def _secrets_encrypted(cluster: Resource) -> list[str]:
    config = lookup(cluster.inputs, "encryptionConfig")
    if config == UNKNOWN:
        return []
    if config is ABSENT:
        return [
            "encryptionConfig is not set, so Kubernetes secrets are not envelope-encrypted with your KMS key"
        ]
    problems = []
    resources = lookup(config, "resources")
    if not has_unknown_item(resources) and "secrets" not in items_of(resources):
        problems.append('encryptionConfig.resources does not include "secrets"')
    if not is_set(lookup(config, "provider", "keyArn")):
        problems.append("encryptionConfig.provider.keyArn is not set")
    return problems


SECRETS_ENCRYPTION = ResourceRule(
    id="MY-EKS-002",
    description="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity="high",
    anchors=("CKV_AWS_58", "aws-eks-cluster-enable-cluster-encryption-config", "SecurityHub EKS.3"),
    levels=MANDATORY,
    resource_types=CLUSTER_TYPES,
    check=_secrets_encrypted,
)


def _all_log_types(cluster: Resource) -> list[str]:
    enabled = lookup(cluster.inputs, "enabledClusterLogTypes")
    if has_unknown_item(enabled):
        return []
    missing = [log_type for log_type in CONTROL_PLANE_LOG_TYPES if log_type not in items_of(enabled)]
    return [f"enabledClusterLogTypes lacks {', '.join(missing)}"] if missing else []


CONTROL_PLANE_LOGS = ResourceRule(
    id="MY-EKS-003",
    description="EKS clusters send all five control-plane log types to CloudWatch.",
    severity="medium",
    anchors=("CKV_AWS_37", "AwsSolutions-EKS2", "SecurityHub EKS.8"),
    levels=MANDATORY,
    resource_types=CLUSTER_TYPES,
    check=_all_log_types,
)


def _supported_version(cluster: Resource) -> list[str]:
    version = lookup(cluster.inputs, "version")
    if version == UNKNOWN:
        return []
    if version is ABSENT:
        return [
            "version is not set, so EKS picks its newest version at creation and the cluster drifts from code"
        ]
    match = VERSION_PATTERN.match(str(version))
    if not match:
        return [f"version {version!r} is not a Kubernetes minor version like 1.35"]
    row = BY_VERSION.get(str(version))
    if row is not None and datetime.date.today() > row.extended_support_ends:
        supported = ", ".join(r.version for r in CALENDAR if datetime.date.today() <= r.extended_support_ends)
        return [
            f"version {version!r} left EKS extended support on {row.extended_support_ends.isoformat()}; "
            f"use one EKS still supports ({supported})"
        ]
    if row is None and (int(match.group(1)), int(match.group(2))) < _version_tuple(CALENDAR[0].version):
        return [
            f"version {version!r} is older than every version in the EKS version calendar, so EKS no longer "
            "supports it"
        ]
    return []


def _version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


SUPPORTED_VERSION = ResourceRule(
    id="MY-EKS-004",
    description="EKS clusters pin a Kubernetes version that EKS still supports.",
    severity="medium",
    anchors=("CKV_AWS_339", "SecurityHub EKS.2"),
    levels=MANDATORY,
    resource_types=CLUSTER_TYPES,
    check=_supported_version,
)


def _no_open_ssh(node_group: Resource) -> list[str]:
    remote_access = lookup(node_group.inputs, "remoteAccess")
    if remote_access in (ABSENT, UNKNOWN) or not is_set(lookup(remote_access, "ec2SshKey")):
        return []
    sources = lookup(remote_access, "sourceSecurityGroupIds")
    if sources == UNKNOWN or items_of(sources):
        return []
    return [
        "remoteAccess sets ec2SshKey without sourceSecurityGroupIds, so SSH (port 22) is open to 0.0.0.0/0"
    ]


NO_OPEN_SSH = ResourceRule(
    id="MY-EKS-005",
    description="EKS node groups never open SSH to the internet.",
    severity="high",
    anchors=("CKV_AWS_100",),
    levels=MANDATORY,
    resource_types=NODE_GROUP_TYPES,
    check=_no_open_ssh,
)


RULES = (PRIVATE_ENDPOINT, SECRETS_ENCRYPTION, CONTROL_PLANE_LOGS, SUPPORTED_VERSION, NO_OPEN_SSH)
