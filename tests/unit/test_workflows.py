"""The workflows parse, trigger as intended, never `up` from a pull request, call only real commands."""

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from modelyard.cli import app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# The workflows may drive the CLI only through these subcommands (no serving or local cloud in CI).
CI_SUBCOMMANDS = {"plan", "cost", "policies", "pipeline"}
SHIPPED_STACKS = ["dev", "staging", "prod"]


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def all_workflows() -> dict[str, dict]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps_of(job: dict) -> list[dict]:
    return job.get("steps", [])


def run_scripts(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in steps_of(job) if "run" in step]


def local_workflow(job: dict) -> dict | None:
    """The workflow a job calls with `uses: ./.github/workflows/X.yml`, if any."""
    uses = job.get("uses", "")
    return load(Path(uses).name) if uses.startswith("./.github/workflows/") else None


def pulumi_commands(workflow: dict) -> list[str]:
    """`command:` of every pulumi/actions step, including those of called local workflows."""
    commands = []
    for job in workflow["jobs"].values():
        called = local_workflow(job)
        if called:
            commands += pulumi_commands(called)
        commands += [
            step["with"]["command"]
            for step in steps_of(job)
            if step.get("uses", "").startswith("pulumi/actions@")
        ]
    return commands


def test_every_workflow_parses_with_jobs_and_steps():
    workflows = all_workflows()
    assert {"pr.yml", "deploy.yml", "deploy-stack.yml"} <= workflows.keys()
    for name, workflow in workflows.items():
        assert workflow["on"], f"{name} has no trigger"
        assert workflow["permissions"] == {"contents": "read"}, f"{name} must default to read-only"
        for job_id, job in workflow["jobs"].items():
            assert ("runs-on" in job) != ("uses" in job), f"{name}:{job_id} needs runs-on or uses"
            for step in steps_of(job):
                assert ("run" in step) != ("uses" in step), f"{name}:{job_id} step {step} needs run or uses"


def test_pull_request_workflow_triggers_and_jobs():
    workflow = load("pr.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert {"lint-and-test", "offline-plan", "plan-comment", "preview", "preview-skipped"} <= workflow[
        "jobs"
    ].keys()
    scripts = "\n".join(run_scripts(workflow))
    assert "make lint" in scripts and "make test" in scripts
    assert "modelyard plan --stack" in scripts and "--diff" in scripts
    assert workflow["env"]["STACKS"].split() == SHIPPED_STACKS


def test_no_pull_request_job_ever_runs_up():
    workflow = load("pr.yml")
    assert all(command == "preview" for command in pulumi_commands(workflow))
    for script in run_scripts(workflow):
        assert not re.search(r"\bpulumi\s+(up|update|destroy)\b", script)
    for job in workflow["jobs"].values():
        assert local_workflow(job) is None, "a PR job must not call the deploy workflow"


def test_previews_need_configured_credentials_and_say_so_otherwise():
    jobs = load("pr.yml")["jobs"]
    preview, skipped = jobs["preview"], jobs["preview-skipped"]
    assert "vars.AWS_PREVIEW_ROLE_ARN != ''" in preview["if"]
    assert "vars.AWS_PREVIEW_ROLE_ARN == ''" in skipped["if"]
    assert preview["strategy"]["matrix"]["stack"] == SHIPPED_STACKS
    [credentials] = [
        s for s in preview["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    [pulumi] = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@v6")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policies"
    assert "::notice" in skipped["steps"][0]["run"]


def test_permissions_are_least_privilege():
    for name, workflow in all_workflows().items():
        for job_id, job in workflow["jobs"].items():
            permissions = job.get("permissions", {})
            uses_oidc = any(
                s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in steps_of(job)
            )
            calls_deploy = local_workflow(job) is not None
            assert (permissions.get("id-token") == "write") == (uses_oidc or calls_deploy), (
                f"{name}:{job_id} id-token"
            )
            assert permissions.get("pull-requests") in (None, "write")
            if permissions.get("pull-requests") == "write":
                assert (name, job_id) == ("pr.yml", "plan-comment")
    comment = load("pr.yml")["jobs"]["plan-comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert any(
        s.get("uses", "").startswith("marocchino/sticky-pull-request-comment@") for s in comment["steps"]
    )


def test_deploy_promotes_dev_then_staging_then_prod_through_environments():
    workflow = load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert [jobs[stack]["with"]["stack"] for stack in SHIPPED_STACKS] == SHIPPED_STACKS
    assert (
        "needs" not in jobs["dev"]
        and jobs["staging"]["needs"] == "dev"
        and jobs["prod"]["needs"] == "staging"
    )
    assert workflow["concurrency"]["cancel-in-progress"] is False

    stage = load("deploy-stack.yml")
    assert set(stage["on"]) == {"workflow_call"}
    [job] = stage["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    names = [step.get("name", step.get("uses")) for step in job["steps"]]
    plan = next(i for i, s in enumerate(job["steps"]) if "modelyard plan" in s.get("run", ""))
    pulumi = [
        (i, s["with"]) for i, s in enumerate(job["steps"]) if s.get("uses", "").startswith("pulumi/actions@")
    ]
    assert [arguments["command"] for _, arguments in pulumi] == ["preview", "up"], names
    assert plan < pulumi[0][0], "the offline plan (policy gate) must run before the preview"
    assert all(arguments["policyPacks"] == "policies" for _, arguments in pulumi)
    # A failing plan step stops the job: nothing swallows its exit status.
    assert "||" not in job["steps"][plan]["run"] and "continue-on-error" not in job["steps"][plan]


# -- every command a workflow runs exists -----------------------------------------------------------------


def makefile_targets() -> set[str]:
    return set(
        re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    )


def cli_commands() -> dict:
    """Subcommand name -> command of the live Typer app (subcommands registered later count when they are)."""
    return dict(typer.main.get_command(app).commands)


def invocations(program: str) -> list[list[str]]:
    """Argument lists of every `make ...` or `.../bin/modelyard ...` call in any workflow's run scripts."""
    pattern = r"(?:^|[\s;&|(])make\s+(.*)" if program == "make" else r"(?:^|\s)\S*bin/modelyard\s+(.*)"
    calls = []
    for workflow in all_workflows().values():
        for script in run_scripts(workflow):
            for line in script.replace("\\\n", " ").splitlines():
                for match in re.finditer(pattern, line):
                    words = shlex.split(re.split(r"\s(?:\|\||&&|[|;>])", match.group(1))[0], comments=True)
                    calls.append(words)
    return calls


def test_make_targets_the_workflows_use_exist():
    targets = makefile_targets()
    used = {
        word for call in invocations("make") for word in call if "=" not in word and not word.startswith("-")
    }
    assert used, "the workflows run make"
    assert used <= targets, f"unknown make targets: {used - targets}"


@pytest.mark.parametrize("call", invocations("modelyard"), ids=" ".join)
def test_modelyard_commands_the_workflows_use_exist(call):
    commands = cli_commands()
    subcommand, *arguments = call
    assert subcommand in CI_SUBCOMMANDS, (
        f"workflows may only use {sorted(CI_SUBCOMMANDS)}, not {subcommand!r}"
    )
    assert subcommand in commands, f"`modelyard {subcommand}` is not registered in modelyard.cli"
    options = {option for parameter in commands[subcommand].params for option in parameter.opts}
    used = {argument for argument in arguments if argument.startswith("--")}
    assert used <= options, f"`modelyard {subcommand}` has no {sorted(used - options)}"


def test_the_workflows_call_the_cli():
    assert {call[0] for call in invocations("modelyard")} >= {"plan", "cost"}
