"""Which engine runs the model (ONNX Runtime on CPU or CUDA, or a CUDA-graph PyTorch module), chosen and logged."""

from __future__ import annotations

import glob
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from modelyard.catalog.errors import ModelyardError

log = logging.getLogger("modelyard.serving")

ONNX_FILE = "model.onnx"
TORCH_FILE = "model.pt"


class ModelLoadError(ModelyardError):
    """The model directory cannot be served; the message says why."""


class Backend(Protocol):
    """A loaded model: float32 rows in, one array per named output back (same row order)."""

    description: str
    n_features: int | None
    output_names: list[str]

    def predict(self, rows: np.ndarray) -> list[np.ndarray]: ...


def gpu_present() -> bool:
    """True when an NVIDIA device node exists; checked before importing torch, which is slow and large."""
    return bool(glob.glob("/dev/nvidia[0-9]*"))


def load_backend(model_dir: Path, choice: str, intra_op_threads: int, max_batch_rows: int) -> Backend:
    """Load the model with the engine `choice` names ('auto' decides by hardware) and log what was picked."""
    # Imported here: onnx_backend imports ModelLoadError from this module, and loads onnxruntime.
    from .onnx_backend import OnnxRuntimeBackend, cuda_provider_available

    onnx_path = Path(model_dir) / ONNX_FILE
    if not onnx_path.is_file():
        raise ModelLoadError(f"{onnx_path} does not exist; the model directory must hold {ONNX_FILE}")
    torch_path = Path(model_dir) / TORCH_FILE
    requested = choice
    reason = f"backend={choice} requested"
    if choice == "auto":
        if torch_path.is_file() and gpu_present():
            choice, reason = "torch-cuda", f"{TORCH_FILE} present and a GPU found"
        elif gpu_present() and cuda_provider_available():
            choice, reason = "onnxruntime-cuda", "GPU found and onnxruntime has the CUDA provider"
        else:
            choice, reason = "onnxruntime-cpu", "no GPU (or no GPU-capable runtime) found"
    if choice == "onnxruntime-cuda" and not cuda_provider_available():
        raise ModelLoadError(
            "backend onnxruntime-cuda needs onnxruntime-gpu; this onnxruntime has no CUDAExecutionProvider"
        )
    reference = OnnxRuntimeBackend(onnx_path, use_cuda=choice == "onnxruntime-cuda", threads=intra_op_threads)
    backend: Backend = reference
    if choice == "torch-cuda":
        # Imported here: it imports ModelLoadError from this module, and loads torch only when chosen.
        from .cuda_graph_backend import TorchCudaGraphBackend

        try:
            backend = TorchCudaGraphBackend(
                torch_path, reference.output_names, reference.n_features, max_batch_rows
            )
        except ModelLoadError as error:
            if requested != "auto":  # explicitly requested: refuse rather than silently degrade
                raise
            log.warning("torch-cuda backend unusable, serving with onnxruntime", extra={"error": str(error)})
    log.info("backend chosen", extra={"backend": backend.description, "reason": reason})
    return backend
