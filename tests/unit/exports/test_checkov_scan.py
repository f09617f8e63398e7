"""The checkov gate: the skips file's rules, checkov's report read, exit codes, the pack's verdict per check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelyard.planning import checkov_scan
from modelyard.planning.checkov_scan import (
    CheckovRun,
    FailedCheck,
    StackScan,
    pack_comparison,
    parse_checkov_report,
)
from modelyard.policies.checkov_skips import MAX_SKIPS, SKIPS_FILE, CheckovSkip, SkipsFileError, load_skips

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "two_components"


def test_the_shipped_skips_file_is_within_its_rules():
    skips = load_skips(SKIPS_FILE)
    assert 0 < len(skips) <= MAX_SKIPS
    assert all(len(skip.reason) > 40 for skip in skips.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CKV_AWS_1\n", "CKV_AWS_1 has no reason"),
        ("AWS_1  a reason\n", "'AWS_1' is not a checkov check id"),
        ("CKV_AWS_1  a reason\nCKV_AWS_1  again\n", "line 4: CKV_AWS_1 is listed twice"),
        (
            "".join(f"CKV_AWS_{n}  reason {n}\n" for n in range(MAX_SKIPS + 1)),
            f"{MAX_SKIPS + 1} skips, at most {MAX_SKIPS}",
        ),
    ],
)
def test_a_broken_skips_file_names_the_line_and_the_problem(tmp_path, text, message):
    path = tmp_path / "skips.txt"
    path.write_text("# comment\n\n" + text)
    with pytest.raises(SkipsFileError, match=message):
        load_skips(path)


def test_checkov_json_is_read_in_both_shapes():
    report = {
        "check_type": "terraform_plan",
        "summary": {"passed": 7, "failed": 1, "skipped": 0, "parsing_errors": 0, "resource_count": 3},
        "results": {"failed_checks": [{"check_id": "CKV_AWS_1", "check_name": "one", "resource": "aws_x.y"}]},
    }
    for stdout in (json.dumps(report), json.dumps([{"check_type": "secrets", "summary": {}}, report])):
        run = parse_checkov_report(stdout, "terraform_plan", Path("plan.json"))
        assert (run.passed, run.checks_run, run.resource_count) == (7, 8, 3)
        assert run.failed == (FailedCheck("CKV_AWS_1", "one", "aws_x.y"),)


def test_each_failing_check_is_set_beside_the_pack_rules_that_mirror_it():
    run = CheckovRun(
        "terraform_plan",
        Path("p.json"),
        10,
        (
            FailedCheck("CKV_AWS_98", "sm", "a"),
            FailedCheck("CKV_AWS_144", "crr", "b"),
            FailedCheck("CKV_AWS_144", "crr", "c"),
        ),
        0,
        0,
        3,
    )
    scan = StackScan("prod", run, None, 3, 0, pack_outcomes={"MY-SM-003": "pass"})
    rows = {
        row["check_id"]: row
        for row in pack_comparison(scan, {"CKV_AWS_144": CheckovSkip("CKV_AWS_144", "why")})
    }
    assert rows["CKV_AWS_98"]["mirrored_by"] == ["MY-SM-003"] and rows["CKV_AWS_98"]["pack"] == ["pass"]
    assert rows["CKV_AWS_98"]["skip_reason"] is None
    assert rows["CKV_AWS_144"]["resources"] == 2 and rows["CKV_AWS_144"]["skip_reason"] == "why"


def _fake_checkov(tmp_path: Path, failing: list[str]) -> Path:
    """An executable answering like `checkov -o json`: every failing id once, on whatever it was given."""
    script = tmp_path / "checkov"
    report = {
        "summary": {
            "passed": 400,
            "failed": len(failing),
            "skipped": 0,
            "parsing_errors": 0,
            "resource_count": 99,
        },
        "results": {"failed_checks": [{"check_id": i, "check_name": i, "resource": "r"} for i in failing]},
    }
    script.write_text(
        f"#!{sys.executable}\nprint({json.dumps(json.dumps(report))})\nraise SystemExit({int(bool(failing))})\n"
    )
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(("failing", "exit_code"), [(["CKV_AWS_144"], 0), (["CKV_AWS_144", "CKV_AWS_1"], 1)])
def test_scan_fails_on_a_failed_check_outside_the_skips(tmp_path, failing, exit_code):
    skips = tmp_path / "skips.txt"
    skips.write_text("CKV_AWS_144  single-region by design\n")
    result = CliRunner().invoke(
        checkov_scan.app,
        [
            "--checkov",
            str(_fake_checkov(tmp_path, failing)),
            "--stack",
            "dev",
            "--program",
            str(EXAMPLE),
            "--out",
            str(tmp_path / "scan"),
            "--skips",
            str(skips),
        ],
    )
    assert result.exit_code == exit_code, result.output
    report = (tmp_path / "scan" / "report.md").read_text()
    assert f"| dev | terraform_plan | {400 + len(failing)} | 400 | {len(failing)} |" in report
    assert ("CKV_AWS_1 " in result.output) is (exit_code == 1)


def test_scan_without_checkov_is_bad_input(tmp_path):
    result = CliRunner().invoke(checkov_scan.app, ["--checkov", str(tmp_path / "none"), "--stack", "dev"])
    assert result.exit_code == 2
    assert "make scan" in result.output
