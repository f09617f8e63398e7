"""checkov from `.venv-checkov` (what `make scan` installs), or a skip where it is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.planning.checkov_scan import CheckovRun, run_checkov

REPO = Path(__file__).resolve().parents[3]
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def checkov(framework: str, target: Path) -> CheckovRun:
    """Run checkov offline on an export; skips the test where `make scan` has not installed checkov."""
    if not CHECKOV.is_file():
        pytest.skip("checkov is not installed in .venv-checkov (`make scan` installs it; CI runs it there)")
    return run_checkov(CHECKOV, framework, target)
