"""Real two-process DistributedDataParallel runs on CPU (gloo): via torchrun, and as two SageMaker hosts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from training_flags import explicit_paths

from modelyard.model_code.datasets import load_demo_frame, split_frame, write_channels
from modelyard.model_code.evaluation import evaluate_onnx
from modelyard.model_code.training.tabular_mlp import load_model, parameter_sha256

pytestmark = pytest.mark.slow

TRAIN_ROWS = 200
HYPERPARAMETERS = {"epochs": "20", "patience": "5", "hidden_units": "32", "batch_size": "25"}
MODEL_FILES = {"model.onnx", "model.pt", "metrics.json", "model_card.json"}
ACCURACY_GATE = 0.9


@pytest.fixture(scope="module")
def parts():
    parts = split_frame(load_demo_frame(), seed=0)
    return {**parts, "train": parts["train"].iloc[:TRAIN_ROWS]}


def clean_environment(tmp_path) -> dict[str, str]:
    """The caller's environment without any distributed or SageMaker settings that could leak in."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SM_", "PET_", "TORCHELASTIC_"))
        and name not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
    }
    return {**environ, "OMP_NUM_THREADS": "1", "SM_INPUT_CONFIG_DIR": str(tmp_path / "no-config")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_ranks_agree_and_model_passes_the_gate(rank_records, model_dir, test_frame):
    assert [record["rank"] for record in rank_records] == [0, 1]
    assert {(record["world_size"], record["backend"]) for record in rank_records} == {(2, "gloo")}
    # DistributedSampler gave each rank its own half of the train rows.
    assert [record["shard_rows"] for record in rank_records] == [TRAIN_ROWS // 2] * 2
    assert rank_records[0]["epochs_run"] == rank_records[1]["epochs_run"]
    checksums = {record["parameter_sha256"] for record in rank_records}
    assert len(checksums) == 1, "ranks ended with different parameters"
    assert [record["wrote_model_dir"] for record in rank_records] == [True, False]

    assert {p.name for p in model_dir.iterdir()} == MODEL_FILES
    served, _names = load_model(model_dir / "model.pt")
    assert {parameter_sha256(served.mlp)} == checksums
    card = json.loads((model_dir / "model_card.json").read_text())
    assert (card["training"]["world_size"], card["training"]["backend"]) == (2, "gloo")
    metrics = evaluate_onnx(model_dir / "model.onnx", test_frame)
    assert metrics["rows"] == len(test_frame) and metrics["accuracy"] >= ACCURACY_GATE


def test_torchrun_two_processes(tmp_path, parts):
    channels = write_channels(parts, tmp_path / "data")
    flags = [
        part for name, value in HYPERPARAMETERS.items() for part in (f"--{name.replace('_', '-')}", value)
    ]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node=2",
            "-m",
            "modelyard.model_code.training.train_torch",
            *explicit_paths(channels["train"], channels["validation"], tmp_path, output="output"),
            *flags,
        ],
        check=False,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    records = [json.loads((tmp_path / "output" / f"rank-{rank}.json").read_text()) for rank in (0, 1)]
    assert_ranks_agree_and_model_passes_the_gate(records, tmp_path / "model", parts["test"])


def test_two_sagemaker_hosts_without_torchrun(tmp_path, parts):
    """SM_HOSTS lists two hosts and no torchrun variables are set: each process derives its rank."""
    channels = write_channels(parts, tmp_path / "data")
    config = tmp_path / "config"
    config.mkdir()
    (config / "hyperparameters.json").write_text(json.dumps(HYPERPARAMETERS))
    hosts = ["localhost", "127.0.0.1"]  # sorted, "127.0.0.1" is the master (rank 0)
    port = free_port()
    processes = {}
    for host in hosts:
        environ = {
            **clean_environment(tmp_path),
            "SM_HOSTS": json.dumps(hosts),
            "SM_CURRENT_HOST": host,
            "MASTER_PORT": str(port),
            "SM_INPUT_CONFIG_DIR": str(config),
            "SM_CHANNEL_TRAIN": str(channels["train"]),
            "SM_CHANNEL_VALIDATION": str(channels["validation"]),
            # Each host has its own disk, as on SageMaker: only the master's model dir may fill.
            "SM_MODEL_DIR": str(tmp_path / host / "model"),
            "SM_OUTPUT_DATA_DIR": str(tmp_path / host / "output"),
        }
        processes[host] = subprocess.Popen(
            [sys.executable, "-m", "modelyard.model_code.training.train_torch", "train"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        outputs = {host: process.communicate(timeout=180) for host, process in processes.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    for host, process in processes.items():
        assert process.returncode == 0, f"{host}: {outputs[host][1][-4000:]}"

    master, worker = "127.0.0.1", "localhost"
    records = [
        json.loads((tmp_path / host / "output" / f"rank-{rank}.json").read_text())
        for rank, host in enumerate((master, worker))
    ]
    assert not (tmp_path / worker / "model").exists()
    assert_ranks_agree_and_model_passes_the_gate(records, tmp_path / master / "model", parts["test"])
