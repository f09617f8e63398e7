"""The package's one error base: every error carries the exit code a command ends with when it escapes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What every `modelyard` command (and the training and step entry points) exits with."""

    OK = 0
    FAILED = 1
    """The work failed, or the plan has a mandatory policy violation."""
    BAD_INPUT = 2
    """Bad input: config, arguments, files; nothing was done."""


class ModelyardError(Exception):
    """Base of every error this package raises on purpose; the work failed (exit 1) unless a subclass says otherwise."""

    exit_code: ExitCode = ExitCode.FAILED


class InputError(ModelyardError):
    """Bad input: config, arguments or files (exit 2)."""

    exit_code = ExitCode.BAD_INPUT
