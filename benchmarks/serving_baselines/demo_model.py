"""The benchmark's model: GradientBoosting (100 trees, depth 3) on scikit-learn's breast-cancer data, as
model.onnx (what ORT-based servers load) and model.pkl (what the scikit-learn servers unpickle)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier


def write_demo_model(model_dir: Path) -> np.ndarray:
    """Train, write model.onnx + model.pkl into model_dir, and return the feature matrix (float32)."""
    features, target = load_breast_cancer(return_X_y=True)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(features, target)
    model_dir.mkdir(parents=True, exist_ok=True)
    onnx_model = to_onnx(model, features[:1].astype(np.float32), options={"zipmap": False})
    (model_dir / "model.onnx").write_bytes(onnx_model.SerializeToString())
    (model_dir / "model.pkl").write_bytes(pickle.dumps(model))
    return features.astype(np.float32)
