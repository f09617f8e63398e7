"""The MLflow model registry as the pipelines use it: versions of the ONNX model, `challenger` and `champion` aliases."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Set before mlflow is imported anywhere in a step: no usage reports leave the machine.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

CHAMPION = "champion"
CHALLENGER = "challenger"
SHA256_TAG = "modelyard.artifact_sha256"
ARTIFACT_TAG = "modelyard.artifact_uri"


def tracking_uri(outputs: Any) -> str:
    """MLFLOW_TRACKING_URI (the local cloud sets it) over the stack's exported tracking URI."""
    return os.environ.get("MLFLOW_TRACKING_URI") or outputs.mlflow_tracking_uri


@dataclass(frozen=True)
class RegisteredVersion:
    version: str
    run_id: str
    tags: dict[str, str]


class MlflowRegistryClient:
    """A client of the MLflow model registry for one registered model (named after the stack's model package
    group) and its experiment: not the `ModelRegistry` component, which creates the registries."""

    def __init__(self, tracking_uri: str, model_name: str, experiment_name: str):
        from mlflow import MlflowClient

        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.experiment_name = experiment_name
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    @classmethod
    def for_stack(cls, outputs: Any) -> MlflowRegistryClient:
        return cls(tracking_uri(outputs), outputs.model_package_group_name, outputs.pipeline_name)

    def ensure_experiment(self, artifact_location: str | None = None) -> str:
        """The experiment's id, creating it (with `artifact_location` when given) if it does not exist."""
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        return self.client.create_experiment(self.experiment_name, artifact_location=artifact_location)

    def version_by_alias(self, alias: str) -> RegisteredVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_model_version_by_alias(self.model_name, alias)
        except MlflowException:
            return None
        return RegisteredVersion(str(found.version), found.run_id, dict(found.tags))

    def version_with_sha256(self, sha256: str) -> RegisteredVersion | None:
        """An existing version of this exact artifact (re-running register must not add another)."""
        for found in self.client.search_model_versions(f"name = '{self.model_name}'"):
            if found.tags.get(SHA256_TAG) == sha256:
                return RegisteredVersion(str(found.version), found.run_id, dict(found.tags))
        return None

    def download_onnx(self, version: str, destination: Path) -> Path:
        """The version's model.onnx, downloaded under `destination`."""
        import mlflow

        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{self.model_name}/{version}",
            dst_path=str(destination),
            tracking_uri=self.tracking_uri,
        )
        return Path(local) / "model.onnx"

    def register(self, model_dir: Path, metrics: dict[str, float], tags: dict[str, str]) -> RegisteredVersion:
        """Log model.onnx (+ card and validation metrics) in a run with the test metrics, register a new version."""
        import mlflow
        import onnx

        mlflow.set_tracking_uri(self.tracking_uri)
        experiment_id = self.ensure_experiment()
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=f"register-{tags.get(SHA256_TAG, '')[:12]}"
        ) as run:
            mlflow.log_metrics({f"test_{name}": value for name, value in metrics.items()})
            mlflow.set_tags(tags)
            extra_files = [
                str(model_dir / name)
                for name in ("model_card.json", "metrics.json")
                if (model_dir / name).is_file()
            ]
            info = mlflow.onnx.log_model(
                onnx.load(str(model_dir / "model.onnx")),
                name="model",
                registered_model_name=self.model_name,
                extra_files=extra_files or None,
                save_as_external_data=False,
            )
        version = str(info.registered_model_version)
        for key, value in tags.items():
            self.client.set_model_version_tag(self.model_name, version, key, value)
        return RegisteredVersion(version, run.info.run_id, dict(tags))

    def set_alias(self, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(self.model_name, alias, version)

    def promote(self, version: str) -> None:
        """`champion` -> version; the `challenger` alias is dropped once it names the champion."""
        self.set_alias(CHAMPION, version)
        challenger = self.version_by_alias(CHALLENGER)
        if challenger is not None and challenger.version == version:
            self.client.delete_registered_model_alias(self.model_name, CHALLENGER)
