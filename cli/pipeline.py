"""`modelyard pipeline compile|start|run`: the pipeline's SageMaker definition, started on SageMaker or run locally."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from modelyard.catalog.errors import ExitCode
from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.assignments import parse_assignments
from modelyard.pipelines.options import EndpointOption, OutputsFileOption, StackOption
from modelyard.stacks.pipeline_settings import pipeline_settings
from modelyard.workflow.settings import PipelineSettings

if TYPE_CHECKING:
    from modelyard.pipelines.definition.local_executor import ExecutionResult, StepRecord

pipeline_app = typer.Typer(
    help="The pipeline as a SageMaker Pipeline: compile it, start it on SageMaker, or run "
    "the same definition locally.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

ParameterOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--parameter",
        "-p",
        help="Pipeline parameter override NAME=VALUE (repeatable), e.g. MinAccuracy=0.95.",
    ),
]
ImageTagOption = Annotated[
    Optional[str],
    typer.Option("--image-tag", help="Tag of the training image (default: the package version)."),
]


def fail(message: str, code: int = ExitCode.BAD_INPUT) -> typer.Exit:
    """Print `message` as an error; the Exit to raise with `code` (2: bad input, 1: the work failed)."""
    errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings(stack: str, outputs: StackOutputs, image_tag: str | None) -> PipelineSettings:
    from modelyard.stacks.config import load_stack_config

    overrides = {"image_tag": image_tag} if image_tag else {}
    return pipeline_settings(load_stack_config(stack), outputs, **overrides)


def _parameters(items: list[str] | None) -> dict[str, str]:
    try:
        return parse_assignments(items, "--parameter")
    except ValueError as error:
        raise fail(str(error)) from None


def _input_errors() -> tuple[type[BaseException], ...]:
    from pydantic import ValidationError

    from modelyard.pipelines.definition.local_executor import DefinitionError
    from modelyard.pipelines.local_cloud.lifecycle import LocalCloudError
    from modelyard.pipelines.stack_outputs import StackOutputsError
    from modelyard.planning.engine import ProgramError
    from modelyard.stacks.config import ConfigError
    from modelyard.stacks.stack_files import StackFileError

    return (
        StackOutputsError,
        ConfigError,
        StackFileError,
        ProgramError,
        ValidationError,
        DefinitionError,
        LocalCloudError,
        FileNotFoundError,
    )


@pipeline_app.command("compile")
def compile_command(
    stack: StackOption,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Write the definition here (default: stdout).")
    ] = None,
    outputs_file: OutputsFileOption = None,
    outputs_source: Annotated[
        str, typer.Option(help="Without --outputs-file: 'plan' (offline) or 'pulumi' (a deployed stack).")
    ] = "plan",
    image_tag: ImageTagOption = None,
) -> None:
    """Compile the stack's SageMaker Pipeline definition (JSON, version 2020-12-01)."""
    from modelyard.cli.output_paths import OutputPathError, check_output_path
    from modelyard.pipelines.stack_outputs import load_stack_outputs
    from modelyard.workflow.compiler import compile_definition

    try:
        if out is not None:
            check_output_path(out, "--out")  # before the plan runs, not after
        outputs = load_stack_outputs(outputs_file, stack, outputs_source)
        definition = compile_definition(outputs, _settings(stack, outputs, image_tag))
    except (*_input_errors(), OutputPathError) as error:
        raise fail(str(error)) from None
    text = json.dumps(definition, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        errors.print(f"wrote {out} ({len(definition['Steps'])} top-level steps)", highlight=False)


@pipeline_app.command("start")
def start_command(
    stack: StackOption,
    outputs_file: OutputsFileOption = None,
    aws_endpoint_url: EndpointOption = None,
    parameter: ParameterOption = None,
    image_tag: ImageTagOption = None,
) -> None:
    """Upsert the pipeline on SageMaker (or the local cloud) and start an execution; prints its ARN.

    Without an endpoint override the calls go to the stack's running local cloud, else to AWS, where the stack
    outputs come from `pulumi stack output` unless --outputs-file is given.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.definition.sagemaker_pipeline import start_pipeline
    from modelyard.pipelines.definition.start_parameters import start_parameters
    from modelyard.pipelines.definition.target import resolve_target
    from modelyard.workflow.compiler import compile_definition

    overrides = _parameters(parameter)
    try:
        target = resolve_target(stack, outputs_file, aws_endpoint_url, "pulumi")
        settings = _settings(stack, target.outputs, image_tag)
        definition = compile_definition(target.outputs, settings)
        # Unknown names, bad types and values the compiled definition cannot serve fail before anything starts.
        start_parameters(definition, settings, overrides)
    except _input_errors() as error:
        raise fail(str(error)) from None
    clients = AwsClients(target.outputs.region, target.endpoint_url)
    try:
        pipeline_arn, execution_arn = start_pipeline(
            clients, target.outputs, settings.pipeline_name, definition, overrides
        )
    except (ClientError, BotoCoreError) as error:
        raise fail(f"on {target.description}: {error}", ExitCode.FAILED) from None
    errors.print(f"pipeline {pipeline_arn} on {target.description}", highlight=False)
    sys.stdout.write(execution_arn + "\n")


@pipeline_app.command("run")
def run_command(
    stack: StackOption,
    outputs_file: OutputsFileOption = None,
    aws_endpoint_url: EndpointOption = None,
    parameter: ParameterOption = None,
    image_tag: ImageTagOption = None,
    work_dir: Annotated[
        Optional[Path], typer.Option(help="Where steps run (default .modelyard/pipeline-runs/<stack>).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the execution as JSON instead of a table.")
    ] = False,
    iam_report: Annotated[
        bool,
        typer.Option(
            "--iam-report", help="List the permissions of each step's role that no call of this run used."
        ),
    ] = False,
) -> None:
    """Run the compiled definition step by step as local processes against the local cloud (or an endpoint).

    Every AWS and MLflow call of every step is authorized against the step role's policies in the stack's plan;
    a call the role would be denied fails its step with AccessDenied, as on AWS. The steps go to the endpoint
    override, else to the stack's running local cloud; without either, run refuses: it never runs the steps
    against AWS.
    Exit codes: 0 the execution succeeded, 1 a step failed (the gate included), 2 bad input.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.definition.local_executor import SUCCEEDED
    from modelyard.pipelines.definition.local_run import DEFAULT_RUNS_DIR, run_pipeline_locally
    from modelyard.pipelines.definition.target import resolve_target
    from modelyard.pipelines.iam_check.role_policies import RolePoliciesError, role_policies_for_stack

    overrides = _parameters(parameter)
    try:
        target = resolve_target(stack, outputs_file, aws_endpoint_url, "plan")
        if target.endpoint_url is None:
            raise fail(
                f"no local cloud is running for stack {stack!r}: run `modelyard local-cloud up --stack "
                f"{stack}` or pass --aws-endpoint-url"
            )
        settings = _settings(stack, target.outputs, image_tag)
        clients = AwsClients(target.outputs.region, target.endpoint_url)
        result = run_pipeline_locally(
            target.outputs,
            settings,
            clients=clients,
            environment=target.environment,
            work_dir=(work_dir or DEFAULT_RUNS_DIR / stack).resolve(),
            parameters=overrides,
            on_step=None if as_json else show_progress,
            role_policies=role_policies_for_stack(stack),
        )
    except (*_input_errors(), RolePoliciesError) as error:
        raise fail(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise fail(f"on {target.description}: {error}", ExitCode.FAILED) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    else:
        console.print(execution_table(result))
        console.print(f"IAM check: {iam_summary(result.iam)}", highlight=False)
        if iam_report:
            print_iam_report(result.iam)
        if result.failure_reason:
            errors.print(
                f"[red]{result.status}:[/red] {result.failure_reason}", highlight=False, soft_wrap=True
            )
    raise typer.Exit(ExitCode.OK if result.status == SUCCEEDED else ExitCode.FAILED)


def iam_summary(report: dict | None) -> str:
    """ "N calls checked, D denied" of an execution's IAM report."""
    if report is None:
        return "not run"
    return f"{report['calls_checked']} calls checked, {len(report['denied'])} denied"


def print_iam_report(report: dict | None) -> None:
    """The granted action patterns no call of the run used, per role. Service-side actions (image pulls, logs,
    ENIs) appear too: SageMaker makes those calls on AWS, not the local steps."""
    for role, unused in (report or {}).get("unused_permissions", {}).items():
        console.print(
            f"[bold]{role}[/bold]: {len(unused)} granted action patterns unused by this run",
            highlight=False,
            soft_wrap=True,
        )
        for item in unused:
            console.print(f"  {item}", highlight=False, soft_wrap=True)


def show_progress(record: StepRecord) -> None:
    from modelyard.pipelines.definition.local_executor import EXECUTING, SUCCEEDED

    if record.status == EXECUTING:
        errors.print(f"[cyan]>[/cyan] {record.name} ({record.step_type}) ...", highlight=False)
    else:
        colour = "green" if record.status == SUCCEEDED else "red"
        errors.print(
            f"[{colour}]{record.status}[/{colour}] {record.name} in {record.duration_s:.1f} s",
            highlight=False,
        )


def execution_table(result: ExecutionResult) -> Table:
    """One row per step of the definition: status, duration and its key output."""
    table = Table(
        title=f"{result.pipeline_name} execution {result.execution_id}: {result.status} "
        f"({result.duration_s:.1f} s)"
    )
    for column in ("step", "type", "status", "duration", "key output"):
        table.add_column(column)
    for record in result.steps:
        duration = f"{record.duration_s:.1f} s" if record.duration_s is not None else "-"
        table.add_row(record.name, record.step_type, record.status, duration, _key_output(record))
    return table


def _key_output(record: StepRecord) -> str:
    outputs = record.outputs
    if record.failure_reason:
        return record.failure_reason.splitlines()[0][:120]
    if "model_uri" in outputs:
        metrics = outputs.get("metrics", {})
        shown = ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        return f"{outputs['model_uri']} {shown}".strip()
    if "Outcome" in outputs:
        return f"outcome={outputs['Outcome']}"
    for document in outputs.values():
        if isinstance(document, dict) and document:
            return ", ".join(
                f"{k}={v}" for k, v in list(document.items())[:3] if not isinstance(v, (dict, list))
            )
    return ", ".join(f"{k}={v}" for k, v in outputs.items() if isinstance(v, str))[:120]
