"""The offline plan: runs real programs under Pulumi's mocks, records resources and outputs, exits by contract."""

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from modelyard.planning.collector import collector_paused
from modelyard.planning.engine import (
    DEFAULT_PROGRAM_DIR,
    ProgramError,
    plan_program,
    run_under_mocks,
)

MODELYARD = [sys.executable, "-m", "modelyard.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*MODELYARD, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def foreign_program(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: foreign\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  foreign:owner: me\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi
            import pulumi_aws as aws

            bucket = aws.s3.Bucket("data")
            pulumi.export("bucket_name", bucket.bucket)
            pulumi.export("bucket_arn", bucket.arn)
            pulumi.export("owner", pulumi.Config().require("owner"))
            pulumi.export("owner_secret", pulumi.Config().get_secret("owner"))
            pulumi.export("token", pulumi.Output.secret("s3cr3t"))
            """
        )
    )
    return tmp_path


def test_foreign_program_lists_its_bucket(foreign_program):
    plan = plan_program(foreign_program, "dev")
    [bucket] = plan.resources
    assert bucket.type == "aws:s3/bucket:Bucket"
    assert bucket.urn == "urn:pulumi:dev::foreign::aws:s3/bucket:Bucket::data"
    assert bucket.parent == "urn:pulumi:dev::foreign::pulumi:pulumi:Stack::foreign-dev"
    assert plan.outputs["bucket_arn"] == f"arn:aws:s3:::{plan.outputs['bucket_name']}"
    assert plan.outputs["owner"] == "me"
    assert plan.region == "eu-west-1"


def test_plan_is_deterministic(foreign_program):
    first, second = plan_program(foreign_program, "dev"), plan_program(foreign_program, "dev")
    assert first.to_json() == second.to_json()


def test_secret_outputs_are_masked_in_json(foreign_program):
    plan = plan_program(foreign_program, "dev")
    assert plan.outputs["token"] == "s3cr3t"  # in-process callers may read it
    assert plan.to_json()["outputs"]["token"] == "[secret]"
    assert "s3cr3t" not in json.dumps(plan.to_json())


def test_secure_config_values_never_reach_the_output(tmp_path, foreign_program):
    config = tmp_path / "with-secret.yaml"
    config.write_text("config:\n  foreign:owner:\n    secure: v1:abcdef==\n")
    plan = plan_program(foreign_program, "dev", config_file=config)
    assert plan.to_json()["outputs"]["owner_secret"] == "[secret]"
    assert "v1:abcdef" not in json.dumps(plan.to_json())


def test_invalid_config_registers_no_resource(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "config:\n  modelyard:environment: dev\n  modelyard:owner: a\n  modelyard:costCenter: b\n  modelyard:typo: 1\n"
    )
    with pytest.raises(ProgramError) as caught:
        plan_program(DEFAULT_PROGRAM_DIR, "dev", config_file=config)
    assert "modelyard:typo: unknown key" in str(caught.value)
    assert caught.value.registered == []


def test_program_error_is_reported(tmp_path, foreign_program):
    (foreign_program / "__main__.py").write_text("raise ValueError('boom in program')\n")
    with pytest.raises(ProgramError, match="boom in program"):
        plan_program(foreign_program, "dev")


def test_cli_json_has_the_contract_keys(foreign_program):
    result = run_cli("plan", "--program", str(foreign_program), "--stack", "dev", "--json")
    # A bare bucket breaks mandatory rules (no encryption, no public access block): exit 1.
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert {"stack", "resources", "outputs", "policy", "cost"} <= set(document)
    assert {"urn", "type", "name", "parent", "inputs"} <= set(document["resources"][0])
    assert {"violations", "rules_evaluated"} <= set(document["policy"])
    bucket_urn = document["resources"][0]["urn"]
    assert {v["rule_id"] for v in document["policy"]["violations"] if v["urn"] == bucket_urn} >= {
        "MY-S3-001",
        "MY-S3-005",
    }
    assert document["cost"]["total_monthly_usd"] >= 0


def test_cli_tree_counts_types(foreign_program):
    result = run_cli("plan", "--program", str(foreign_program), "--stack", "dev")
    assert result.returncode == 1, result.stderr
    assert "aws:s3/bucket:Bucket" in result.stdout and "1 resources" in result.stdout


def test_cli_bad_config_exits_2_naming_the_key(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "config:\n  modelyard:environment: dev\n  modelyard:owner: a\n  modelyard:costCenter: b\n"
        "  modelyard:inference:\n    instanceCount: -3\n"
    )
    result = run_cli("plan", "--stack", "dev", "--config", str(config))
    assert result.returncode == 2
    assert "modelyard:inference.instanceCount" in result.stderr


def test_cli_missing_stack_file_exits_2():
    result = run_cli("plan", "--stack", "nonexistent")
    assert result.returncode == 2
    assert "Pulumi.nonexistent.yaml" in result.stderr


def test_cli_writes_outputs_file_private(tmp_path, foreign_program):
    target = tmp_path / "outputs.json"
    result = run_cli("plan", "--program", str(foreign_program), "--stack", "dev", "--outputs", str(target))
    assert result.returncode == 1, result.stderr
    assert json.loads(target.read_text())["owner"] == "me"
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_plan_with_zero_mandatory_violations(stack):
    result = run_cli("plan", "--stack", stack, "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    document = json.loads(result.stdout)
    assert [v for v in document["policy"]["violations"] if v["enforcement"] == "mandatory"] == []
    assert document["policy"]["rules_evaluated"] >= 44
    assert document["cost"]["total_monthly_usd"] > 0


def test_secret_stack_config_stays_secret_in_the_plan(tmp_path):
    shipped = (DEFAULT_PROGRAM_DIR / "Pulumi.dev.yaml").read_text()
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text(shipped + "  modelyard:alarmWebhookUrl:\n    secure: v1:c2VjcmV0IHdlYmhvb2s=\n")
    plan = plan_program(DEFAULT_PROGRAM_DIR, "dev", config_file=config)
    [subscription] = [r for r in plan.resources if r.name.endswith("-alarms-webhook")]
    assert subscription.inputs["endpoint"] == "[secret]" and subscription.inputs["protocol"] == "https"
    document = json.dumps(plan.to_json())
    assert "offline-plan-secret" not in document and "c2VjcmV0" not in document


def test_the_program_runs_with_the_collector_paused_and_the_callers_setting_comes_back():
    seen: list[bool] = []
    assert gc.isenabled()
    monitor, failure = run_under_mocks(
        lambda: seen.append(gc.isenabled()), stack="dev", project="gc", region="us-east-1"
    )
    assert failure is None
    assert seen == [False]
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_paused_until_the_outer_one_ends():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_what_a_pause_kept_goes_to_the_oldest_generation_and_nothing_stays_frozen():
    with collector_paused():
        kept = [[index] for index in range(10_000)]
    assert gc.get_count()[0] < 700
    assert gc.get_freeze_count() == 0
    assert any(item is kept for item in gc.get_objects(generation=2))
