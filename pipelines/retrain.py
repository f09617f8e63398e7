"""Steps 1-5 in order through their Python functions: the default retrain path the monitor step triggers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.model_registry import ModelRegistry
from modelyard.pipelines.steps.deploy import deploy
from modelyard.pipelines.steps.evaluate import evaluate
from modelyard.pipelines.steps.ingest import ingest
from modelyard.pipelines.steps.register import register
from modelyard.pipelines.steps.step_runtime import StepFailed
from modelyard.pipelines.steps.train import train
from modelyard.stacks.config import PipelineConfig


def run_lifecycle(outputs: StackOutputs, clients: AwsClients, pipeline: PipelineConfig, *,
                  source: str | Path | None = None, hyperparameters: dict[str, Any] | None = None,
                  seed: int = 0, data_capture_percent: int = 20, smoke_min_accuracy: float = 0.8,
                  registry: ModelRegistry | None = None) -> dict[str, Any]:
    """ingest -> train (local) -> evaluate -> register -> deploy; returns each step's result by name.

    A failed gate raises StepFailed carrying the results so far, so nothing is registered or deployed.
    """
    registry = registry or ModelRegistry.for_stack(outputs)
    results: dict[str, Any] = {}
    results["ingest"] = ingest(outputs, clients, source=source, seed=seed)
    data = results["ingest"]
    results["train"] = train(outputs, clients, train_uri=data["train_uri"], validation_uri=data["validation_uri"],
                             hyperparameters=hyperparameters)
    results["evaluate"] = evaluate(outputs, clients, model_uri=results["train"]["model_uri"],
                                   test_uri=data["test_uri"], min_accuracy=pipeline.min_accuracy,
                                   min_auc=pipeline.min_auc, max_regression=pipeline.max_regression,
                                   registry=registry)
    if not results["evaluate"]["passed"]:
        raise StepFailed("the evaluation gate failed: " + "; ".join(results["evaluate"]["reasons"]), results)
    results["register"] = register(outputs, clients, evaluation=results["evaluate"],
                                   data_version=data["data_version"], registry=registry)
    results["deploy"] = deploy(outputs, clients, model_uri=results["train"]["model_uri"],
                               smoke_test_uri=data["test_uri"], model_version=results["register"]["model_version"],
                               data_capture_percent=data_capture_percent, smoke_min_accuracy=smoke_min_accuracy,
                               registry=registry)
    return results
