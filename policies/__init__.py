"""Modelyard's policy pack: one rule set, run by Pulumi CrossGuard and by the offline plan."""
