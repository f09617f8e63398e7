"""The main job end to end: `modelyard demo` exits 0, leaves a champion in MLflow and a drift plot."""

import os
import re
import subprocess
import sys

import pytest

from modelyard.workflow.compiler import (
    DEPLOY,
    EVALUATE,
    GATE,
    GATE_FAILED,
    INGEST,
    MONITOR,
    REGISTER,
    TRAIN,
)

STEP_NAMES = (INGEST, TRAIN, EVALUATE, GATE, REGISTER, DEPLOY, MONITOR, GATE_FAILED)


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    work_dir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "modelyard.cli", "demo", "--work-dir", str(work_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = result.stdout[result.stdout.index("modelyard demo: summary") :]
    for step in STEP_NAMES:
        assert step in summary  # the summary lists the compiled definition's steps
    assert "retrain: DeployModel" in summary and "monitor drift (landed data)" in summary
    # Both executions ran with every call checked against the plan's roles, and none was denied.
    iam_rows = [line for line in summary.splitlines() if "IAM check (roles as planned)" in line]
    assert len(iam_rows) == 2 and all(
        re.search(r"[1-9]\d* calls checked, 0 denied", row) for row in iam_rows
    ), iam_rows
    champion = [line for line in summary.splitlines() if line.startswith("MLflow champion version:")]
    assert champion and champion[0].split(":")[1].strip().isdigit()
    assert (work_dir / "drift" / "drift.png").stat().st_size > 0
    assert not (work_dir / "local-cloud" / "dev" / "state.json").exists()  # the local cloud was stopped
