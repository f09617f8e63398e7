"""Checks a command's output file paths before it does any work, so bad paths fail fast as bad input."""

from __future__ import annotations

import os
from pathlib import Path

from modelyard.catalog.errors import InputError


class OutputPathError(InputError):
    """An output path that cannot be written: its folder is missing or not writable, or it names a folder."""


def check_output_path(path: Path, option: str) -> None:
    """Raise OutputPathError naming `option` unless `path` can be created or overwritten as a file."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputPathError(f"{option} {path}: is a folder, a file path is expected")
    if not folder.is_dir():
        raise OutputPathError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{option} {path}: folder {folder} is not writable")
