"""Composes Modelyard's components for one stack from its validated config, and exports the outputs contract."""

from __future__ import annotations

import pulumi

from modelyard.stacks.config import ConfigError, StackConfig, parse_config, read_pulumi_config


def main() -> None:
    try:
        config = parse_config(read_pulumi_config())
    except ConfigError as error:
        # Raised before any resource is registered, so an invalid config creates nothing.
        raise pulumi.RunError(str(error)) from None
    build(config)


def build(config: StackConfig) -> None:
    pulumi.export("environment", config.environment)
    pulumi.export("region", config.region)
