"""The CrossGuard config of each environment: every rule's enforcement level, derived from the registry."""

from __future__ import annotations

import json
from pathlib import Path

from modelyard.policies.rule import ENVIRONMENTS
from modelyard.policies.rules import RULES

PACK_DIRECTORY = Path(__file__).resolve().parent


def pack_config(environment: str) -> dict[str, dict[str, str]]:
    """`--policy-pack-config` content for an environment (unknown names get prod's levels)."""
    return {rule.id: {"enforcementLevel": rule.levels.for_stack(environment)} for rule in RULES}


def config_path(environment: str) -> Path:
    """Where the shipped config file of a known environment lives (policies/config.<env>.json)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    return PACK_DIRECTORY / f"config.{environment}.json"


def render(environment: str) -> str:
    return json.dumps(pack_config(environment), indent=2) + "\n"
