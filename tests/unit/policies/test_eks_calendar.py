"""The EKS version calendar: ordered, consistent, and what the standard-support rule concludes on a given day."""

from __future__ import annotations

import datetime

from modelyard.components.training_cluster import TrainingClusterArgs
from modelyard.policies.eks_versions import CALENDAR, in_standard_support
from modelyard.policies.rules.eks_standard_support import standard_support_problems
from modelyard.stacks.config import TrainingConfig


def test_rows_are_ordered_and_extended_support_adds_a_year():
    versions = [tuple(map(int, row.version.split("."))) for row in CALENDAR]
    assert versions == sorted(versions)
    for row in CALENDAR:
        assert row.extended_support_ends == row.standard_support_ends.replace(
            year=row.standard_support_ends.year + 1
        )


def test_standard_support_on_given_days():
    assert in_standard_support(datetime.date(2026, 12, 1)) == ["1.34", "1.35"]
    assert in_standard_support(datetime.date(2026, 12, 3)) == ["1.35"]
    assert standard_support_problems("1.34", datetime.date(2026, 12, 2)) == []
    assert standard_support_problems("1.34", datetime.date(2026, 12, 3)) == [
        "version '1.34' left EKS standard support on 2026-12-02: extended support bills $0.60 instead of $0.10 per "
        "cluster hour; upgrade to 1.35"
    ]


def test_the_defaults_are_in_standard_support_on_the_review_date():
    review = datetime.date(2026, 12, 6)
    assert standard_support_problems(TrainingConfig().eks_version, review) == []
    assert TrainingClusterArgs.__dataclass_fields__["version"].default == TrainingConfig().eks_version
