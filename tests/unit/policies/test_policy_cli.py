"""`modelyard policies list` and `modelyard policies config`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

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


def test_config_prints_the_environment_file():
    result = runner.invoke(app, ["config", "dev"])
    assert result.exit_code == 0
    assert result.output == render("dev")


def test_config_rejects_an_unknown_environment():
    result = runner.invoke(app, ["config", "qa"])
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.output
