"""model_card.json: what a model takes and returns, what it was trained on, how well it does, with what."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from modelyard.model_code.datasets import TARGET_COLUMN, TrainingData, channel_sha256
from modelyard.model_code.evaluation import load_session

COMMON_DISTRIBUTIONS = ("numpy", "pandas", "scikit-learn", "onnx", "onnxruntime")
# ONNX Runtime reports "tensor(float)"; clients build payloads with numpy names.
NUMPY_DTYPE_OF_ONNX_TYPE = {"float": "float32", "double": "float64"}


def library_versions(distributions: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the given distributions plus Python's."""
    versions = {"python": platform.python_version()}
    for name in COMMON_DISTRIBUTIONS + distributions:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def onnx_schema(onnx_path: Path, feature_names: list[str], classes: list[int]) -> dict[str, Any]:
    """Inputs and outputs as ONNX Runtime reports them (dynamic axes null), with feature names and classes."""
    session = load_session(onnx_path)

    def describe(arg) -> dict[str, Any]:
        element_type = arg.type.removeprefix("tensor(").removesuffix(")")
        return {
            "name": arg.name,
            "dtype": NUMPY_DTYPE_OF_ONNX_TYPE.get(element_type, element_type),
            "shape": [dim if isinstance(dim, int) else None for dim in arg.shape],
        }

    return {
        "inputs": [
            {**describe(arg), "feature_names": feature_names, "feature_count": len(feature_names)}
            for arg in session.get_inputs()
        ],
        "outputs": [describe(arg) for arg in session.get_outputs()],
        "classes": classes,
        "label_column": TARGET_COLUMN,
    }


def build_model_card(
    *,
    name: str,
    framework: str,
    onnx_path: Path,
    data: TrainingData,
    metrics: dict[str, float],
    hyperparameters: dict[str, Any],
    training: dict[str, Any],
    distributions: tuple[str, ...],
) -> dict[str, Any]:
    """The model card as a JSON-ready dict."""
    return {
        "name": name,
        "framework": framework,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": "binary classification" if len(data.classes) == 2 else "multiclass classification",
        "schema": onnx_schema(onnx_path, data.feature_names, data.classes),
        "data": {
            "train_sha256": channel_sha256(data.train_channel),
            "validation_sha256": channel_sha256(data.validation_channel),
            "train_rows": len(data.train_frame),
            "validation_rows": len(data.validation_frame),
        },
        "metrics": {"validation": metrics},
        "hyperparameters": hyperparameters,
        "training": training,
        "libraries": library_versions(distributions),
    }


def write_model_card(card: dict[str, Any], path: Path) -> Path:
    """Write the card as indented JSON."""
    path.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return path
