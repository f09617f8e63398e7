"""`modelyard demo`, the main job: plan the dev stack offline, run the pipeline on the local cloud, drift, retrain."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

DEMO_STACK = "dev"


@dataclass
class SummaryRow:
    """One line of the final table."""

    step: str
    status: str
    duration_s: float | None
    key_metric: str = ""
    artifacts: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    """What the demo did, step by step, and where its results are."""

    rows: list[SummaryRow] = field(default_factory=list)
    champion_version: str | None = None
    drift_plot: Path | None = None
    succeeded: bool = False
    role_policies: Any = None
    """The plan's role policies (modelyard.pipelines.iam_check.role_policies.RolePolicies) every run is checked against."""


def run_demo(console: Console, work_dir: Path, stack: str = DEMO_STACK) -> DemoReport:
    """Every phase of the demo; the local cloud is stopped however it ends."""
    from modelyard.pipelines.local_cloud.lifecycle import down

    report = DemoReport()
    root = work_dir / "local-cloud"
    try:
        outputs = _plan(console, stack, report)
        if outputs is None:
            return report
        state = _timed(report, "local cloud up", lambda: _local_cloud_up(stack, root, outputs))
        console.print(
            f"[green]local cloud[/green] at {state.endpoint_url} (MLflow: {state.mlflow_tracking_uri})"
        )
        first = _run_pipeline(console, state, stack, work_dir / "runs", report, label="")
        if first.status != "Succeeded":
            return report
        _drift_and_retrain(console, state, stack, work_dir, first, report)
        report.champion_version = _champion_version(state)
        report.succeeded = report.champion_version is not None and all(
            row.status in ("ok", "Succeeded", "NotExecuted") for row in report.rows
        )
        return report
    finally:
        down(stack, root)
        _print_summary(console, report)


def _timed(
    report: DemoReport, step: str, action: Callable[[], Any], key_metric: Callable[[Any], str] | None = None
):
    started = time.perf_counter()
    result = action()
    report.rows.append(
        SummaryRow(step, "ok", time.perf_counter() - started, key_metric(result) if key_metric else "")
    )
    return result


def _plan(console: Console, stack: str, report: DemoReport):
    """The offline plan of the stack: the tree, policy verdicts and cost; None when it has mandatory violations."""
    from modelyard.catalog.outputs import StackOutputs
    from modelyard.planning.assessment import assess
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
    from modelyard.planning.render import render_plan

    started = time.perf_counter()
    plan = assess(plan_program(DEFAULT_PROGRAM_DIR, stack))
    render_plan(plan, console)
    mandatory = [v for v in plan.policy["violations"] if v["enforcement"] == "mandatory"]
    metric = (
        f"{len(plan.resources)} resources, {len(mandatory)} mandatory violations, "
        f"${plan.cost.get('total_monthly_usd', 0):,.0f}/month"
    )
    report.rows.append(
        SummaryRow(f"plan {stack}", "failed" if mandatory else "ok", time.perf_counter() - started, metric)
    )
    from modelyard.pipelines.iam_check.role_policies import RolePolicies

    report.role_policies = RolePolicies.from_resources(plan.resources)
    return None if mandatory else StackOutputs.model_validate(plan.outputs)


def _local_cloud_up(stack: str, root: Path, outputs):
    from modelyard.pipelines.local_cloud.lifecycle import up

    return up(stack, root, outputs=outputs)


def _run_pipeline(
    console: Console,
    state,
    stack: str,
    runs_dir: Path,
    report: DemoReport,
    label: str,
    parameters: dict[str, str] | None = None,
):
    """The compiled SageMaker Pipeline definition, executed step by step by the local executor."""
    from modelyard.cli.pipeline import execution_table, iam_summary, show_progress
    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.definition.local_run import run_pipeline_locally
    from modelyard.pipelines.stack_outputs import load_stack_outputs
    from modelyard.stacks.config import load_stack_config
    from modelyard.stacks.pipeline_settings import pipeline_settings

    outputs = load_stack_outputs(Path(state.outputs_file))
    settings = pipeline_settings(load_stack_config(stack), outputs)
    result = run_pipeline_locally(
        outputs,
        settings,
        clients=AwsClients(outputs.region, state.endpoint_url),
        environment=state.environment(),
        work_dir=runs_dir.resolve(),
        parameters=parameters,
        on_step=show_progress,
        role_policies=report.role_policies,
    )
    console.print(execution_table(result))
    for record in result.steps:
        report.rows.append(
            SummaryRow(
                f"{label}{record.name}",
                record.status,
                record.duration_s,
                _step_metric(record.outputs),
                _step_artifacts(record.outputs),
            )
        )
    denied = len(result.iam["denied"])
    report.rows.append(
        SummaryRow(
            f"{label}IAM check (roles as planned)",
            "ok" if denied == 0 else "failed",
            None,
            iam_summary(result.iam),
        )
    )
    return result


def _drift_and_retrain(
    console: Console, state, stack: str, work_dir: Path, first, report: DemoReport
) -> None:
    """Production data drifts; the monitor sees it and retrains through the same definition, on the new data."""
    from modelyard.model_code.datasets import load_demo_frame
    from modelyard.pipelines import s3_objects
    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.drift import drifted_frame
    from modelyard.pipelines.stack_outputs import load_stack_outputs
    from modelyard.pipelines.steps.monitor import monitor
    from modelyard.stacks.config import load_stack_config
    from modelyard.workflow.compiler import INGEST, INGEST_REPORT

    outputs = load_stack_outputs(Path(state.outputs_file))
    clients = AwsClients(outputs.region, state.endpoint_url)
    landed = work_dir / "landed" / "drifted.csv"
    landed.parent.mkdir(parents=True, exist_ok=True)
    drifted_frame(load_demo_frame()).to_csv(landed, index=False)
    landed_uri = s3_objects.upload_file(
        clients, landed, f"s3://{outputs.data_bucket}/landing/drifted.csv", outputs.data_key_arn
    )
    console.print(f"[yellow]drift scenario:[/yellow] production data shifted; landed at {landed_uri}")

    retrains: list[SummaryRow] = []

    def retrain() -> dict[str, Any]:
        # The monitor calls this; its time is the retrain's own row, not the monitor's.
        started_retrain = time.perf_counter()
        result = _run_pipeline(
            console,
            state,
            stack,
            work_dir / "retrain-runs",
            report,
            label="retrain: ",
            parameters={"InputDataUri": landed_uri},
        )
        retrains.append(
            SummaryRow(
                "retrain (pipeline execution)",
                result.status,
                time.perf_counter() - started_retrain,
                f"execution {result.execution_id}",
            )
        )
        return result.to_json()

    started, position = time.perf_counter(), len(report.rows)  # the monitor's row goes before the retrain's
    baseline_uri = first.step(INGEST).outputs[INGEST_REPORT]["baseline_uri"]
    result = monitor(
        outputs,
        clients,
        baseline_uri=baseline_uri,
        psi_threshold=load_stack_config(stack).pipeline.drift_psi_threshold,
        result_dir=work_dir / "drift",
        current=landed,
        trigger_retrain=True,
        retrain=retrain,
    )
    monitor_s = time.perf_counter() - started - sum(row.duration_s or 0.0 for row in retrains)
    report.drift_plot = Path(result["plot_path"])
    metric = (
        f"drift_detected={result['drift_detected']}, max PSI={result['max_psi']:.2f}, "
        f"{len(result['drifted_features'])} features drifted"
    )
    report.rows[position:position] = [
        SummaryRow(
            "monitor drift (landed data)", "ok", monitor_s, metric, [result["report_uri"], result["plot_uri"]]
        ),
        *retrains,
    ]


def _champion_version(state) -> str | None:
    from modelyard.pipelines.model_registry import MlflowRegistryClient
    from modelyard.pipelines.stack_outputs import load_stack_outputs

    outputs = load_stack_outputs(Path(state.outputs_file))
    registry = MlflowRegistryClient(
        state.mlflow_tracking_uri, outputs.model_package_group_name, outputs.pipeline_name
    )
    champion = registry.version_by_alias("champion")
    return champion.version if champion else None


def _step_metric(outputs: dict[str, Any]) -> str:
    documents = [outputs, *(value for value in outputs.values() if isinstance(value, dict))]
    for document in documents:
        metrics = document.get("metrics")
        if isinstance(metrics, dict) and "accuracy" in metrics:
            return f"accuracy={metrics['accuracy']:.4f}, roc_auc={metrics.get('roc_auc', float('nan')):.4f}"
        if "max_psi" in document:
            return f"max PSI={document['max_psi']:.2f}, drift={document.get('drift_detected')}"
        if "model_version" in document:
            return f"model version {document['model_version']}"
        if "data_version" in document:
            return f"data version {str(document['data_version'])[:12]}"
    return f"outcome={outputs['Outcome']}" if "Outcome" in outputs else ""


def _step_artifacts(outputs: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for document in [outputs, *(value for value in outputs.values() if isinstance(value, dict))]:
        for key in (
            "model_uri",
            "dataset_uri",
            "report_uri",
            "plot_uri",
            "model_package_arn",
            "endpoint_name",
        ):
            value = document.get(key)
            if isinstance(value, str) and value not in found:
                found.append(value)
    return found


def _print_summary(console: Console, report: DemoReport) -> None:
    table = Table(title="modelyard demo: summary", show_lines=False)
    for column in ("step", "status", "duration", "key metric"):
        table.add_column(column, overflow="fold")
    for row in report.rows:
        colour = (
            "green" if row.status in ("ok", "Succeeded") else "dim" if row.status == "NotExecuted" else "red"
        )
        duration = f"{row.duration_s:.1f} s" if row.duration_s is not None else "-"
        table.add_row(row.step, f"[{colour}]{row.status}[/{colour}]", duration, row.key_metric)
    console.print(table)
    console.print("[bold]artifacts[/bold]")
    for row in report.rows:
        for artifact in row.artifacts:
            console.print(f"  {row.step}: {artifact}", soft_wrap=True, highlight=False)
    console.print(f"MLflow champion version: {report.champion_version or 'none'}")
    if report.drift_plot:
        console.print(f"drift plot: {report.drift_plot}", soft_wrap=True, highlight=False)
