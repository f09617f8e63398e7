"""Fixtures for the serving tests: a small trained model on disk and a running server on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from serving_http_client import MAX_PAYLOAD_BYTES
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier

from modelyard.model_code.serving import start_server


@dataclass(frozen=True)
class DemoModel:
    directory: Path
    features: np.ndarray  # float32, 569 x 30
    model: GradientBoostingClassifier


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory) -> DemoModel:
    features, target = load_breast_cancer(return_X_y=True)
    features = features.astype(np.float32)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(features, target)
    directory = tmp_path_factory.mktemp("model")
    (directory / "model.onnx").write_bytes(
        to_onnx(model, features[:1], options={"zipmap": False}).SerializeToString()
    )
    return DemoModel(directory, features, model)


@pytest.fixture(scope="module")
def server(demo_model, tmp_path_factory):
    """Two workers, a 200 kB payload limit; shared by a module's tests (each request stands alone)."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with start_server(
        demo_model.directory,
        port=0,
        workers=2,
        log_path=log,
        extra_args=["--max-payload-bytes", str(MAX_PAYLOAD_BYTES)],
    ) as running:
        yield running
