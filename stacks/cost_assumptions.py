"""Cost assumptions from a stack's config: the storage estimate and ceiling a Modelyard stack declares."""

from __future__ import annotations

from collections.abc import Mapping

from modelyard.costing import CostAssumptions
from modelyard.stacks.config import ConfigError, parse_config


def assumptions_from_config(values: Mapping[str, str]) -> CostAssumptions:
    """Assumptions from a stack's flat Pulumi config; defaults for a program that is not Modelyard's."""
    try:
        config = parse_config(dict(values))
    except ConfigError:
        # A foreign program (`plan --program`) has no modelyard: config; its estimate uses the defaults.
        return CostAssumptions()
    return CostAssumptions(
        storage_gb=config.storage.expected_storage_gb, ceiling_usd=config.monthly_cost_ceiling_usd
    )
