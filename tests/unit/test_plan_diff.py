"""Plan diffs: one changed instance type is exactly one change; additions, removals, outputs, rendering."""

import copy
import json
import textwrap
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from modelyard.cli import app
from modelyard.planning.diff import (
    MAX_MARKDOWN_ROWS,
    PlanFileError,
    diff_plans,
    diff_to_markdown,
    has_changes,
    load_plan_json,
    render_diff,
)
from modelyard.planning.engine import plan_program

CONFIG_URN = "urn:pulumi:dev::serving::aws:sagemaker/endpointConfiguration:EndpointConfiguration::config"
BUCKET_URN = "urn:pulumi:dev::serving::aws:s3/bucket:Bucket::models"


def plan_document() -> dict:
    return {
        "stack": "dev",
        "resources": [
            {
                "urn": BUCKET_URN,
                "type": "aws:s3/bucket:Bucket",
                "name": "models",
                "parent": None,
                "inputs": {"forceDestroy": False, "tags": {"environment": "dev"}},
            },
            {
                "urn": CONFIG_URN,
                "type": "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                "name": "config",
                "parent": None,
                "inputs": {
                    "productionVariants": [
                        {
                            "variantName": "AllTraffic",
                            "instanceType": "ml.g5.xlarge",
                            "initialInstanceCount": 1,
                        }
                    ]
                },
            },
        ],
        "outputs": {"endpoint_name": "serving-1a2b3c4", "token": "[secret]"},
        "policy": {"violations": [], "rules_evaluated": 0},
        "cost": {"total_monthly_usd": 1027.84},
    }


def test_one_changed_instance_type_is_exactly_one_change():
    old = plan_document()
    new = copy.deepcopy(old)
    new["resources"][1]["inputs"]["productionVariants"][0]["instanceType"] = "ml.g6.xlarge"
    diff = diff_plans(old, new)
    assert diff["added"] == {} and diff["removed"] == {} and diff["outputs_changed"] == []
    assert diff["changed"] == {
        CONFIG_URN: {
            "type": "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            "name": "config",
            "changes": [
                {
                    "path": "productionVariants[0].instanceType",
                    "kind": "changed",
                    "old": "ml.g5.xlarge",
                    "new": "ml.g6.xlarge",
                }
            ],
        }
    }
    assert diff["summary"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 1, "outputs_changed": 0}


def test_identical_plans_have_no_changes():
    diff = diff_plans(plan_document(), plan_document())
    assert not has_changes(diff) and diff["summary"]["unchanged"] == 2
    assert "No changes." in diff_to_markdown(diff)


def test_added_removed_nested_and_output_changes():
    old, new = plan_document(), plan_document()
    added = {
        "urn": "urn:pulumi:dev::serving::aws:kms/key:Key::data",
        "type": "aws:kms/key:Key",
        "name": "data",
        "parent": None,
        "inputs": {"enableKeyRotation": True},
    }
    new["resources"] = [added, new["resources"][1]]
    new["resources"][1]["inputs"]["productionVariants"].append(
        {"variantName": "Shadow", "instanceType": "ml.g5.xlarge"}
    )
    new["resources"][1]["inputs"]["kmsKeyArn"] = "arn:aws:kms:us-east-1:123456789012:key/1"
    new["outputs"] = {"endpoint_name": "serving-9z8y7x6", "token": "[secret]", "region": "us-east-1"}
    new["cost"] = {"total_monthly_usd": 2055.68}
    diff = diff_plans(old, new)
    assert list(diff["added"]) == [added["urn"]] and list(diff["removed"]) == [BUCKET_URN]
    changes = {change["path"]: change for change in diff["changed"][CONFIG_URN]["changes"]}
    assert changes["kmsKeyArn"]["kind"] == "added" and changes["kmsKeyArn"]["old"] is None
    assert changes["productionVariants[1]"] == {
        "path": "productionVariants[1]",
        "kind": "added",
        "old": None,
        "new": {"variantName": "Shadow", "instanceType": "ml.g5.xlarge"},
    }
    assert [(c["path"], c["kind"]) for c in diff["outputs_changed"]] == [
        ("endpoint_name", "changed"),
        ("region", "added"),
    ]
    assert diff["cost"] == {
        "old_monthly_usd": 1027.84,
        "new_monthly_usd": 2055.68,
        "delta_monthly_usd": 1027.84,
    }


def test_markdown_lists_each_change_and_escapes_table_syntax():
    old, new = plan_document(), plan_document()
    new["resources"][0]["inputs"]["tags"]["environment"] = "dev|blue"
    markdown = diff_to_markdown(diff_plans(old, new))
    assert markdown.startswith("### Stack `dev`")
    assert "| ~ | `models` | `aws:s3/bucket:Bucket` | `tags.environment` | `dev` | `dev\\|blue` |" in markdown
    assert "0 to add, 1 to change, 0 to remove, 1 unchanged" in markdown


def test_markdown_stays_short_for_large_diffs():
    old, new = plan_document(), plan_document()
    new["resources"] += [
        {
            "urn": f"urn:pulumi:dev::serving::aws:kms/key:Key::key{i}",
            "type": "aws:kms/key:Key",
            "name": f"key{i}",
        }
        for i in range(MAX_MARKDOWN_ROWS + 5)
    ]
    markdown = diff_to_markdown(diff_plans(old, new))
    assert markdown.count("| + |") == MAX_MARKDOWN_ROWS and "... and 5 more rows" in markdown


def test_terminal_table_shows_values_literally():
    old, new = plan_document(), plan_document()
    new["outputs"]["token"] = "[bold]x[/bold]"
    console = Console(record=True, width=200)
    render_diff(diff_plans(old, new), console)
    text = console.export_text()
    assert "[secret]" in text and "[bold]x[/bold]" in text and "token" in text


def test_plan_files_are_checked(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(PlanFileError, match="is not JSON"):
        load_plan_json(broken)
    broken.write_text(json.dumps({"stack": "dev"}))
    with pytest.raises(PlanFileError, match="no `resources` list"):
        load_plan_json(broken)
    with pytest.raises(PlanFileError, match="cannot read plan file"):
        load_plan_json(tmp_path / "missing.json")


SERVING_PROGRAM = """
import pulumi
import pulumi_aws as aws

config = aws.sagemaker.EndpointConfiguration("config", production_variants=[
    aws.sagemaker.EndpointConfigurationProductionVariantArgs(
        variant_name="AllTraffic", model_name="bootstrap",
        instance_type=pulumi.Config().require("instanceType"), initial_instance_count=1)])
aws.s3.Bucket("models")
pulumi.export("config_name", config.name)
"""


@pytest.fixture
def serving_program(tmp_path: Path) -> Path:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: serving\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  serving:instanceType: ml.g5.xlarge\n"
    )
    (program / "__main__.py").write_text(textwrap.dedent(SERVING_PROGRAM))
    return program


def test_two_real_plans_with_one_changed_instance_type(serving_program, tmp_path):
    changed_config = tmp_path / "Pulumi.dev.g6.yaml"
    changed_config.write_text("config:\n  aws:region: us-east-1\n  serving:instanceType: ml.g6.xlarge\n")
    old = plan_program(serving_program, "dev").to_json()
    new = plan_program(serving_program, "dev", config_file=changed_config).to_json()
    diff = diff_plans(old, new)
    [(urn, entry)] = diff["changed"].items()
    assert urn.endswith("aws:sagemaker/endpointConfiguration:EndpointConfiguration::config")
    assert entry["changes"] == [
        {
            "path": "productionVariants[0].instanceType",
            "kind": "changed",
            "old": "ml.g5.xlarge",
            "new": "ml.g6.xlarge",
        }
    ]
    assert diff["summary"]["added"] == diff["summary"]["removed"] == 0


def test_plan_diff_option_reports_exactly_that_change(serving_program, tmp_path):
    """`modelyard plan --diff OLD.json` (wired in modelyard.cli by the plan command)."""
    runner = CliRunner()
    base = runner.invoke(app, ["plan", "--program", str(serving_program), "--stack", "dev", "--json"])
    # The bare endpoint config breaks mandatory policy rules (exit 1); the plan and its diff are still complete.
    assert base.exit_code == 1, base.output
    old_file = tmp_path / "base.json"
    old_file.write_text(base.stdout)
    changed_config = tmp_path / "Pulumi.dev.g6.yaml"
    changed_config.write_text("config:\n  aws:region: us-east-1\n  serving:instanceType: ml.g6.xlarge\n")
    markdown = tmp_path / "diff.md"
    result = runner.invoke(
        app,
        [
            "plan",
            "--program",
            str(serving_program),
            "--stack",
            "dev",
            "--config",
            str(changed_config),
            "--json",
            "--diff",
            str(old_file),
            "--diff-markdown",
            str(markdown),
        ],
    )
    assert result.exit_code == 1, result.output
    diff = json.loads(result.stdout)["diff"]
    assert diff["summary"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 1, "outputs_changed": 0}
    [entry] = diff["changed"].values()
    assert [(c["path"], c["old"], c["new"]) for c in entry["changes"]] == [
        ("productionVariants[0].instanceType", "ml.g5.xlarge", "ml.g6.xlarge")
    ]
    assert "`productionVariants[0].instanceType` | `ml.g5.xlarge` | `ml.g6.xlarge`" in markdown.read_text()
    human = runner.invoke(
        app,
        [
            "plan",
            "--program",
            str(serving_program),
            "--stack",
            "dev",
            "--config",
            str(changed_config),
            "--diff",
            str(old_file),
        ],
    )
    assert human.exit_code == 1, human.output  # the same policy violations as above
    assert "0 to add, 1 to change, 0 to remove" in " ".join(human.stdout.split())  # the table may wrap


def test_plan_diff_option_rejects_a_bad_plan_file(serving_program, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = CliRunner().invoke(
        app, ["plan", "--program", str(serving_program), "--stack", "dev", "--diff", str(bad)]
    )
    assert result.exit_code == 2 and "bad.json" in result.stderr
