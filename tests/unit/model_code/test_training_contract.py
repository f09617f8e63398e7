"""The SageMaker training contract: hyperparameter parsing, path resolution, staging, distributed layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.model_code.training.contract import (
    HyperparameterError,
    parse_hyperparameters,
    resolve_job_spec,
    staged_model_dir,
)
from modelyard.model_code.training.distributed import DistributedSetupError, process_group_layout
from modelyard.model_code.training.train_sklearn import GradientBoostingHyperparameters
from modelyard.model_code.training.train_torch import MLPHyperparameters


def test_sagemaker_string_values_become_typed_hyperparameters():
    params = parse_hyperparameters(
        MLPHyperparameters,
        {
            "epochs": "12",
            "learning_rate": "0.005",
            "precision": '"bf16"',
            "dropout": "0",
            "sagemaker_program": "train.py",
            "_tuning_objective_metric": "validation:auc",
            "sagemaker_region": "eu-west-1",
        },
    )
    assert (params.epochs, params.learning_rate, params.precision, params.dropout) == (12, 0.005, "bf16", 0.0)
    assert params.batch_size == MLPHyperparameters().batch_size


def test_native_values_and_dashed_names_are_accepted():
    params = parse_hyperparameters(GradientBoostingHyperparameters, {"n-estimators": 7, "subsample": 1})
    assert (params.n_estimators, params.subsample) == (7, 1.0)


def test_every_bad_hyperparameter_is_named_in_one_error():
    with pytest.raises(HyperparameterError) as caught:
        parse_hyperparameters(
            GradientBoostingHyperparameters,
            {
                "n_estimators": "ten",
                "max_depth": "0",
                "learning_rate": "-1",
                "subsample": "1.5",
                "n_estimatros": "5",
                "random_state": "2.5",
            },
        )
    message = str(caught.value)
    assert "n_estimators='ten': expected an integer" in message
    assert "max_depth='0': must be >= 1" in message
    assert "learning_rate='-1': must be > 0.0" in message
    assert "subsample='1.5': must be <= 1.0" in message
    assert "n_estimatros: unknown hyperparameter" in message
    assert "random_state='2.5': expected an integer" in message


def test_choices_are_enforced():
    with pytest.raises(
        HyperparameterError, match=r"precision='fp8': expected one of \['auto', 'fp32', 'bf16', 'fp16'\]"
    ):
        parse_hyperparameters(MLPHyperparameters, {"precision": "fp8"})


def test_paths_come_from_sagemaker_env_and_hyperparameters_from_its_file(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "hyperparameters.json").write_text(json.dumps({"n_estimators": "50", "max_depth": "2"}))
    environ = {
        "SM_INPUT_CONFIG_DIR": str(config),
        "SM_MODEL_DIR": "/m",
        "SM_CHANNEL_TRAIN": "/t",
        "SM_CHANNEL_VALIDATION": "/v",
        "SM_OUTPUT_DATA_DIR": "/o",
    }
    spec = resolve_job_spec(GradientBoostingHyperparameters, ["train", "--max-depth", "4"], environ)
    assert (spec.model_dir, spec.train, spec.validation, spec.output_data_dir) == (
        Path("/m"),
        Path("/t"),
        Path("/v"),
        Path("/o"),
    )
    # CLI flags win over the file; the file over the defaults.
    assert spec.hyperparameters == {"n_estimators": "50", "max_depth": "4"}


def test_cli_flags_win_over_env_and_defaults_are_sagemakers(tmp_path):
    environ = {"SM_INPUT_CONFIG_DIR": str(tmp_path), "SM_MODEL_DIR": "/from-env"}
    spec = resolve_job_spec(GradientBoostingHyperparameters, ["--model-dir", str(tmp_path / "m")], environ)
    assert spec.model_dir == tmp_path / "m"
    assert spec.train == Path("/opt/ml/input/data/train")
    assert spec.output_data_dir == Path("/opt/ml/output/data")
    assert spec.hyperparameters == {}


def test_malformed_hyperparameters_file_is_reported(tmp_path):
    (tmp_path / "hyperparameters.json").write_text("[1, 2]")
    with pytest.raises(HyperparameterError, match="must hold a JSON object"):
        resolve_job_spec(GradientBoostingHyperparameters, [], {"SM_INPUT_CONFIG_DIR": str(tmp_path)})


def test_staged_model_dir_publishes_only_on_success(tmp_path):
    model_dir = tmp_path / "model"
    with pytest.raises(RuntimeError), staged_model_dir(model_dir) as staging:
        (staging / "model.onnx").write_text("half")
        raise RuntimeError("export failed")
    assert list(model_dir.iterdir()) == []
    with staged_model_dir(model_dir) as staging:
        (staging / "model.onnx").write_text("whole")
    assert [p.name for p in model_dir.iterdir()] == ["model.onnx"]


def test_torchrun_and_kubeflow_layout_is_taken_as_given():
    layout = process_group_layout(
        {
            "RANK": "3",
            "WORLD_SIZE": "4",
            "LOCAL_RANK": "1",
            "MASTER_ADDR": "trainjob-node-0-0.trainjob",
            "MASTER_PORT": "29400",
        }
    )
    assert (layout.rank, layout.world_size, layout.local_rank) == (3, 4, 1)
    assert (layout.master_addr, layout.master_port) == ("trainjob-node-0-0.trainjob", 29400)


def test_sagemaker_hosts_derive_master_and_rank_identically_on_every_host():
    hosts = json.dumps(["algo-2", "algo-1", "algo-3"])
    layouts = [
        process_group_layout({"SM_HOSTS": hosts, "SM_CURRENT_HOST": host})
        for host in ("algo-1", "algo-2", "algo-3")
    ]
    assert [layout.rank for layout in layouts] == [0, 1, 2]
    assert {(layout.master_addr, layout.master_port, layout.world_size) for layout in layouts} == {
        ("algo-1", 29500, 3)
    }


def test_sagemaker_resource_config_is_the_fallback_and_names_the_interface():
    layout = process_group_layout(
        {}, {"current_host": "algo-2", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}
    )
    assert (layout.rank, layout.world_size, layout.master_addr, layout.socket_interface) == (
        1,
        2,
        "algo-1",
        "eth0",
    )


def test_single_host_is_a_single_process():
    layout = process_group_layout({"SM_HOSTS": '["algo-1"]', "SM_CURRENT_HOST": "algo-1"})
    assert (layout.rank, layout.world_size, layout.master_addr) == (0, 1, None)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"SM_HOSTS": '["algo-1", "algo-2"]', "SM_CURRENT_HOST": "algo-9"},
            "SM_CURRENT_HOST='algo-9' is not among",
        ),
        ({"RANK": "0", "WORLD_SIZE": "2"}, "MASTER_ADDR is not set"),
        ({"RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": "x"}, r"RANK=2 must lie in \[0, WORLD_SIZE=2\)"),
        ({"RANK": "zero", "WORLD_SIZE": "2", "MASTER_ADDR": "x"}, "must be integers"),
    ],
)
def test_inconsistent_distributed_environments_are_rejected(environ, message):
    with pytest.raises(DistributedSetupError, match=message):
        process_group_layout(environ)
