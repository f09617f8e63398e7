"""Modelyard's Pulumi ComponentResources, importable by any Pulumi program."""
