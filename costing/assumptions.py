"""What the cost estimate assumes beyond the planned resources: usage, hours, discounts, the ceiling."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.costing.price_table import CostError


@dataclass(frozen=True)
class CostAssumptions:
    """Usage the plan cannot know; each value is printed with the estimate."""

    storage_gb: float = 100.0
    """S3 Standard storage across all buckets, in GB. Default 100 (stacks set storage.expectedStorageGb)."""
    log_gb_per_month: float = 5.0
    """CloudWatch Logs ingested per month across all log groups, in GB. Default 5."""
    hours_per_month: float = 730.0
    """Hours in the billed month. Default 730 (AWS's average month)."""
    off_hours_fraction: float | None = None
    """Share of the month a scheduled endpoint is scaled down, used only when its schedule cannot be
    replayed (rate()/at() expressions). Default None: such an endpoint is taken to run at its minimum."""
    spot_discount: float | None = None
    """Spot discount off on-demand, as a fraction. Default None: the price table's assumption."""
    ceiling_usd: float | None = None
    """The stack's monthly cost ceiling, reported with the estimate. Default None."""

    def __post_init__(self) -> None:
        problems = []
        for field_name in ("storage_gb", "log_gb_per_month"):
            if getattr(self, field_name) < 0:
                problems.append(f"{field_name} must be >= 0 (got {getattr(self, field_name)})")
        if not 0 < self.hours_per_month <= 744:
            problems.append(f"hours_per_month must be in (0, 744] (got {self.hours_per_month})")
        if self.off_hours_fraction is not None and not 0 <= self.off_hours_fraction <= 1:
            problems.append(f"off_hours_fraction must be in [0, 1] (got {self.off_hours_fraction})")
        if self.spot_discount is not None and not 0 <= self.spot_discount < 1:
            problems.append(f"spot_discount must be in [0, 1) (got {self.spot_discount})")
        if self.ceiling_usd is not None and self.ceiling_usd <= 0:
            problems.append(f"ceiling_usd must be > 0 (got {self.ceiling_usd})")
        if problems:
            raise CostError("invalid cost assumptions: " + "; ".join(problems))
