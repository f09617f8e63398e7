"""EKS clusters run a Kubernetes version in standard support (past it, EKS bills extended support at 6x)."""

from __future__ import annotations

import datetime

from modelyard.policies.eks_versions import BY_VERSION, in_standard_support
from modelyard.policies.resources import Resource
from modelyard.policies.rule import ADVISORY_IN_DEV, NotApplicable, ResourceRule
from modelyard.policies.values import ABSENT, UNKNOWN, lookup

CLUSTER_TYPES = frozenset({"aws:eks/cluster:Cluster"})


def standard_support_problems(version: str, today: datetime.date) -> list[str]:
    """Why `version` is not a version to run on `today` (empty when it is in standard support)."""
    row = BY_VERSION.get(version)
    current = ", ".join(in_standard_support(today)) or "none in the table: add the new versions"
    if row is None:
        return [
            f"version {version!r} is not in the EKS version calendar (policies/eks_versions.py); "
            f"add its support dates from the EKS user guide, or use one in standard support ({current})"
        ]
    if today > row.standard_support_ends:
        return [
            f"version {version!r} left EKS standard support on {row.standard_support_ends.isoformat()}: "
            f"extended support bills $0.60 instead of $0.10 per cluster hour; upgrade to {current}"
        ]
    return []


def _in_standard_support(cluster: Resource) -> list[str] | NotApplicable:
    version = lookup(cluster.inputs, "version")
    if version in (ABSENT, UNKNOWN):
        return NotApplicable("the version is not pinned or not known yet (MY-EKS-004 covers unpinned)")
    return standard_support_problems(str(version), datetime.date.today())


RULE = ResourceRule(
    id="MY-EKS-006",
    description="EKS clusters run a Kubernetes version in EKS standard support (by the dated version calendar).",
    severity="medium",
    anchors=("CKV_AWS_339", "AWS EKS version lifecycle"),
    levels=ADVISORY_IN_DEV,
    resource_types=CLUSTER_TYPES,
    check=_in_standard_support,
)

RULES = (RULE,)
