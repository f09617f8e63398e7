"""Issue 20's plan findings: secrets shown as [secret] (8), assets by path and hash (10), program errors with type and
frame (13), output paths checked before the plan runs (14), progress on stderr (16)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from modelyard.model_code.bootstrap import BOOTSTRAP_ARCHIVE
from modelyard.planning.diff import diff_plans
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, Plan, ProgramError, plan_program
from modelyard.planning.render import render_plan

MODELYARD = [sys.executable, "-m", "modelyard.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*MODELYARD, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def bucket_program(tmp_path: Path) -> Path:
    folder = tmp_path / "program"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: foreign\nruntime: python\n")
    (folder / "__main__.py").write_text(
        textwrap.dedent("""
        import pulumi
        import pulumi_aws as aws

        bucket = aws.s3.Bucket("data")
        pulumi.export("bucket_name", bucket.bucket)
    """)
    )
    return folder


def test_finding_8_the_text_plan_shows_secret_outputs_as_secret():
    plan = Plan(
        stack="dev",
        project="p",
        region="us-east-1",
        resources=[],
        outputs={"token": "s3cr3t", "name": "b"},
        secret_outputs={"token"},
    )
    console = Console(record=True, width=200)
    render_plan(plan, console)
    text = console.export_text()
    assert "token │ [secret]" in text and "s3cr3t" not in text


def test_finding_10_a_plan_diffed_against_itself_has_no_change():
    first, second = plan_program(DEFAULT_PROGRAM_DIR, "dev"), plan_program(DEFAULT_PROGRAM_DIR, "dev")
    [model] = [
        r
        for r in first.resources
        if r.type == "aws:s3/bucketObjectv2:BucketObjectv2" and "bootstrap" in r.name
    ]
    assert model.inputs["source"]["kind"] == "FileAsset"
    assert model.inputs["source"]["hash"] == hashlib.sha256(BOOTSTRAP_ARCHIVE.read_bytes()).hexdigest()
    changes = diff_plans(first.to_json(), second.to_json())
    assert changes["summary"]["changed"] == 0 and changes["changed"] == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import pulumi\nsettings = {}\nsize = settings['instance_size']\n",
            "KeyError: 'instance_size' (at __main__.py:3)",
        ),
        ("import sys\n\nsys.exit(3)\n", "the program called sys.exit(3) (at __main__.py:3)"),
        ("import helpers\n", "ZeroDivisionError: division by zero (at helpers.py:2)"),
    ],
)
def test_finding_13_a_failing_program_shows_the_exception_type_and_its_own_frame(
    bucket_program, source, expected
):
    (bucket_program / "__main__.py").write_text(source)
    (bucket_program / "helpers.py").write_text("def ratio():\n    return 1 / 0\nratio()\n")
    with pytest.raises(ProgramError) as caught:
        plan_program(bucket_program, "dev")
    assert str(caught.value) == expected


@pytest.mark.parametrize("option", ["--outputs", "--diff-markdown"])
def test_finding_14_an_output_path_in_a_missing_folder_fails_as_bad_input_before_the_plan(
    tmp_path, bucket_program, option
):
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"stack": "dev", "resources": [], "outputs": {}}))
    target = tmp_path / "missing" / "out"
    extra = ["--diff", str(previous)] if option == "--diff-markdown" else []
    result = run_cli("plan", "--program", str(bucket_program), "--stack", "dev", *extra, option, str(target))
    assert result.returncode == 2, result.stderr
    assert f"{option} {target}: folder {target.parent} does not exist" in result.stderr
    assert "running" not in result.stderr  # refused before the program ran


def test_finding_14_pipeline_compile_out_into_a_missing_folder_fails_as_bad_input(tmp_path):
    target = tmp_path / "missing" / "definition.json"
    result = run_cli("pipeline", "compile", "--stack", "dev", "--out", str(target))
    assert result.returncode == 2, result.stderr
    assert f"--out {target}: folder {target.parent} does not exist" in result.stderr


def test_finding_16_plan_progress_goes_to_stderr_and_json_stays_clean(bucket_program):
    result = run_cli("plan", "--program", str(bucket_program), "--stack", "dev", "--json")
    document = json.loads(result.stdout)
    assert document["resources"][0]["name"] == "data"
    assert f"plan: running {bucket_program / '__main__.py'} for stack dev" in result.stderr
    assert "plan: registered 1 resources in" in result.stderr
    assert "plan: evaluating the policy pack and the cost model" in result.stderr
