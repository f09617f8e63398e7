"""checkov, the scanner security teams already run, on each stack's exports: Terraform-plan JSON and Kubernetes
manifests. A failed check passes the gate only when policies/checkov-skips.txt lists it with its reason.

`python -m modelyard.planning.checkov_scan --checkov .venv-checkov/bin/checkov` (what `make scan` runs).
Exit codes: 0 every failed check is a listed skip and checkov saw >= 90 % of each export's resources;
1 otherwise; 2 bad input (no checkov, a broken skips file, a program that does not plan).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from modelyard.planning.assessment import assess
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, Plan, ProgramError, plan_program
from modelyard.planning.k8s_manifests import write_k8s_manifests
from modelyard.planning.terraform_plan import terraform_plan
from modelyard.policies.checkov_skips import SKIPS_FILE, CheckovSkip, SkipsFileError, checkov_ids, load_skips
from modelyard.policies.rules import RULES
from modelyard.stacks.stack_files import StackFileError

SHIPPED_STACKS = ("dev", "staging", "prod")
MIN_COVERAGE = 0.9
CHECKOV_TIMEOUT_S = 900


class CheckovError(RuntimeError):
    """checkov could not run or its output could not be read."""


@dataclass(frozen=True)
class FailedCheck:
    check_id: str
    name: str
    resource: str


@dataclass(frozen=True)
class CheckovRun:
    """One checkov run over one export."""

    framework: str
    target: Path
    passed: int
    failed: tuple[FailedCheck, ...]
    skipped: int
    parsing_errors: int
    resource_count: int

    @property
    def checks_run(self) -> int:
        return self.passed + len(self.failed) + self.skipped


@dataclass
class StackScan:
    """Both exports of one stack, judged."""

    stack: str
    terraform: CheckovRun
    kubernetes: CheckovRun | None
    aws_resources: int
    kubernetes_resources: int
    pack_outcomes: dict[str, str] = field(default_factory=dict)

    def runs(self) -> list[CheckovRun]:
        return [run for run in (self.terraform, self.kubernetes) if run is not None]

    def unskipped(self, skips: dict[str, CheckovSkip]) -> list[FailedCheck]:
        return [check for run in self.runs() for check in run.failed if check.check_id not in skips]

    def coverage_problems(self) -> list[str]:
        problems = []
        for run, expected in (
            (self.terraform, self.aws_resources),
            (self.kubernetes, self.kubernetes_resources),
        ):
            if run is None or expected == 0:
                continue
            if run.parsing_errors:
                problems.append(
                    f"{self.stack}: checkov could not parse {run.target} ({run.parsing_errors} errors)"
                )
            if run.resource_count < MIN_COVERAGE * expected:
                problems.append(
                    f"{self.stack}: checkov saw {run.resource_count} of {expected} resources in {run.target.name} "
                    f"(< {MIN_COVERAGE:.0%})"
                )
        return problems


def run_checkov(checkov: Path, framework: str, target: Path) -> CheckovRun:
    """Run checkov offline (`--skip-download`: no Prisma Cloud, no policy download) on one export."""
    selector = ["-f", str(target)] if target.is_file() else ["-d", str(target)]
    command = [str(checkov), "--skip-download", "--framework", framework, *selector, "-o", "json"]
    # No API key: checkov must never try to reach the platform from CI.
    environment = {
        key: value for key, value in os.environ.items() if key not in ("BC_API_KEY", "PRISMA_API_URL")
    }
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, env=environment, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CheckovError(f"{checkov} could not run on {target}: {error}") from error
    if completed.returncode not in (0, 1):
        raise CheckovError(
            f"checkov exited {completed.returncode} on {target}: {completed.stderr.strip()[-2000:]}"
        )
    return parse_checkov_report(completed.stdout, framework, target)


def parse_checkov_report(stdout: str, framework: str, target: Path) -> CheckovRun:
    """checkov's `-o json` output: one report object (or a list of them, one per framework)."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise CheckovError(f"checkov's output for {target} is not JSON: {error}") from error
    reports = report if isinstance(report, list) else [report]
    ours = [item for item in reports if item.get("check_type") == framework] or reports
    summary = ours[0].get("summary", {})
    failed = tuple(
        FailedCheck(item["check_id"], item.get("check_name", ""), item.get("resource", ""))
        for item in ours[0].get("results", {}).get("failed_checks", [])
    )
    return CheckovRun(
        framework=framework,
        target=target,
        passed=int(summary.get("passed", 0)),
        failed=failed,
        skipped=int(summary.get("skipped", 0)),
        parsing_errors=int(summary.get("parsing_errors", 0)),
        resource_count=int(summary.get("resource_count", 0)),
    )


def scan_plan(plan: Plan, checkov: Path, out_dir: Path) -> StackScan:
    """Export one planned stack and run checkov on both exports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    export = terraform_plan(plan)
    plan_file = out_dir / f"{plan.stack}.tfplan.json"
    plan_file.write_text(json.dumps(export.document, indent=2))
    manifests_dir = out_dir / f"{plan.stack}-k8s"
    shutil.rmtree(manifests_dir, ignore_errors=True)  # our own output: no manifest left from an earlier scan
    manifests = write_k8s_manifests(plan, manifests_dir)
    kubernetes = run_checkov(checkov, "kubernetes", manifests_dir) if manifests.manifests else None
    return StackScan(
        stack=plan.stack,
        terraform=run_checkov(checkov, "terraform_plan", plan_file),
        kubernetes=kubernetes,
        aws_resources=export.aws_resources,
        kubernetes_resources=len(manifests.manifests),
        pack_outcomes=dict(plan.policy.get("outcomes", {})),
    )


def pack_comparison(scan: StackScan, skips: dict[str, CheckovSkip]) -> list[dict[str, Any]]:
    """Each checkov check that fails on the stack, beside the pack's rules that mirror it and their verdict:
    a check that fails where the pack passes is either a gap in the pack or a documented skip."""
    mirrors: dict[str, list[str]] = {}
    for rule in RULES:
        for check_id in checkov_ids(rule.anchors):
            mirrors.setdefault(check_id, []).append(rule.id)
    rows: dict[str, dict[str, Any]] = {}
    for run in scan.runs():
        for check in run.failed:
            row = rows.setdefault(
                check.check_id,
                {
                    "check_id": check.check_id,
                    "name": check.name,
                    "resources": 0,
                    "mirrored_by": mirrors.get(check.check_id, []),
                    "pack": sorted(
                        {
                            scan.pack_outcomes.get(rule_id, "absent")
                            for rule_id in mirrors.get(check.check_id, [])
                        }
                    ),
                    "skip_reason": skips[check.check_id].reason if check.check_id in skips else None,
                },
            )
            row["resources"] += 1
    return sorted(rows.values(), key=lambda row: row["check_id"])


def report_markdown(scans: list[StackScan], skips: dict[str, CheckovSkip]) -> str:
    """The scan as Markdown: checks run per export, and every failing check with the pack's verdict beside it."""
    lines = ["# checkov on the plan exports", ""]
    lines += [
        "| stack | export | checks run | passed | failed | resources seen / in plan |",
        "|---|---|---|---|---|---|",
    ]
    for scan in scans:
        for run, expected in (
            (scan.terraform, scan.aws_resources),
            (scan.kubernetes, scan.kubernetes_resources),
        ):
            if run is not None:
                lines.append(
                    f"| {scan.stack} | {run.framework} | {run.checks_run} | {run.passed} | {len(run.failed)} "
                    f"| {run.resource_count} / {expected} |"
                )
    for scan in scans:
        lines += [
            "",
            f"## {scan.stack}: failing checkov checks and the policy pack",
            "",
            "| check | resources | pack rules mirroring it | pack verdict | skip reason |",
            "|---|---|---|---|---|",
        ]
        for row in pack_comparison(scan, skips):
            lines.append(
                f"| {row['check_id']} {row['name']} | {row['resources']} | {', '.join(row['mirrored_by']) or 'none'} "
                f"| {', '.join(row['pack']) or '-'} | {row['skip_reason'] or '**not skipped**'} |"
            )
    return "\n".join(lines) + "\n"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    checkov: Annotated[Path, typer.Option(help="The checkov executable (e.g. .venv-checkov/bin/checkov).")],
    stacks: Annotated[
        Optional[list[str]], typer.Option("--stack", help="Stacks to scan (default: dev, staging, prod).")
    ] = None,
    program: Annotated[
        Optional[Path], typer.Option(help="A Pulumi Python program folder (default: Modelyard's stacks/).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where the exports and report.md go.")] = Path(".modelyard/scan"),
    skips_file: Annotated[Path, typer.Option("--skips", help="The `CKV_ID  reason` list.")] = SKIPS_FILE,
) -> None:
    """Export each stack's plan and run checkov on it; fail on any failed check not in the skips file."""
    console, errors = Console(), Console(stderr=True)
    if not checkov.is_file():
        errors.print(
            f"[red]no checkov at {checkov}[/red]: run `make scan`, which installs it into .venv-checkov",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        skips = load_skips(skips_file)
        scans = [
            scan_plan(assess(plan_program(program or DEFAULT_PROGRAM_DIR, stack)), checkov, out)
            for stack in stacks or SHIPPED_STACKS
        ]
    except (SkipsFileError, ProgramError, StackFileError, CheckovError) as error:
        errors.print(f"[red]scan failed:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    (out / "report.md").write_text(report_markdown(scans, skips))
    table = Table(title="checkov on the plan exports")
    for column in ("stack", "export", "checks run", "failed", "not skipped", "resources seen / in plan"):
        table.add_column(column)
    for scan in scans:
        for run, expected in (
            (scan.terraform, scan.aws_resources),
            (scan.kubernetes, scan.kubernetes_resources),
        ):
            if run is not None:
                unskipped = [check for check in run.failed if check.check_id not in skips]
                table.add_row(
                    scan.stack,
                    run.framework,
                    str(run.checks_run),
                    str(len(run.failed)),
                    str(len(unskipped)),
                    f"{run.resource_count} / {expected}",
                )
    console.print(table)
    problems = [problem for scan in scans for problem in scan.coverage_problems()]
    problems += [
        f"{scan.stack}: {check.check_id} ({check.name}) fails on {check.resource}"
        for scan in scans
        for check in scan.unskipped(skips)
    ]
    for problem in problems:
        errors.print(f"[red]{problem}[/red]", highlight=False, soft_wrap=True)
    console.print(f"report: {out / 'report.md'}")
    raise typer.Exit(1 if problems else 0)


if __name__ == "__main__":
    app()
