"""The scikit-learn entry point under the SageMaker env-var contract and in CLI-flag mode."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import joblib
import numpy as np
import pytest
from training_flags import explicit_paths

from modelyard.model_code.datasets import load_demo_frame, split_frame, write_channels
from modelyard.model_code.evaluation import evaluate_onnx
from modelyard.model_code.training import __main__ as container_entry_point
from modelyard.model_code.training import train_sklearn

MODEL_FILES = {"model.onnx", "model.joblib", "metrics.json", "model_card.json"}


@pytest.fixture(scope="module")
def parts():
    return split_frame(load_demo_frame(), seed=0)


@pytest.fixture()
def channels(tmp_path, parts):
    return write_channels(parts, tmp_path / "data")


def sagemaker_env(monkeypatch, tmp_path, channels, hyperparameters):
    config = tmp_path / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    for variable, value in {
        "SM_INPUT_CONFIG_DIR": config,
        "SM_MODEL_DIR": tmp_path / "model",
        "SM_CHANNEL_TRAIN": channels["train"],
        "SM_CHANNEL_VALIDATION": channels["validation"],
        "SM_OUTPUT_DATA_DIR": tmp_path / "output" / "data",
    }.items():
        monkeypatch.setenv(variable, str(value))


def test_sagemaker_contract_run_writes_the_model_dir(monkeypatch, tmp_path, channels, parts):
    # SageMaker writes every hyperparameter as a string and the SDK adds sagemaker_* keys.
    sagemaker_env(
        monkeypatch,
        tmp_path,
        channels,
        {"n_estimators": "40", "max_depth": "2", "sagemaker_program": "train"},
    )
    assert train_sklearn.main(["train"]) == 0

    model_dir = tmp_path / "model"
    assert {p.name for p in model_dir.iterdir()} == MODEL_FILES
    model = joblib.load(model_dir / "model.joblib")
    assert (model.n_estimators, model.max_depth) == (40, 2)

    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics == evaluate_onnx(model_dir / "model.onnx", parts["validation"])
    assert (
        metrics["accuracy"] >= 0.9
        and metrics["roc_auc"] >= 0.95
        and metrics["rows"] == len(parts["validation"])
    )

    card = json.loads((model_dir / "model_card.json").read_text())
    train_csv = channels["train"] / "train.csv"
    assert card["data"]["train_sha256"] == hashlib.sha256(train_csv.read_bytes()).hexdigest()
    assert card["metrics"]["validation"] == metrics
    assert card["hyperparameters"]["n_estimators"] == 40
    [model_input] = card["schema"]["inputs"]
    feature_names = [c for c in parts["train"].columns if c != "target"]
    assert model_input == {
        "name": "input",
        "dtype": "float32",
        "shape": [None, 30],
        "feature_names": feature_names,
        "feature_count": 30,
    }
    assert [(o["name"], o["dtype"]) for o in card["schema"]["outputs"]] == [
        ("label", "int64"),
        ("probabilities", "float32"),
    ]
    assert card["training"]["onnx_parity"]["max_probability_difference"] <= 1e-5
    assert {"scikit-learn", "skl2onnx", "onnxruntime", "python"} <= set(card["libraries"])

    history = json.loads((tmp_path / "output" / "data" / "training_history.json").read_text())
    assert len(history["train_loss"]) == 40 and history["train_loss"][-1] < history["train_loss"][0]


def test_cli_flags_run_as_a_module_with_parquet_input(tmp_path, parts):
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    # Two files in one channel: they are concatenated in name order.
    parts["train"].iloc[:200].to_parquet(train_dir / "part-0.parquet")
    parts["train"].iloc[200:].to_parquet(train_dir / "part-1.parquet")
    validation = write_channels({"validation": parts["validation"]}, tmp_path)["validation"]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard.model_code.training.train_sklearn",
            *explicit_paths(train_dir, validation, tmp_path),
            "--n-estimators",
            "25",
            "--learning-rate",
            "0.2",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "SM_INPUT_CONFIG_DIR": str(tmp_path / "no-config")},
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1])["validation"]["accuracy"] >= 0.9
    model = joblib.load(tmp_path / "model" / "model.joblib")
    assert (model.n_estimators, model.learning_rate, model.n_features_in_) == (25, 0.2, 30)


def test_python_api_returns_the_written_metrics(tmp_path, channels):
    metrics = train_sklearn.train(
        channels["train"], channels["validation"], tmp_path / "model", tmp_path / "out", {"n_estimators": 10}
    )
    assert metrics == json.loads((tmp_path / "model" / "metrics.json").read_text())


def test_bad_hyperparameter_fails_before_writing_anything(monkeypatch, tmp_path, channels, capsys):
    sagemaker_env(monkeypatch, tmp_path, channels, {"n_estimators": "0", "max_dept": "3"})
    assert train_sklearn.main([]) == 1
    error = capsys.readouterr().err
    assert "n_estimators='0': must be >= 1" in error and "max_dept: unknown hyperparameter" in error
    assert not (tmp_path / "model").exists()


def test_missing_label_column_is_named(tmp_path, parts, capsys):
    channels = write_channels(
        {"train": parts["train"].drop(columns="target"), "validation": parts["validation"]}, tmp_path / "data"
    )
    code = train_sklearn.main(
        [
            *explicit_paths(channels["train"], channels["validation"], tmp_path),
        ]
    )
    assert code == 1
    assert "label column 'target' is missing" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


def test_validation_with_an_unseen_class_is_rejected(tmp_path, parts, capsys):
    validation = parts["validation"].copy()
    validation.loc[0, "target"] = 7
    channels = write_channels({"train": parts["train"], "validation": validation}, tmp_path / "data")
    code = train_sklearn.main(
        [
            *explicit_paths(channels["train"], channels["validation"], tmp_path),
        ]
    )
    assert code == 1
    assert "class(es) [7] absent from the train channel" in capsys.readouterr().err


def test_container_entry_point_runs_the_trainer_named_by_the_environment(monkeypatch, tmp_path, channels):
    flags = [
        "train",
        *explicit_paths(channels["train"], channels["validation"], tmp_path),
        "--n-estimators",
        "5",
    ]
    monkeypatch.setenv("MODELYARD_TRAINER", "xgboost")
    assert container_entry_point.main(flags) == 2
    monkeypatch.setenv("MODELYARD_TRAINER", "sklearn")
    assert container_entry_point.main(flags) == 0
    assert joblib.load(tmp_path / "model" / "model.joblib").n_estimators == 5


def test_demo_frame_is_the_bundled_breast_cancer_set():
    frame = load_demo_frame()
    assert frame.shape == (569, 31) and frame["target"].isin([0, 1]).all()
    assert all(" " not in name for name in frame.columns)
    assert np.issubdtype(frame.drop(columns="target").to_numpy().dtype, np.floating)
