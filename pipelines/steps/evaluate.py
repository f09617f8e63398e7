"""Step 3, evaluate + gate: test metrics of the new model vs absolute thresholds and vs the current champion."""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.model_code.evaluation import evaluate_onnx
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.model_registry import CHAMPION, MlflowRegistryClient
from modelyard.pipelines.steps.ingest import read_csv_uri
from modelyard.pipelines.steps.step_runtime import StepFailed, run_module

GATED_METRICS = ("accuracy", "roc_auc")


def evaluation_uri(model_uri: str) -> str:
    """The evaluation report sits next to the job's output folder: <job>/evaluation/evaluation.json."""
    return model_uri.removesuffix("output/model.tar.gz") + "evaluation/evaluation.json"


def unpack_model(clients: AwsClients, model_uri: str, destination: Path) -> Path:
    """Extract model.tar.gz from S3 into `destination`; returns the path of model.onnx."""
    body = s3_objects.get_bytes(clients, model_uri)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        archive.extractall(destination, filter="data")
    model = destination / "model.onnx"
    if not model.is_file():
        raise StepFailed(f"{model_uri} holds no model.onnx")
    return model


def gate_reasons(
    metrics: dict[str, float],
    champion_metrics: dict[str, float] | None,
    *,
    min_accuracy: float,
    min_auc: float,
    max_regression: float,
    champion_version: str | None = None,
) -> list[str]:
    """Why the model may not be promoted; empty when it passes."""
    reasons = []
    for name, minimum in (("accuracy", min_accuracy), ("roc_auc", min_auc)):
        if metrics[name] < minimum:
            reasons.append(f"{name} {metrics[name]:.4f} is below the minimum {minimum}")
    if champion_metrics is not None:
        for name in GATED_METRICS:
            if metrics[name] < champion_metrics[name] - max_regression:
                reasons.append(
                    f"{name} {metrics[name]:.4f} is more than {max_regression} below the champion's "
                    f"{champion_metrics[name]:.4f} (version {champion_version}) on the same test set"
                )
    return reasons


def evaluate(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    model_uri: str,
    test_uri: str,
    min_accuracy: float,
    min_auc: float,
    max_regression: float,
    registry: MlflowRegistryClient | None = None,
) -> dict[str, Any]:
    """{"passed", "reasons", "metrics", "champion_metrics", "champion_version", ...}; the champion (MLflow alias
    `champion`) is re-evaluated on this test split so both models are judged on the same rows. The report is
    also written to S3 (evaluation_uri). A failed gate is a result, not an exception: callers stop on it."""
    registry = registry or MlflowRegistryClient.for_stack(outputs)
    test_frame = read_csv_uri(clients, test_uri)
    with tempfile.TemporaryDirectory(prefix="modelyard-evaluate-") as scratch:
        metrics = evaluate_onnx(unpack_model(clients, model_uri, Path(scratch) / "challenger"), test_frame)
        champion = registry.version_by_alias(CHAMPION)
        champion_metrics = None
        if champion is not None:
            champion_metrics = evaluate_onnx(
                registry.download_onnx(champion.version, Path(scratch) / "champion"), test_frame
            )
    reasons = gate_reasons(
        metrics,
        champion_metrics,
        min_accuracy=min_accuracy,
        min_auc=min_auc,
        max_regression=max_regression,
        champion_version=champion.version if champion else None,
    )
    result = {
        "passed": not reasons,
        "reasons": reasons,
        "metrics": metrics,
        "champion_metrics": champion_metrics,
        "champion_version": champion.version if champion else None,
        "model_uri": model_uri,
        "test_uri": test_uri,
        "thresholds": {"min_accuracy": min_accuracy, "min_auc": min_auc, "max_regression": max_regression},
        "evaluation_uri": evaluation_uri(model_uri),
    }
    s3_objects.put_json(clients, result["evaluation_uri"], result, outputs.data_key_arn)
    return result


if __name__ == "__main__":
    run_module("evaluate")
