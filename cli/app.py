"""The `modelyard` command line: offline plan, cost, policies, serving, local cloud and pipelines."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from modelyard.catalog.errors import ExitCode, ModelyardError
from modelyard.cli.cost import cost
from modelyard.cli.local_cloud import local_cloud_app
from modelyard.cli.pipeline import pipeline_app
from modelyard.cli.policies import app as policies_app
from modelyard.cli.preflight import preflight
from modelyard.cli.process_exit import exit_without_teardown, skip_interpreter_teardown, teardown_skipped
from modelyard.cli.train import train
from modelyard.model_code.serving.cli import serve
from modelyard.pipelines.steps.commands import step_app

app = typer.Typer(
    help="Modelyard: an MLOps platform on AWS, planned offline and run locally or in the cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from modelyard import __version__

        console.print(f"modelyard {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Modelyard: an MLOps platform on AWS, planned offline and run locally or in the cloud."""


@app.command()
def plan(
    stack: Annotated[
        str,
        typer.Option(
            "--stack",
            "-s",
            help="Stack name: dev, staging, prod (or any other; a stack without a config file plans with the project's config, as `pulumi preview` does).",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the tree.")
    ] = False,
    program: Annotated[
        Optional[Path],
        typer.Option(
            help="A Pulumi Python project or program folder; Pulumi.yaml's `main:` is followed (default: Modelyard's stacks/)."
        ),
    ] = None,
    config: Annotated[Optional[Path], typer.Option(help="A Pulumi.<stack>.yaml-style config file.")] = None,
    invoke_fixtures: Annotated[
        Optional[Path],
        typer.Option(
            help="Results for data sources the plan cannot answer offline: YAML/JSON mapping of invoke token to result."
        ),
    ] = None,
    outputs: Annotated[
        Optional[Path],
        typer.Option(help="Also write the stack outputs (secrets included) to this file, mode 0600."),
    ] = None,
    diff: Annotated[
        Optional[Path],
        typer.Option(help="A previous `plan --json` output (e.g. the base branch's) to diff against."),
    ] = None,
    diff_markdown: Annotated[
        Optional[Path],
        typer.Option(help="With --diff: also write the diff as Markdown (a PR comment section) here."),
    ] = None,
    terraform_plan: Annotated[
        Optional[Path],
        typer.Option(
            help="Also write the plan as Terraform-plan JSON (`terraform show -json`) here, for checkov/trivy/infracost."
        ),
    ] = None,
    k8s_manifests: Annotated[
        Optional[Path],
        typer.Option(
            help="Also write the Kubernetes resources as YAML manifests (one file each, Helm releases listed) into this folder."
        ),
    ] = None,
) -> None:
    """Run a Pulumi program offline under Pulumi's mocks, as `pulumi preview` would: resources, outputs, policy
    verdicts, cost. Progress goes to stderr.

    Exit codes: 0 ok, 1 a mandatory policy violation, 2 bad input (paths, config) or a program error.
    """
    from modelyard.cli.output_paths import OutputPathError, check_output_path
    from modelyard.planning.assessment import assess
    from modelyard.planning.collector import collector_paused
    from modelyard.planning.diff import (
        PlanFileError,
        diff_plans,
        diff_to_markdown,
        load_plan_json,
        render_diff,
    )
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
    from modelyard.planning.invokes import InvokeError, load_invoke_fixtures
    from modelyard.planning.progress import PlanProgress
    from modelyard.planning.render import render_plan
    from modelyard.stacks.stack_files import StackFileError

    if diff_markdown and not diff:
        errors.print("[red]--diff-markdown needs --diff OLD.json[/red]")
        raise typer.Exit(ExitCode.BAD_INPUT)
    progress = PlanProgress(errors)
    try:
        # Bad paths and files fail before the program runs.
        for path, option in (
            (outputs, "--outputs"),
            (diff_markdown, "--diff-markdown"),
            (terraform_plan, "--terraform-plan"),
        ):
            if path is not None:
                check_output_path(path, option)
        old_plan = load_plan_json(diff) if diff else None
        fixtures = load_invoke_fixtures(invoke_fixtures) if invoke_fixtures else None
        with collector_paused():
            with progress:
                planned = plan_program(
                    program or DEFAULT_PROGRAM_DIR,
                    stack,
                    config_file=config,
                    invoke_fixtures=fixtures,
                    on_register=progress.registered,
                    on_message=progress.say,
                )
            progress.say("evaluating the policy pack and the cost model")
            result = assess(planned)
    except (ProgramError, StackFileError, PlanFileError, InvokeError, OutputPathError) as error:
        errors.print(
            f"[red]plan failed for stack {stack!r}:[/red] {escape(str(error))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    if outputs:
        # Created 0600 (secrets included), not written first and narrowed after.
        descriptor = os.open(outputs, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(json.dumps(result.outputs, indent=2))
        outputs.chmod(0o600)  # an existing file keeps its mode through O_TRUNC
    if terraform_plan or k8s_manifests:
        from modelyard.planning.exports import write_exports

        for line in write_exports(result, terraform_plan=terraform_plan, k8s_manifests=k8s_manifests):
            errors.print(line, highlight=False, soft_wrap=True)
    document = result.to_json()
    changes = diff_plans(old_plan, document) if old_plan is not None else None
    if changes is not None:
        document["diff"] = changes
        if diff_markdown:
            diff_markdown.write_text(diff_to_markdown(changes))
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        render_plan(result, console)
        if changes is not None:
            render_diff(changes, console)
    mandatory = [v for v in result.policy["violations"] if v["enforcement"] == "mandatory"]
    skip_interpreter_teardown()
    raise typer.Exit(ExitCode.FAILED if mandatory else ExitCode.OK)


app.command()(cost)
app.add_typer(
    policies_app, name="policies", help="The policy pack: list its rules, regenerate CrossGuard config."
)
app.add_typer(local_cloud_app, name="local-cloud")
# One `pipeline` group: the compiled definition (compile, start, run) and each step on its own (a Typer added
# without a name contributes its commands to the group).
pipeline_app.add_typer(step_app)
app.add_typer(pipeline_app, name="pipeline")
app.command("train")(train)
app.command("serve")(serve)
app.command("preflight")(preflight)


@app.command()
def demo(
    work_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its local cloud, runs and reports.")
    ] = Path(".modelyard/demo"),
) -> None:
    """The main job: offline plan of dev, local cloud up, the full pipeline, drift -> retrain, summary, local cloud down.

    Exit codes: 0 every phase succeeded and MLflow holds a champion, 1 otherwise.
    """
    from modelyard.cli.demo import run_demo

    report = run_demo(console, work_dir.resolve())
    raise typer.Exit(0 if report.succeeded else 1)


def main() -> None:
    """The console script: an error of ours that no command turned into a message ends as one line and its exit code;
    a command that asked to skip the interpreter's teardown (cli/process_exit.py) ends without it."""
    try:
        app()
    except ModelyardError as error:
        errors.print(f"[red]{type(error).__name__}:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except SystemExit as ending:
        if teardown_skipped():
            exit_without_teardown(ending.code)
        raise
