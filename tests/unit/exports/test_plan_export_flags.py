"""`modelyard plan --terraform-plan FILE --k8s-manifests DIR` on any program `--program` accepts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelyard.cli import app

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "two_components"


def test_plan_writes_both_exports_and_says_how_much_they_hold(tmp_path):
    plan_file, manifests = tmp_path / "plan.json", tmp_path / "k8s"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "--stack",
            "dev",
            "--program",
            str(EXAMPLE),
            "--json",
            "--terraform-plan",
            str(plan_file),
            "--k8s-manifests",
            str(manifests),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(plan_file.read_text())
    assert document["format_version"] == "1.2"
    exported = len(document["resource_changes"])
    assert exported > 10
    assert f"terraform-plan: {exported} of {exported} AWS resources -> {plan_file}" in " ".join(
        result.output.split()
    )
    assert manifests.is_dir() and list(manifests.iterdir()) == []  # this program has no Kubernetes resources
