"""The EKS Kubernetes version calendar: when each version leaves standard and extended support (the one home of
these dates; the EKS rules and the stacks' default version read them).

Source: "Understand the Kubernetes version lifecycle on EKS", Amazon EKS user guide
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), release calendar, checked 2026-12-06;
every row below also matches https://endoflife.date/amazon-eks (end of support / extended support, 1.30-1.35).
Extended support lasts 12 months after standard support ends and costs $0.60 instead of $0.10 per cluster hour
(https://aws.amazon.com/eks/pricing/). Add each new version's row when EKS releases it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class EksVersion:
    version: str
    standard_support_ends: datetime.date
    extended_support_ends: datetime.date


CALENDAR: tuple[EksVersion, ...] = (
    EksVersion("1.30", datetime.date(2025, 7, 23), datetime.date(2026, 7, 23)),
    EksVersion("1.31", datetime.date(2025, 11, 26), datetime.date(2026, 11, 26)),
    EksVersion("1.32", datetime.date(2026, 3, 23), datetime.date(2027, 3, 23)),
    EksVersion("1.33", datetime.date(2026, 7, 29), datetime.date(2027, 7, 29)),
    EksVersion("1.34", datetime.date(2026, 12, 2), datetime.date(2027, 12, 2)),
    EksVersion("1.35", datetime.date(2027, 3, 27), datetime.date(2028, 3, 27)),
)
BY_VERSION = {row.version: row for row in CALENDAR}


def in_standard_support(on: datetime.date) -> list[str]:
    """The versions in standard support on `on`, oldest first."""
    return [row.version for row in CALENDAR if on <= row.standard_support_ends]
