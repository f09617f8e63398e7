"""evaluate_onnx, the one implementation of the gate's metrics, against scikit-learn's own numbers."""

from __future__ import annotations

import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from modelyard.model_code.datasets import (
    DatasetError,
    feature_matrix_and_labels,
    load_demo_frame,
    split_frame,
)
from modelyard.model_code.evaluation import evaluate_onnx
from modelyard.model_code.training.onnx_export import export_sklearn_onnx


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    parts = split_frame(load_demo_frame(), seed=1)
    train_x, names, train_y = feature_matrix_and_labels(parts["train"])
    model = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(train_x, train_y)
    path = export_sklearn_onnx(model, names, tmp_path_factory.mktemp("eval") / "model.onnx")
    return model, path, parts["test"], names


def test_metrics_match_scikit_learn_on_the_native_model(exported):
    model, path, test, names = exported
    probabilities = model.predict_proba(test[names].to_numpy())
    metrics = evaluate_onnx(path, test)
    assert metrics["rows"] == len(test)
    assert metrics["accuracy"] == accuracy_score(test["target"], model.predict(test[names].to_numpy()))
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(test["target"], probabilities[:, 1]), abs=1e-6)
    assert metrics["log_loss"] == pytest.approx(log_loss(test["target"], probabilities), abs=1e-5)


def test_columns_are_matched_by_name_not_position(exported):
    _model, path, test, names = exported
    shuffled = test[["target", *reversed(names)]].assign(extra_column=1.0)
    assert evaluate_onnx(path, shuffled) == evaluate_onnx(path, test)


def test_a_missing_feature_column_is_named(exported):
    _model, path, test, _names = exported
    with pytest.raises(DatasetError, match=r"feature column\(s\) \['worst_area'\] are missing"):
        evaluate_onnx(path, test.drop(columns="worst_area"))


def test_a_single_class_frame_cannot_give_roc_auc(exported):
    _model, path, test, _names = exported
    with pytest.raises(DatasetError, match="roc_auc needs at least two classes"):
        evaluate_onnx(path, test[test["target"] == 1])
