"""Training entry point: PyTorch MLP on tabular channels; alone, under torchrun/Kubeflow, or multi-host."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.functional import cross_entropy
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from modelyard.model_code.datasets import TrainingData, load_training_data
from modelyard.model_code.training.artifacts import TrainedClassifier, write_model_dir
from modelyard.model_code.training.contract import (
    HyperparameterError,
    hyperparameter,
    parse_hyperparameters,
    run_entry_point,
)
from modelyard.model_code.training.distributed import DistributedContext, start_distributed, stop_distributed
from modelyard.model_code.training.onnx_export import export_torch_onnx
from modelyard.model_code.training.tabular_mlp import (
    LabelAndProbabilities,
    TabularMLP,
    parameter_sha256,
    save_model,
)

NATIVE_FILE = "model.pt"
HISTORY_FILE = "training_history.json"


@dataclasses.dataclass(frozen=True)
class MLPHyperparameters:
    """Hyperparameters of the PyTorch MLP trainer."""

    epochs: int = hyperparameter(100, minimum=1)
    """Most passes over the train channel; early stopping usually ends sooner; default 100."""
    batch_size: int = hyperparameter(64, minimum=1)
    """Rows per optimiser step in each process (the global batch is this times the world size); default 64."""
    learning_rate: float = hyperparameter(1e-3, above=0.0)
    """AdamW learning rate; default 1e-3."""
    weight_decay: float = hyperparameter(1e-4, minimum=0.0)
    """AdamW decoupled weight decay; default 1e-4."""
    hidden_units: int = hyperparameter(64, minimum=1)
    """Width of each hidden layer; default 64."""
    hidden_layers: int = hyperparameter(2, minimum=1)
    """Number of hidden layers; default 2."""
    dropout: float = hyperparameter(0.1, minimum=0.0, below=1.0)
    """Dropout after each hidden layer; default 0.1."""
    patience: int = hyperparameter(10, minimum=1)
    """Epochs without a lower validation loss before stopping (the best epoch's weights stay); default 10."""
    seed: int = hyperparameter(0, minimum=0)
    """Seed for initialisation, shuffling and dropout; default 0."""
    precision: str = hyperparameter("auto", choices=("auto", "fp32", "bf16", "fp16"))
    """Autocast dtype; auto is bf16 on a GPU that supports it, else fp16 on GPU, fp32 on CPU; default auto."""
    device: str = hyperparameter("auto", choices=("auto", "cpu", "cuda"))
    """auto uses CUDA when present; default auto."""
    cpu_threads: int = hyperparameter(1, minimum=0)
    """Intra-op CPU threads per process, 0 for torch's default. Small tabular batches are dispatch-bound:
    extra threads only add synchronisation (1 ms vs 44 ms per step on a busy 2-core host); default 1."""


def _resolve_device_and_precision(params: MLPHyperparameters):
    cuda_available = torch.cuda.is_available()
    if params.device == "cuda" and not cuda_available:
        raise HyperparameterError("device='cuda': no CUDA device is available")
    use_cuda = params.device == "cuda" or (params.device == "auto" and cuda_available)
    precision = params.precision
    if precision == "auto":
        precision = ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if use_cuda else "fp32"
    if precision == "fp16" and not use_cuda:
        raise HyperparameterError("precision='fp16' needs a CUDA device; use fp32 or bf16 on CPU")
    autocast_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return use_cuda, precision, autocast_dtype


@dataclasses.dataclass(frozen=True)
class FitResult:
    """The trained module (CPU, float32, best epoch's weights) and how training went on this rank."""

    model: Any
    history: list[dict[str, float]]
    best_epoch: int
    shard_rows: int
    """Train rows this rank's DistributedSampler yields per epoch."""
    seconds: float


def train(
    train_dir: str | Path,
    validation_dir: str | Path,
    model_dir: str | Path,
    output_data_dir: str | Path,
    hyperparameters: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Fit on the train channel (data-parallel when the environment describes several processes); rank 0
    writes the model dir. Returns the validation metrics of model.onnx on every rank.

    Hyperparameter values may be strings (as SageMaker passes them) or native values.
    """
    params = parse_hyperparameters(MLPHyperparameters, hyperparameters or {})
    data = load_training_data(train_dir, validation_dir)
    use_cuda, precision, autocast_dtype = _resolve_device_and_precision(params)

    with _deterministic_torch(params.cpu_threads):
        context = start_distributed(use_cuda)
        succeeded = False
        try:
            fit = _fit(params, context, autocast_dtype, data)
            metrics = _publish(params, context, fit, data, precision, Path(model_dir), Path(output_data_dir))
            succeeded = True
            return metrics
        finally:
            stop_distributed(context, wait_for_all=succeeded)


@contextmanager
def _deterministic_torch(cpu_threads: int) -> Iterator[None]:
    """Deterministic kernels and `cpu_threads` intra-op threads inside the block; the caller's settings after
    (train() may run inside a larger process, such as a test session or a notebook)."""
    # cuBLAS needs this before its first handle to be deterministic; harmless on CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
        torch.set_num_threads(previous_threads)


def _fit(
    params: MLPHyperparameters, context: DistributedContext, autocast_dtype, data: TrainingData
) -> FitResult:
    started = time.perf_counter()
    device = context.device
    class_index = {label: index for index, label in enumerate(data.classes)}
    x_train = torch.from_numpy(data.train_features.astype(np.float32))
    y_train = torch.tensor([class_index[int(label)] for label in data.train_labels], dtype=torch.int64)
    x_validation = torch.from_numpy(data.validation_features.astype(np.float32)).to(device)
    y_validation = torch.tensor(
        [class_index[int(label)] for label in data.validation_labels], dtype=torch.int64, device=device
    )

    torch.manual_seed(params.seed)
    model = TabularMLP(
        x_train.shape[1], len(data.classes), params.hidden_units, params.hidden_layers, params.dropout
    )
    # Every rank loads the whole train channel, so each computes the same mean and scale.
    model.fit_standardisation(x_train)
    model = model.to(device)
    # Same initial weights everywhere (DDP also broadcasts rank 0's), but each rank its own dropout masks.
    torch.manual_seed(params.seed + context.rank)
    trained = model
    if context.world_size > 1:
        trained = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    dataset = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(
        dataset, num_replicas=context.world_size, rank=context.rank, shuffle=True, seed=params.seed
    )
    loader = DataLoader(
        dataset, batch_size=params.batch_size, sampler=sampler, pin_memory=device.type == "cuda"
    )
    optimizer = torch.optim.AdamW(
        trained.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    # fp16 gradients underflow without loss scaling; bf16 and fp32 do not need it.
    scaler = torch.amp.GradScaler(device.type, enabled=autocast_dtype is torch.float16)

    history: list[dict[str, float]] = []
    best_loss, best_epoch, best_state = float("inf"), -1, None
    for epoch in range(params.epochs):
        sampler.set_epoch(epoch)
        trained.train()
        loss_sum, rows = torch.zeros((), dtype=torch.float64, device=device), 0
        for features, labels in loader:
            features = features.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(
                device.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None
            ):
                loss = cross_entropy(trained(features), labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.detach().double() * len(labels)
            rows += len(labels)
        totals = torch.stack([loss_sum, torch.tensor(float(rows), dtype=torch.float64, device=device)])
        if context.world_size > 1:
            dist.all_reduce(totals)
        train_loss = float(totals[0] / totals[1])
        model.eval()
        with torch.no_grad():
            validation_loss = float(cross_entropy(model(x_validation), y_validation))
        # Rank 0's value decides for everyone, so no rank can stop at a different epoch.
        validation_loss = context.share_from_main(validation_loss)
        history.append({"epoch": epoch, "train_loss": train_loss, "validation_loss": validation_loss})
        if context.is_main:
            print(
                f"epoch={epoch} train_loss={train_loss:.6f} validation_loss={validation_loss:.6f}", flush=True
            )
        if validation_loss < best_loss:
            best_loss, best_epoch = validation_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= params.patience:
            break
    model.load_state_dict(best_state)
    return FitResult(
        model=model.to("cpu").float().eval(),
        history=history,
        best_epoch=best_epoch,
        shard_rows=len(sampler),
        seconds=time.perf_counter() - started,
    )


def _publish(
    params: MLPHyperparameters,
    context: DistributedContext,
    fit: FitResult,
    data: TrainingData,
    precision: str,
    model_dir: Path,
    output_data_dir: Path,
) -> dict[str, float]:
    """Rank 0 writes the model dir and history; every rank writes rank-<N>.json with its parameter checksum
    and receives rank 0's metrics (or its failure)."""
    served = LabelAndProbabilities(fit.model, data.classes).eval()
    checksum = parameter_sha256(fit.model)
    output_data_dir.mkdir(parents=True, exist_ok=True)

    def predict_native(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            labels, probabilities = served(torch.from_numpy(features.astype(np.float32)))
        return labels.numpy(), probabilities.numpy()

    outcome: dict[str, Any] = {}
    failure: Exception | None = None
    if context.is_main:
        try:
            classifier = TrainedClassifier(
                name="tabular-mlp",
                framework="pytorch",
                save_native=lambda folder: save_model(
                    fit.model, data.classes, data.feature_names, folder / NATIVE_FILE
                ),
                export_onnx=lambda path: export_torch_onnx(served, data.feature_names, data.classes, path),
                predict_native=predict_native,
                distributions=("torch", "onnxscript"),
            )
            outcome["metrics"] = write_model_dir(
                classifier,
                data,
                model_dir,
                hyperparameters=dataclasses.asdict(params),
                training={
                    "estimator": "TabularMLP (standardisation baked in)",
                    "epochs_run": len(fit.history),
                    "best_epoch": fit.best_epoch,
                    "device": str(context.device),
                    "precision": precision,
                    "world_size": context.world_size,
                    "backend": context.backend,
                    "fit_seconds": round(fit.seconds, 3),
                    "parameter_sha256": checksum,
                },
            )
            (output_data_dir / HISTORY_FILE).write_text(json.dumps(fit.history) + "\n")
        except Exception as error:  # noqa: BLE001 - re-raised below, after the other ranks hear of it
            failure = error
            outcome["error"] = f"{type(error).__name__}: {error}"
    rank_record = {
        "rank": context.rank,
        "world_size": context.world_size,
        "backend": context.backend,
        "device": str(context.device),
        "parameter_sha256": checksum,
        "shard_rows": fit.shard_rows,
        "epochs_run": len(fit.history),
        "best_epoch": fit.best_epoch,
        "wrote_model_dir": context.is_main,
    }
    (output_data_dir / f"rank-{context.rank}.json").write_text(json.dumps(rank_record) + "\n")
    outcome = context.share_from_main(outcome)
    if failure is not None:
        raise failure
    if "error" in outcome:
        raise RuntimeError(f"rank 0 failed to write the model dir: {outcome['error']}")
    if context.is_main:
        print(json.dumps({"validation": outcome["metrics"]}), flush=True)
    return outcome["metrics"]


def main(argv: list[str] | None = None) -> int:
    """Run under the SageMaker training contract (env vars or CLI flags); returns the exit code."""
    return run_entry_point(train, MLPHyperparameters, argv)


if __name__ == "__main__":
    sys.exit(main())
