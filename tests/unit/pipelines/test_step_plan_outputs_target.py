"""A step given only --stack reads the offline plan's made-up names: it must never send them to AWS."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from modelyard.pipelines.aws_clients import ENDPOINT_VARIABLES, AwsClients
from modelyard.pipelines.steps.commands import step_app


@pytest.fixture
def no_endpoint_and_no_aws(monkeypatch, tmp_path):
    """No endpoint override, no local cloud state under the working folder, and any AWS client call fails."""
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def refuse(self, service):
        raise AssertionError(f"a {service} client was used against {self.endpoint_url or 'AWS'}")

    monkeypatch.setattr(AwsClients, "client", refuse)


def test_stack_without_local_cloud_or_endpoint_is_refused_before_any_request(
    no_endpoint_and_no_aws, tmp_path
):
    result = CliRunner().invoke(step_app, ["ingest", "--stack", "dev", "--result-dir", str(tmp_path / "out")])

    assert result.exit_code == 2, result.output
    assert "no local cloud of 'dev' is running" in result.output
    assert "modelyard local-cloud up --stack dev" in result.output
    recorded = json.loads((tmp_path / "out" / "result.json").read_text())
    assert recorded["status"] == "error" and recorded["error"].startswith("StepInputError: --stack dev")


def test_pipeline_run_help_says_it_refuses_without_a_local_cloud_or_endpoint():
    from modelyard.cli.pipeline import pipeline_app

    shown = CliRunner().invoke(
        pipeline_app, ["run", "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"}
    )
    assert shown.exit_code == 0
    assert "else AWS" not in shown.output
    assert "without either, run refuses: it never runs the steps against AWS" in " ".join(
        shown.output.split()
    )
