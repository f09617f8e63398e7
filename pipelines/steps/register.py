"""Step 4, register: an MLflow model version (alias `challenger`, `champion` on promotion) and a SageMaker model package."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.model_registry import (
    ARTIFACT_TAG,
    CHALLENGER,
    CHAMPION,
    SHA256_TAG,
    MlflowRegistryClient,
)
from modelyard.pipelines.steps.evaluate import unpack_model
from modelyard.pipelines.steps.step_runtime import StepFailed, run_module

SHA256_PROPERTY = "artifact_sha256"


def register(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    evaluation: dict[str, Any],
    data_version: str = "",
    promote: bool = False,
    image_tag: str = "latest",
    registry: MlflowRegistryClient | None = None,
) -> dict[str, Any]:
    """Register the evaluated model; refuses (StepFailed) unless the evaluation passed its gate.

    Re-running with the same artifact finds the MLflow version and the model package by the artifact's sha256
    and creates neither again. With `promote` the version becomes `champion` at once; otherwise the deploy step
    promotes it after a successful smoke test.
    """
    if not evaluation.get("passed"):
        raise StepFailed(
            "the evaluation gate did not pass; nothing was registered: "
            + "; ".join(evaluation.get("reasons") or ["no passing evaluation was given"]),
            {"registered": False},
        )
    registry = registry or MlflowRegistryClient.for_stack(outputs)
    model_uri, metrics = evaluation["model_uri"], evaluation["metrics"]
    body = s3_objects.get_bytes(clients, model_uri)
    sha256 = hashlib.sha256(body).hexdigest()

    version = registry.version_with_sha256(sha256)
    mlflow_reused = version is not None
    if version is None:
        tags = {
            SHA256_TAG: sha256,
            ARTIFACT_TAG: model_uri,
            "modelyard.data_version": data_version,
            "modelyard.evaluation_uri": evaluation.get("evaluation_uri", ""),
        }
        with tempfile.TemporaryDirectory(prefix="modelyard-register-") as scratch:
            model_dir = unpack_model(clients, model_uri, Path(scratch)).parent
            version = registry.register(model_dir, metrics, tags)
    champion = registry.version_by_alias(CHAMPION)
    if champion is None or champion.version != version.version:
        registry.set_alias(CHALLENGER, version.version)
    if promote:
        registry.promote(version.version)

    package_arn, package_reused = _model_package(
        outputs, clients, evaluation, sha256, version.version, image_tag
    )
    return {
        "registered": True,
        "model_name": registry.model_name,
        "model_version": version.version,
        "aliases": _aliases(registry, version.version),
        "promoted": promote,
        "model_uri": model_uri,
        "model_sha256": sha256,
        "model_package_arn": package_arn,
        "approval_status": "Approved",
        "metrics": metrics,
        "reused": {"mlflow": mlflow_reused, "model_package": package_reused},
    }


def _aliases(registry: MlflowRegistryClient, version: str) -> list[str]:
    return [
        alias
        for alias in (CHAMPION, CHALLENGER)
        if (found := registry.version_by_alias(alias)) is not None and found.version == version
    ]


def _model_package(
    outputs: StackOutputs,
    clients: AwsClients,
    evaluation: dict[str, Any],
    sha256: str,
    mlflow_version: str,
    image_tag: str,
) -> tuple[str, bool]:
    sagemaker = clients.sagemaker
    for page in sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=outputs.model_package_group_name
    ):
        for summary in page["ModelPackageSummaryList"]:
            described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            if described.get("CustomerMetadataProperties", {}).get(SHA256_PROPERTY) == sha256:
                return summary["ModelPackageArn"], True
    metrics = evaluation["metrics"]
    created = sagemaker.create_model_package(
        ModelPackageGroupName=outputs.model_package_group_name,
        ModelPackageDescription=f"MLflow {outputs.model_package_group_name} version {mlflow_version}",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": f"{outputs.serving_repository_url}:{image_tag}",
                    "ModelDataUrl": evaluation["model_uri"],
                }
            ],
            "SupportedContentTypes": ["application/json", "text/csv", "application/x-npy"],
            "SupportedResponseMIMETypes": ["application/json", "text/csv", "application/x-npy"],
            "SupportedRealtimeInferenceInstanceTypes": [outputs.inference_instance_type],
        },
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": evaluation["evaluation_uri"]}
            }
        },
        # The gate passed (register refuses otherwise), so the package is approved for deployment.
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={
            SHA256_PROPERTY: sha256,
            "model_uri": evaluation["model_uri"],
            "mlflow_version": mlflow_version,
            **{f"test_{name}": f"{value:.6f}" for name, value in metrics.items() if isinstance(value, float)},
        },
    )
    return created["ModelPackageArn"], False


if __name__ == "__main__":
    run_module("register")
