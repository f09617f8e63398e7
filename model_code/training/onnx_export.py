"""ONNX export of trained classifiers, and the parity check that fails it when ONNX Runtime disagrees."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np

from modelyard.catalog.errors import ModelyardError
from modelyard.model_code.evaluation import CLASSES_KEY, FEATURE_NAMES_KEY, load_session, predict_onnx

PARITY_TOLERANCE = 1e-5
INPUT_NAME = "input"
OUTPUT_NAMES = ("label", "probabilities")


class ExportParityError(ModelyardError, RuntimeError):
    """ONNX Runtime's predictions differ from the native model's beyond the parity bound."""


@dataclasses.dataclass(frozen=True)
class ParityReport:
    """How closely ONNX Runtime reproduced the native model on held-out rows."""

    rows: int
    max_probability_difference: float
    tolerance: float
    tied_rows: int
    """Rows whose labels differ only because the native top classes tie within the tolerance."""


def compare_predictions(
    native_labels: np.ndarray,
    native_probabilities: np.ndarray,
    onnx_labels: np.ndarray,
    onnx_probabilities: np.ndarray,
    classes: list[int],
    tolerance: float = PARITY_TOLERANCE,
) -> ParityReport:
    """Labels must be identical and every probability within `tolerance`; raises ExportParityError otherwise.

    `classes[i]` is the class of probability column i. The one exception is honest about float32: where
    the native probabilities of the two disagreeing classes are themselves within `tolerance` of each
    other, either label is the argmax of probabilities that agree within the bound; such rows are
    counted in `tied_rows`, never silently passed.
    """
    native_labels, onnx_labels = np.asarray(native_labels), np.asarray(onnx_labels)
    native_probabilities = np.asarray(native_probabilities, dtype=np.float64)
    onnx_probabilities = np.asarray(onnx_probabilities, dtype=np.float64)
    if native_probabilities.shape != onnx_probabilities.shape or native_labels.shape != onnx_labels.shape:
        raise ExportParityError(
            f"output shapes differ: native probabilities {native_probabilities.shape}, "
            f"ONNX {onnx_probabilities.shape}; labels {native_labels.shape} vs {onnx_labels.shape}"
        )
    if not np.isfinite(onnx_probabilities).all():
        raise ExportParityError("ONNX Runtime returned non-finite probabilities")
    difference = np.abs(native_probabilities - onnx_probabilities)
    max_difference = float(difference.max()) if difference.size else 0.0
    problems = []
    if max_difference > tolerance:
        row = int(np.unravel_index(np.argmax(difference), difference.shape)[0])
        problems.append(
            f"max |probability difference| {max_difference:.3g} exceeds {tolerance:g} "
            f"({int((difference > tolerance).any(axis=1).sum())} row(s); worst row {row}: "
            f"native {native_probabilities[row].tolist()}, ONNX {onnx_probabilities[row].tolist()})"
        )
    column_of = {int(label): column for column, label in enumerate(classes)}
    tied, flipped = [], []
    for row in np.flatnonzero(native_labels != onnx_labels).tolist():
        native_column, onnx_column = (
            column_of.get(int(native_labels[row])),
            column_of.get(int(onnx_labels[row])),
        )
        is_tie = (
            native_column is not None
            and onnx_column is not None
            and abs(native_probabilities[row, native_column] - native_probabilities[row, onnx_column])
            <= tolerance
        )
        (tied if is_tie else flipped).append(row)
    if flipped:
        problems.append(
            f"{len(flipped)} label(s) differ (rows {flipped[:10]}): native "
            f"{native_labels[flipped[:10]].tolist()}, ONNX {onnx_labels[flipped[:10]].tolist()}"
        )
    if problems:
        raise ExportParityError(
            f"ONNX export does not reproduce the native model on {len(native_labels)} "
            "held-out rows: " + "; ".join(problems)
        )
    return ParityReport(
        rows=len(native_labels),
        max_probability_difference=max_difference,
        tolerance=tolerance,
        tied_rows=len(tied),
    )


def verify_parity(
    onnx_path: str | Path,
    features: np.ndarray,
    native_labels: np.ndarray,
    native_probabilities: np.ndarray,
    classes: list[int],
    tolerance: float = PARITY_TOLERANCE,
) -> ParityReport:
    """Run the exported model with ONNX Runtime on `features` and compare with the native predictions."""
    onnx_labels, onnx_probabilities = predict_onnx(load_session(onnx_path), features)
    return compare_predictions(
        native_labels, native_probabilities, onnx_labels, onnx_probabilities, classes, tolerance
    )


def _record_metadata(model, feature_names: list[str], classes: list[int]) -> None:
    for key, value in ((FEATURE_NAMES_KEY, feature_names), (CLASSES_KEY, [int(c) for c in classes])):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)


def export_sklearn_onnx(model, feature_names: list[str], path: str | Path) -> Path:
    """Convert a fitted scikit-learn classifier to ONNX (float32 `input` with a dynamic batch axis;
    outputs `label` and a `probabilities` tensor, ZipMap disabled) and save it to `path`."""
    import onnx
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    converted = convert_sklearn(
        model,
        initial_types=[(INPUT_NAME, FloatTensorType([None, len(feature_names)]))],
        options={id(model): {"zipmap": False}},
    )
    produced = tuple(output.name for output in converted.graph.output)
    if produced != OUTPUT_NAMES:
        raise ExportParityError(f"skl2onnx produced outputs {produced}, expected {OUTPUT_NAMES}")
    _record_metadata(converted, feature_names, list(model.classes_))
    onnx.checker.check_model(converted)
    onnx.save(converted, str(path))
    return Path(path)


def export_torch_onnx(module, feature_names: list[str], classes: list[int], path: str | Path) -> Path:
    """Export a torch module mapping float32 features [batch, n] to (label int64 [batch], probabilities
    float32 [batch, classes]) with the torch.export-based exporter, dynamic batch axis, and save it."""
    import onnx
    import torch

    module = module.eval()
    example = torch.zeros(2, len(feature_names), dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1)
    with warnings.catch_warnings():
        # torch 2.13's exporter trips its own pytree deprecation; nothing a caller can act on.
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=True,
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_shapes=({0: batch},),
            external_data=False,
            verbose=False,
        )
    exported = onnx.load(str(path))
    _record_metadata(exported, feature_names, classes)
    onnx.checker.check_model(exported)
    onnx.save(exported, str(path))
    return Path(path)
