"""The PyTorch entry point (one process) under the SageMaker env-var contract and in CLI-flag mode."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from training_flags import explicit_paths

from modelyard.model_code.datasets import load_demo_frame, split_frame, write_channels
from modelyard.model_code.evaluation import evaluate_onnx, load_session, predict_onnx
from modelyard.model_code.training import train_torch
from modelyard.model_code.training.tabular_mlp import load_model, parameter_sha256

# Small and quick; identical in both runs so their parameter checksums must match (determinism).
HYPERPARAMETERS = {"epochs": "300", "patience": "3", "hidden_units": "32", "batch_size": "32", "seed": "7"}
MODEL_FILES = {"model.onnx", "model.pt", "metrics.json", "model_card.json"}


@pytest.fixture(scope="module")
def parts():
    return split_frame(load_demo_frame(), seed=0)


@pytest.fixture(scope="module")
def sagemaker_run(tmp_path_factory, parts):
    """One run under SageMaker's env vars and hyperparameters.json, shared by the assertions below."""
    root = tmp_path_factory.mktemp("sagemaker")
    channels = write_channels(parts, root / "data")
    config = root / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps(HYPERPARAMETERS))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for variable, value in {
            "SM_INPUT_CONFIG_DIR": config,
            "SM_MODEL_DIR": root / "model",
            "SM_CHANNEL_TRAIN": channels["train"],
            "SM_CHANNEL_VALIDATION": channels["validation"],
            "SM_OUTPUT_DATA_DIR": root / "output",
        }.items():
            monkeypatch.setenv(variable, str(value))
        for variable in ("RANK", "WORLD_SIZE", "SM_HOSTS"):
            monkeypatch.delenv(variable, raising=False)
        assert train_torch.main(["train"]) == 0
    return root


def test_sagemaker_contract_run_writes_the_model_dir(sagemaker_run, parts):
    model_dir = sagemaker_run / "model"
    assert {p.name for p in model_dir.iterdir()} == MODEL_FILES
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics == evaluate_onnx(model_dir / "model.onnx", parts["validation"])
    assert metrics["accuracy"] >= 0.9 and metrics["roc_auc"] >= 0.95

    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["framework"] == "pytorch" and card["hyperparameters"]["hidden_units"] == 32
    assert card["schema"]["inputs"][0]["shape"] == [None, 30]
    training = card["training"]
    assert (training["device"], training["precision"], training["world_size"]) == ("cpu", "fp32", 1)
    assert training["onnx_parity"]["max_probability_difference"] <= 1e-5
    assert "torch" in card["libraries"]


def test_early_stopping_keeps_the_best_epoch(sagemaker_run):
    training = json.loads((sagemaker_run / "model" / "model_card.json").read_text())["training"]
    history = json.loads((sagemaker_run / "output" / "training_history.json").read_text())
    assert training["epochs_run"] == len(history) < 300
    # Stopped exactly `patience` epochs after the lowest validation loss, whose weights were kept.
    assert training["epochs_run"] == training["best_epoch"] + 3 + 1
    losses = [entry["validation_loss"] for entry in history]
    assert training["best_epoch"] == int(np.argmin(losses))
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_scaler_is_baked_in_so_onnx_and_model_pt_take_raw_features(sagemaker_run, parts):
    served, feature_names = load_model(sagemaker_run / "model" / "model.pt")
    raw = parts["test"][feature_names].to_numpy(dtype=np.float32)
    assert raw.max() > 100  # really unscaled (area features are in the hundreds)
    with torch.no_grad():
        labels, probabilities = served(torch.tensor(raw))
    onnx_labels, onnx_probabilities = predict_onnx(load_session(sagemaker_run / "model" / "model.onnx"), raw)
    np.testing.assert_array_equal(labels.numpy(), onnx_labels)
    np.testing.assert_allclose(probabilities.numpy(), onnx_probabilities, atol=1e-5, rtol=0)
    assert (
        parameter_sha256(served.mlp)
        == json.loads((sagemaker_run / "model" / "model_card.json").read_text())["training"][
            "parameter_sha256"
        ]
    )


def test_cli_flag_run_reproduces_the_same_parameters(sagemaker_run, tmp_path, parts):
    channels = write_channels(parts, tmp_path / "data")
    flags = [
        part for name, value in HYPERPARAMETERS.items() for part in (f"--{name.replace('_', '-')}", value)
    ]
    code = train_torch.main(
        [
            *explicit_paths(channels["train"], channels["validation"], tmp_path),
            *flags,
        ]
    )
    assert code == 0
    rank_record = json.loads((tmp_path / "out" / "rank-0.json").read_text())
    reference = json.loads((sagemaker_run / "output" / "rank-0.json").read_text())
    assert rank_record["parameter_sha256"] == reference["parameter_sha256"]
    assert rank_record["wrote_model_dir"] is True and rank_record["world_size"] == 1


def test_fp16_on_cpu_is_rejected_before_training(tmp_path, parts, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    channels = write_channels(parts, tmp_path / "data")
    code = train_torch.main(
        [
            *explicit_paths(channels["train"], channels["validation"], tmp_path),
            "--precision",
            "fp16",
        ]
    )
    assert code == 1
    assert "precision='fp16' needs a CUDA device" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()
