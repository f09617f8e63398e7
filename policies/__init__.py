"""Modelyard's policy pack: one rule set, run by Pulumi CrossGuard and by the offline plan."""

from modelyard.policies.evaluation import evaluate

__all__ = ["evaluate"]
