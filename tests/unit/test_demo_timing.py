"""The demo's summary times each row by itself: the monitor's row excludes the retrain it triggers."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from modelyard.cli import demo
from modelyard.pipelines import s3_objects, stack_outputs
from modelyard.pipelines.steps import monitor as monitor_step
from modelyard.workflow.compiler import INGEST, INGEST_REPORT

MONITOR_S, RETRAIN_S = 0.05, 0.4


@pytest.fixture
def slow_retrain(monkeypatch, tmp_path):
    outputs = SimpleNamespace(region="us-east-1", data_bucket="data", data_key_arn=None)
    monkeypatch.setattr(stack_outputs, "load_stack_outputs", lambda path: outputs)
    monkeypatch.setattr(s3_objects, "upload_file", lambda clients, path, uri, key: uri)

    def run_pipeline(console, state, stack, runs_dir, report, label, parameters=None):
        time.sleep(RETRAIN_S)
        report.rows.append(demo.SummaryRow(f"{label}Train", "Succeeded", RETRAIN_S))
        return SimpleNamespace(
            status="Succeeded", execution_id="e-2", to_json=lambda: {"status": "Succeeded"}
        )

    def monitor(outputs, clients, *, retrain, result_dir, **options):
        time.sleep(MONITOR_S)
        retrain()
        return {
            "plot_path": str(result_dir / "drift.png"),
            "drift_detected": True,
            "max_psi": 1.2,
            "drifted_features": ["f0"],
            "report_uri": "s3://a/report.json",
            "plot_uri": "s3://a/drift.png",
        }

    monkeypatch.setattr(demo, "_run_pipeline", run_pipeline)
    monkeypatch.setattr(monitor_step, "monitor", monitor)


def test_monitor_row_excludes_the_retrain_which_has_its_own_row(slow_retrain, tmp_path):
    report = demo.DemoReport(rows=[demo.SummaryRow("plan dev", "ok", 1.0)])
    first = SimpleNamespace(
        step=lambda name: (
            SimpleNamespace(outputs={INGEST_REPORT: {"baseline_uri": "s3://data/baseline.json"}})
            if name == INGEST
            else None
        )
    )
    state = SimpleNamespace(endpoint_url="http://127.0.0.1:1", outputs_file=str(tmp_path / "outputs.json"))

    demo._drift_and_retrain(Console(quiet=True), state, "dev", Path(tmp_path), first, report)

    rows = {row.step: row for row in report.rows}
    assert [row.step for row in report.rows] == [
        "plan dev",
        "monitor drift (landed data)",
        "retrain (pipeline execution)",
        "retrain: Train",
    ]
    assert MONITOR_S <= rows["monitor drift (landed data)"].duration_s < RETRAIN_S
    assert rows["retrain (pipeline execution)"].duration_s >= RETRAIN_S
    assert rows["retrain (pipeline execution)"].status == "Succeeded"
