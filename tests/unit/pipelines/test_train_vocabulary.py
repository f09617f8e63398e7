"""`modelyard train` and `modelyard pipeline train` speak one vocabulary: --on (where) and --framework (which
entry point)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelyard.cli.app import app
from modelyard.pipelines.aws_clients import ENDPOINT_VARIABLES
from modelyard.pipelines.steps.commands import step_app

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "stack-outputs-dev.json"
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def _options(application, *command: str) -> set[str]:
    shown = CliRunner().invoke(application, [*command, "--help"], env=WIDE)
    assert shown.exit_code == 0, shown.output
    return {word.strip(",") for word in shown.output.split() if word.startswith("--")}


def test_both_training_commands_name_platform_and_framework_alike():
    for options in (_options(app, "train"), _options(step_app, "train")):
        assert {"--on", "--framework"} <= options
        assert not {"--mode", "--algorithm"} & options


@pytest.mark.parametrize(
    ("arguments", "named"),
    [(["--framework", "xgboost"], "--framework 'xgboost'"), (["--on", "eks"], "--on 'eks'")],
)
def test_the_step_names_the_option_it_rejects(monkeypatch, tmp_path, arguments, named):
    for name in ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        step_app,
        [
            "train",
            "--outputs-file",
            str(FIXTURE),
            "--result-dir",
            str(tmp_path),
            "--train-uri",
            "s3://b/train.csv",
            "--validation-uri",
            "s3://b/validation.csv",
            *arguments,
        ],
    )

    assert result.exit_code == 2, result.output
    recorded = json.loads((tmp_path / "result.json").read_text())
    assert recorded["error"].startswith(f"StepInputError: {named}")
