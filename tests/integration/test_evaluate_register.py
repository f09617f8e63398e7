"""Evaluate, gate and register on a moto server with MLflow on sqlite."""

import pytest
from conftest import GATE

from modelyard.pipelines.model_registry import CHALLENGER, CHAMPION
from modelyard.pipelines.steps.evaluate import evaluate
from modelyard.pipelines.steps.register import register
from modelyard.pipelines.steps.step_runtime import StepFailed


def test_gate_passes_without_champion_and_register_is_idempotent(
    outputs, clients, registry, demo_dataset, demo_model
):
    evaluation = evaluate(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        test_uri=demo_dataset["test_uri"],
        registry=registry,
        **GATE,
    )
    assert evaluation["passed"] is True and evaluation["reasons"] == []
    assert evaluation["champion_metrics"] is None
    assert set(evaluation["metrics"]) >= {"accuracy", "roc_auc", "log_loss"}

    first = register(
        outputs, clients, evaluation=evaluation, data_version=demo_dataset["data_version"], registry=registry
    )
    assert first["aliases"] == [CHALLENGER]
    package = clients.sagemaker.describe_model_package(ModelPackageName=first["model_package_arn"])
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"]["artifact_sha256"] == demo_model["model_sha256"]
    assert package["CustomerMetadataProperties"]["model_uri"] == demo_model["model_uri"]
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == demo_model["model_uri"]

    second = register(outputs, clients, evaluation=evaluation, registry=registry, promote=True)
    assert second["model_version"] == first["model_version"]
    assert second["model_package_arn"] == first["model_package_arn"]
    assert second["reused"] == {"mlflow": True, "model_package": True}
    assert second["aliases"] == [CHAMPION]
    assert len(registry.client.search_model_versions(f"name = '{registry.model_name}'")) == 1


def test_failed_gate_registers_nothing(outputs, clients, registry, demo_dataset, demo_model):
    evaluation = evaluate(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        test_uri=demo_dataset["test_uri"],
        registry=registry,
        min_accuracy=0.999,
        min_auc=0.9,
        max_regression=0.01,
    )
    assert evaluation["passed"] is False
    assert (
        evaluation["reasons"][0].startswith("accuracy ")
        and "below the minimum 0.999" in evaluation["reasons"][0]
    )
    with pytest.raises(StepFailed, match="nothing was registered"):
        register(outputs, clients, evaluation=evaluation, registry=registry)
    assert registry.client.search_model_versions(f"name = '{registry.model_name}'") == []
    packages = clients.sagemaker.list_model_packages(ModelPackageGroupName=outputs.model_package_group_name)
    assert packages["ModelPackageSummaryList"] == []


def test_gate_compares_with_the_champion_on_the_same_test_split(
    outputs, clients, registry, demo_dataset, demo_model, inverted_model
):
    champion = evaluate(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        test_uri=demo_dataset["test_uri"],
        registry=registry,
        **GATE,
    )
    register(outputs, clients, evaluation=champion, registry=registry, promote=True)
    challenger = evaluate(
        outputs,
        clients,
        model_uri=inverted_model["model_uri"],
        test_uri=demo_dataset["test_uri"],
        registry=registry,
        min_accuracy=0.0,
        min_auc=0.0,
        max_regression=0.01,
    )
    assert challenger["passed"] is False
    assert challenger["champion_metrics"] == champion["metrics"]
    assert challenger["champion_version"] == "1"
    assert any("below the champion's" in reason for reason in challenger["reasons"])
