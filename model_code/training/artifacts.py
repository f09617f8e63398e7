"""Writes a trained classifier's model dir: native model, parity-checked ONNX, metrics, model card."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.model_code.datasets import TrainingData
from modelyard.model_code.evaluation import evaluate_onnx
from modelyard.model_code.training.contract import staged_model_dir
from modelyard.model_code.training.model_card import build_model_card, write_model_card
from modelyard.model_code.training.onnx_export import verify_parity

ONNX_FILE = "model.onnx"
METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "model_card.json"


@dataclasses.dataclass(frozen=True)
class TrainedClassifier:
    """What a trainer hands over to be written: how to save, export and run the native model."""

    name: str
    framework: str
    save_native: Callable[[Path], Path]
    """Writes the native model into the given folder and returns the file's path."""
    export_onnx: Callable[[Path], Path]
    """Writes the ONNX model to the given path."""
    predict_native: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    """(labels, probabilities) of the native model for a float64 feature array."""
    distributions: tuple[str, ...]
    """Framework distributions whose versions the model card records."""


def write_model_dir(
    classifier: TrainedClassifier,
    data: TrainingData,
    model_dir: Path,
    *,
    hyperparameters: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, float]:
    """Save, export, verify parity on the validation rows, evaluate model.onnx on them, write the card.

    Files appear in model_dir only if every step succeeds (ExportParityError leaves it untouched).
    Returns the validation metrics written to metrics.json.
    """
    with staged_model_dir(model_dir) as staging:
        classifier.save_native(staging)
        onnx_path = classifier.export_onnx(staging / ONNX_FILE)
        native_labels, native_probabilities = classifier.predict_native(data.validation_features)
        parity = verify_parity(
            onnx_path, data.validation_features, native_labels, native_probabilities, data.classes
        )
        metrics = evaluate_onnx(onnx_path, data.validation_frame)
        (staging / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
        card = build_model_card(
            name=classifier.name,
            framework=classifier.framework,
            onnx_path=onnx_path,
            data=data,
            metrics=metrics,
            hyperparameters=hyperparameters,
            training={**training, "onnx_parity": dataclasses.asdict(parity)},
            distributions=classifier.distributions,
        )
        write_model_card(card, staging / MODEL_CARD_FILE)
    return metrics
