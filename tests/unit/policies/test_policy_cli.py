"""`modelyard policies list` and `modelyard policies config`."""

from __future__ import annotations

import json

from rich.console import Console
from typer.testing import CliRunner

from modelyard.cli import policies as policies_cli
from modelyard.cli.policies import app
from modelyard.policies.pack_config import render
from modelyard.policies.rules import RULES

runner = CliRunner()


def test_list_prints_every_rule_with_severity_and_levels():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    assert f"({len(RULES)} rules)" in result.output
    for rule in RULES:
        assert rule.id in result.output
    assert "mandatory" in result.output and "advisory" in result.output and "disabled" in result.output


def test_list_json_has_anchors_and_levels_per_environment():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == [rule.id for rule in RULES]
    s3_block = rows[0]
    assert s3_block["anchors"] == ["CKV2_AWS_6", "AwsSolutions-S2", "SecurityHub S3.8"]
    assert s3_block["levels"] == {"dev": "mandatory", "staging": "mandatory", "prod": "mandatory"}
    assert s3_block["kind"] == "stack"
    endpoint_ha = next(row for row in rows if row["id"] == "MY-SM-006")
    assert endpoint_ha["levels"]["dev"] == "disabled"
    assert endpoint_ha["resource_types"] == ["aws:sagemaker/endpointConfiguration:EndpointConfiguration"]


def test_list_names_the_checkov_checks_each_rule_mirrors(monkeypatch):
    rows = {row["id"]: row for row in json.loads(runner.invoke(app, ["list", "--json"]).output)}
    assert rows["MY-SM-003"]["checkov"] == ["CKV_AWS_98"]
    assert rows["MY-S3-001"]["checkov"] == ["CKV2_AWS_6"]
    assert all(check.startswith("CKV") for row in rows.values() for check in row["checkov"])
    monkeypatch.setattr(policies_cli, "console", Console(width=300))
    lines = runner.invoke(app, ["list"]).output.splitlines()
    assert "checkov" in next(line for line in lines if "Severity" in line)
    assert "CKV_AWS_98" in next(line for line in lines if "MY-SM-003" in line)


def test_config_prints_the_environment_file():
    result = runner.invoke(app, ["config", "dev"])
    assert result.exit_code == 0
    assert result.output == render("dev")


def test_config_rejects_an_unknown_environment():
    result = runner.invoke(app, ["config", "qa"])
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.output
