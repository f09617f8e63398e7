"""The bootstrap model: what a new endpoint serves until the pipeline deploys the first trained model.

It answers every row with uniform class probabilities (label 0), so a stack can come up, pass
SageMaker's health checks and be smoke-tested before any model exists; its model card says so.
The archive is byte-for-byte reproducible, so plans that upload it stay stable.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx

BOOTSTRAP_ARCHIVE = Path(__file__).resolve().parent / "bootstrap_model.tar.gz"
DEFAULT_FEATURE_COUNT = 30  # the bundled demo dataset's width
CLASSES = (0, 1)


def bootstrap_onnx(feature_count: int = DEFAULT_FEATURE_COUNT) -> onnx.ModelProto:
    """A classifier with the trained models' interface (`input` -> `label`, `probabilities`) and no opinion."""
    # Imported here: the stack program imports this module for BOOTSTRAP_ARCHIVE and must not load onnx (0.6 s).
    import numpy as np
    from onnx import TensorProto, checker, helper, numpy_helper

    class_count = len(CLASSES)
    weights = numpy_helper.from_array(np.zeros((feature_count, class_count), dtype=np.float32), "weights")
    bias = numpy_helper.from_array(np.full(class_count, 1.0 / class_count, dtype=np.float32), "bias")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["input", "weights"], ["scores"]),
            helper.make_node("Add", ["scores", "bias"], ["probabilities"]),
            helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
        ],
        "modelyard-bootstrap",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", feature_count])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", class_count]),
        ],
        initializer=[weights, bias],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="modelyard-bootstrap"
    )
    model.ir_version = 8
    helper.set_model_props(
        model,
        {
            "modelyard.feature_names": json.dumps([f"feature_{i}" for i in range(feature_count)]),
            "modelyard.classes": json.dumps(list(CLASSES)),
        },
    )
    checker.check_model(model)
    return model


def bootstrap_archive_bytes(feature_count: int = DEFAULT_FEATURE_COUNT) -> bytes:
    """model.tar.gz (model.onnx + model_card.json) with fixed timestamps, so the bytes never change."""
    card = {
        "name": "modelyard-bootstrap",
        "purpose": "placeholder served until the training pipeline deploys a trained model",
        "predictions": "uniform class probabilities, label 0, for every row",
        "inputs": {"name": "input", "dtype": "float32", "features": feature_count},
        "outputs": {"label": "int64", "probabilities": "float32"},
        "metrics": None,
    }
    members = {
        "model.onnx": bootstrap_onnx(feature_count).SerializeToString(),
        "model_card.json": json.dumps(card, indent=2, sort_keys=True).encode(),
    }
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0) as gz:
        gz.write(tar_bytes.getvalue())
    return compressed.getvalue()


def main() -> None:
    """Regenerate the shipped archive (`python -m modelyard.model_code.bootstrap`)."""
    BOOTSTRAP_ARCHIVE.write_bytes(bootstrap_archive_bytes())
    print(f"wrote {BOOTSTRAP_ARCHIVE}")


if __name__ == "__main__":
    main()
