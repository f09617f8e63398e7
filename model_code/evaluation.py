"""Classification metrics of an exported model, computed by running model.onnx with ONNX Runtime."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.model_code.datasets import DatasetError, feature_matrix_and_labels

# ONNX metadata written at export: the column each input position expects, and the class of each
# probability column. They let any consumer map a frame or payload onto the model without the card.
FEATURE_NAMES_KEY = "modelyard.feature_names"
CLASSES_KEY = "modelyard.classes"


def load_session(model_path: str | Path):
    """An ONNX Runtime CPU session for a model file."""
    import onnxruntime

    return onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])


def model_metadata(session) -> tuple[list[str] | None, list[int] | None]:
    """(feature names, classes) recorded in the model's metadata, None where absent."""
    custom = session.get_modelmeta().custom_metadata_map
    feature_names = json.loads(custom[FEATURE_NAMES_KEY]) if FEATURE_NAMES_KEY in custom else None
    classes = json.loads(custom[CLASSES_KEY]) if CLASSES_KEY in custom else None
    return feature_names, classes


def predict_onnx(session, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, class probabilities) for a 2-D feature array; the model takes float32 `input` and returns
    `label` and `probabilities`."""
    labels, probabilities = session.run(
        ["label", "probabilities"], {session.get_inputs()[0].name: np.asarray(features, dtype=np.float32)}
    )
    return labels, probabilities


def classification_metrics(
    labels: np.ndarray, predicted: np.ndarray, probabilities: np.ndarray, classes: list[int]
) -> dict[str, float]:
    """accuracy, roc_auc (one-vs-rest beyond two classes) and log_loss of predictions against true labels."""
    from sklearn.metrics import log_loss, roc_auc_score

    unknown = sorted(set(np.unique(labels).tolist()) - set(classes))
    if unknown:
        raise DatasetError(
            f"column 'target' holds label(s) {unknown} the model does not know (classes {classes})"
        )
    present = np.unique(labels)
    if len(present) < 2:
        raise DatasetError(
            f"roc_auc needs at least two classes in column 'target'; found only {present.tolist()}"
        )
    # float32 probabilities sum to 1 only within ~1e-7; renormalising in float64 keeps log_loss exact.
    probabilities = np.asarray(probabilities, dtype=np.float64)
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    if len(classes) == 2:
        roc_auc = roc_auc_score(labels == classes[1], probabilities[:, 1])
    else:
        roc_auc = roc_auc_score(labels, probabilities, multi_class="ovr", labels=classes)
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "roc_auc": float(roc_auc),
        "log_loss": float(log_loss(labels, probabilities, labels=classes)),
    }


def evaluate_onnx(model_path: str | Path, frame: pd.DataFrame) -> dict[str, float]:
    """{"accuracy", "roc_auc", "log_loss", "rows"} of model.onnx on a frame with feature columns and `target`.

    Features are taken by the names recorded in the model (all non-target columns in frame order for a
    model without them); the one implementation the training run and the pipeline's gate share.
    """
    session = load_session(model_path)
    feature_names, classes = model_metadata(session)
    features, _names, labels = feature_matrix_and_labels(frame, feature_names)
    expected = session.get_inputs()[0].shape[-1]
    if isinstance(expected, int) and features.shape[1] != expected:
        raise DatasetError(
            f"the frame has {features.shape[1]} feature columns; {model_path} expects {expected}"
        )
    predicted, probabilities = predict_onnx(session, features)
    if classes is None:
        classes = list(range(probabilities.shape[1]))
    return {**classification_metrics(labels, predicted, probabilities, classes), "rows": len(frame)}
