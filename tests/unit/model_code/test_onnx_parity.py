"""ONNX export parity: real models pass at 1e-5, perturbed ONNX or native models fail the export loudly."""

from __future__ import annotations

import copy

import numpy as np
import onnx
import pytest
import torch
from sklearn.ensemble import GradientBoostingClassifier

from modelyard.model_code.datasets import load_demo_frame, load_training_data, split_frame, write_channels
from modelyard.model_code.training.artifacts import TrainedClassifier, write_model_dir
from modelyard.model_code.training.onnx_export import (
    ExportParityError,
    compare_predictions,
    export_sklearn_onnx,
    export_torch_onnx,
    verify_parity,
)
from modelyard.model_code.training.tabular_mlp import LabelAndProbabilities, TabularMLP

CLASSES = [0, 1]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Train channel = the demo train split; the held-out rows checked for parity = its test split."""
    parts = split_frame(load_demo_frame(), seed=0)
    channels = write_channels(
        {"train": parts["train"], "validation": parts["test"]}, tmp_path_factory.mktemp("d")
    )
    return load_training_data(channels["train"], channels["validation"])


@pytest.fixture(scope="module")
def boosted(data, tmp_path_factory):
    model = GradientBoostingClassifier(random_state=0).fit(data.train_features, data.train_labels)
    return model, export_sklearn_onnx(model, data.feature_names, tmp_path_factory.mktemp("gb") / "model.onnx")


@pytest.fixture(scope="module")
def mlp(data, tmp_path_factory):
    """An MLP with real feature statistics baked in (training is not what parity is about)."""
    torch.manual_seed(0)
    module = TabularMLP(len(data.feature_names), 2, hidden_units=16, hidden_layers=2, dropout=0.0)
    module.fit_standardisation(torch.tensor(data.train_features, dtype=torch.float32))
    served = LabelAndProbabilities(module, CLASSES).eval()
    path = export_torch_onnx(
        served, data.feature_names, CLASSES, tmp_path_factory.mktemp("mlp") / "model.onnx"
    )
    return served, path


def torch_predictions(served, features):
    with torch.no_grad():
        labels, probabilities = served(torch.tensor(features, dtype=torch.float32))
    return labels.numpy(), probabilities.numpy()


def test_gradient_boosting_export_matches_scikit_learn(boosted, data):
    model, path = boosted
    rows = data.validation_features
    report = verify_parity(path, rows, model.predict(rows), model.predict_proba(rows), CLASSES)
    assert report.rows == len(rows) and report.tied_rows == 0
    assert report.max_probability_difference <= 1e-5


def test_perturbed_gradient_boosting_onnx_fails_parity(boosted, data, tmp_path):
    model, path = boosted
    rows = data.validation_features
    perturbed = onnx.load(str(path))
    [ensemble] = [node for node in perturbed.graph.node if node.op_type == "TreeEnsembleClassifier"]
    [base_values] = [attribute for attribute in ensemble.attribute if attribute.name == "base_values"]
    base_values.floats[0] += 0.05  # shifts every row's raw score: a small but real change of the model
    onnx.save(perturbed, str(tmp_path / "perturbed.onnx"))
    with pytest.raises(ExportParityError, match=r"max \|probability difference\| .* exceeds 1e-05"):
        verify_parity(
            tmp_path / "perturbed.onnx", rows, model.predict(rows), model.predict_proba(rows), CLASSES
        )


def test_mlp_export_matches_eager_torch_on_raw_features(mlp, data):
    served, path = mlp
    report = verify_parity(
        path, data.validation_features, *torch_predictions(served, data.validation_features), CLASSES
    )
    assert report.max_probability_difference <= 1e-5
    # The batch axis is dynamic: a single row (the serving case) runs too.
    one_row = data.validation_features[:1]
    assert verify_parity(path, one_row, *torch_predictions(served, one_row), CLASSES).rows == 1


def test_perturbed_native_mlp_fails_parity(mlp, data):
    served, path = mlp
    perturbed = copy.deepcopy(served)
    with torch.no_grad():
        perturbed.mlp.layers[-1].bias[1] += 1e-3
    with pytest.raises(ExportParityError, match="exceeds 1e-05"):
        verify_parity(
            path, data.validation_features, *torch_predictions(perturbed, data.validation_features), CLASSES
        )


def test_a_flipped_label_fails_even_with_matching_probabilities():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ExportParityError, match=r"1 label\(s\) differ \(rows \[1\]\)"):
        compare_predictions(np.array([0, 1]), probabilities, np.array([0, 0]), probabilities, CLASSES)


def test_a_tie_within_the_bound_is_counted_not_hidden():
    native = np.array([[0.5, 0.5], [0.3, 0.7]])
    onnx_side = np.array([[0.500001, 0.499999], [0.3, 0.7]])
    report = compare_predictions(np.array([1, 1]), native, np.array([0, 1]), onnx_side, CLASSES)
    assert report.tied_rows == 1 and report.max_probability_difference <= 1e-5


def test_shape_mismatch_fails():
    with pytest.raises(ExportParityError, match="output shapes differ"):
        compare_predictions(
            np.array([0]), np.array([[1.0, 0.0]]), np.array([0]), np.array([[1.0, 0.0, 0.0]]), CLASSES
        )


def test_failed_parity_leaves_the_model_dir_empty(boosted, data, tmp_path):
    model, _path = boosted
    other = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(
        data.train_features, data.train_labels
    )
    classifier = TrainedClassifier(
        name="mismatched",
        framework="scikit-learn",
        save_native=lambda folder: folder / "unused",
        export_onnx=lambda path: export_sklearn_onnx(other, data.feature_names, path),  # not the native model
        predict_native=lambda features: (model.predict(features), model.predict_proba(features)),
        distributions=(),
    )
    with pytest.raises(ExportParityError):
        write_model_dir(classifier, data, tmp_path / "model", hyperparameters={}, training={})
    assert list((tmp_path / "model").iterdir()) == []
