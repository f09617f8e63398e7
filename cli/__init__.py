"""The `modelyard` command line: one Typer app, one file per command group."""

from modelyard.cli.app import app, main

__all__ = ["app", "main"]
