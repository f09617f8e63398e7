"""Step 6, monitor: drift of production inputs vs the training baseline (PSI, KS), report, metric, retrain trigger."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.catalog.drift_metrics import DRIFTED_FEATURES_METRIC, MAX_FEATURE_PSI_METRIC
from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.dataset_source import read_dataset
from modelyard.pipelines.drift import drift_report, plot_drift
from modelyard.pipelines.steps.ingest import read_csv_uri
from modelyard.pipelines.steps.step_runtime import StepFailed, StepInputError, run_module

METRIC_NAME = MAX_FEATURE_PSI_METRIC
CAPTURE_PREFIX = "capture"
REPORT_FILE, PLOT_FILE = "drift_report.json", "drift.png"
MIN_ROWS = 50


def captured_inputs(outputs: StackOutputs, clients: AwsClients, feature_names: list[str]) -> pd.DataFrame:
    """The request rows SageMaker data capture recorded for the stack's endpoint (JSON {"instances": [...]})."""
    prefix = f"{CAPTURE_PREFIX}/{outputs.endpoint_name}/"
    rows: list[list[float]] = []
    for key in s3_objects.list_keys(clients, outputs.capture_bucket, prefix):
        if not key.endswith(".jsonl"):
            continue
        body = s3_objects.get_bytes(clients, f"s3://{outputs.capture_bucket}/{key}").decode()
        for line in filter(None, body.splitlines()):
            captured = json.loads(line)["captureData"]["endpointInput"]
            if captured.get("encoding") != "JSON":
                continue
            instances = json.loads(captured["data"]).get("instances", [])
            rows += [row for row in instances if isinstance(row, list) and len(row) == len(feature_names)]
    return pd.DataFrame(rows, columns=feature_names, dtype="float64")


def _current_frame(
    outputs: StackOutputs, clients: AwsClients, current: str | Path | None, feature_names: list[str]
) -> tuple[pd.DataFrame, str]:
    if current is None:
        frame = captured_inputs(outputs, clients, feature_names)
        return (
            frame,
            f"s3://{outputs.capture_bucket}/{CAPTURE_PREFIX}/{outputs.endpoint_name}/ (data capture)",
        )
    return read_dataset(clients, current, "--current"), str(current)


def monitor(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    baseline_uri: str,
    psi_threshold: float,
    result_dir: Path,
    current: str | Path | None = None,
    trigger_retrain: bool = False,
    retrain: Callable[[], dict[str, Any]] | None = None,
    min_rows: int = MIN_ROWS,
) -> dict[str, Any]:
    """Drift of `current` (a CSV/Parquet path or s3:// object/prefix; default: the endpoint's captured requests) against
    the baseline written by ingest. Writes drift_report.json and drift.png to `result_dir` and S3, publishes
    MaxFeaturePSI and DriftedFeatureCount to CloudWatch, and with `trigger_retrain` calls `retrain()` when the
    report detected drift (a feature's PSI over the threshold and its KS test significant; see drift_report).
    A retrain that fails raises StepFailed after the report is written."""
    baseline = s3_objects.get_json(clients, baseline_uri)
    features = list(baseline["features"])
    frame, origin = _current_frame(outputs, clients, current, features)
    if len(frame) < min_rows:
        raise StepInputError(f"{origin} holds {len(frame)} rows; drift needs at least {min_rows}")
    reference = read_csv_uri(clients, baseline["reference_uri"])
    report = {
        **drift_report(baseline, reference, frame, psi_threshold),
        "baseline_uri": baseline_uri,
        "data_version": baseline.get("data_version"),
        "current": origin,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }

    result_dir.mkdir(parents=True, exist_ok=True)
    report_path, plot_path = result_dir / REPORT_FILE, plot_drift(report, result_dir / PLOT_FILE)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    prefix = f"s3://{outputs.artifact_bucket}/monitoring/{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}/"
    report_uri = s3_objects.put_json(clients, prefix + REPORT_FILE, report, outputs.data_key_arn)
    plot_uri = s3_objects.upload_file(clients, plot_path, prefix + PLOT_FILE, outputs.data_key_arn)
    dimensions = [{"Name": "EndpointName", "Value": outputs.endpoint_name}]
    clients.cloudwatch.put_metric_data(
        Namespace=outputs.drift_metric_namespace,
        MetricData=[
            {"MetricName": METRIC_NAME, "Value": report["max_psi"], "Unit": "None", "Dimensions": dimensions},
            {
                "MetricName": DRIFTED_FEATURES_METRIC,
                "Value": len(report["drifted_features"]),
                "Unit": "Count",
                "Dimensions": dimensions,
            },
        ],
    )

    result = {
        "drift_detected": report["drift_detected"],
        "max_psi": report["max_psi"],
        "max_psi_feature": report["max_psi_feature"],
        "drifted_features": report["drifted_features"],
        "psi_exceeded_features": report["psi_exceeded_features"],
        "decision_rule": report["decision_rule"],
        "psi_threshold": psi_threshold,
        "ks_alpha": report["ks_alpha"],
        "rows": report["rows"],
        "current": origin,
        "report_uri": report_uri,
        "plot_uri": plot_uri,
        "report_path": str(report_path),
        "plot_path": str(plot_path),
        "metric": {
            "namespace": outputs.drift_metric_namespace,
            "name": METRIC_NAME,
            "value": report["max_psi"],
        },
        "retrain": {"triggered": False},
    }
    if report["drift_detected"] and trigger_retrain:
        if retrain is None:
            raise StepInputError(
                "drift was detected and a retrain was asked for, but no retrain path was given"
            )
        started = time.perf_counter()
        try:
            outcome = retrain()
        except StepFailed as failure:
            result["retrain"] = {
                "triggered": True,
                "succeeded": False,
                "error": str(failure),
                "result": failure.result,
                "seconds": round(time.perf_counter() - started, 3),
            }
            raise StepFailed(
                f"drift detected (max PSI {report['max_psi']:.3f} on {report['max_psi_feature']}); "
                f"the retrain failed: {failure}",
                result,
            ) from None
        result["retrain"] = {
            "triggered": True,
            "succeeded": True,
            "result": outcome,
            "seconds": round(time.perf_counter() - started, 3),
        }
    return result


if __name__ == "__main__":
    run_module("monitor")
