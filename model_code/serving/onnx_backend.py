"""The model as an ONNX Runtime session: one per worker process, threads matched to the worker's cores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from .backend import ModelLoadError

_INPUT_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def cuda_provider_available() -> bool:
    """True when this onnxruntime build ships the CUDA execution provider (onnxruntime-gpu)."""
    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxRuntimeBackend:
    """Runs model.onnx; the single input takes the feature matrix, every output must be a tensor."""

    def __init__(self, path: Path, use_cuda: bool, threads: int) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if threads > 1:
            # Spinning pool threads would steal the core the event loop needs between requests.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = (
            ["CUDAExecutionProvider", "CPUExecutionProvider"] if use_cuda else ["CPUExecutionProvider"]
        )
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as error:  # ORT raises its own exception types for every kind of bad file
            raise ModelLoadError(f"onnxruntime cannot load {path}: {error}") from error
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(
                f"{path} has {len(inputs)} inputs; the server feeds exactly one feature matrix"
            )
        if inputs[0].type not in _INPUT_DTYPES:
            raise ModelLoadError(f"{path} input {inputs[0].name!r} is {inputs[0].type}; need float or double")
        for output in self._session.get_outputs():
            if not output.type.startswith("tensor("):
                raise ModelLoadError(
                    f"{path} output {output.name!r} is {output.type}, not a tensor "
                    "(export scikit-learn classifiers with options={'zipmap': False})"
                )
        self._input_name = inputs[0].name
        self._input_dtype = _INPUT_DTYPES[inputs[0].type]
        width = inputs[0].shape[1] if len(inputs[0].shape) == 2 else None
        self.n_features: int | None = width if isinstance(width, int) else None
        self.output_names: list[str] = [output.name for output in self._session.get_outputs()]
        self.description = (
            f"onnxruntime {ort.__version__} {self._session.get_providers()[0]} threads={threads}"
        )
        # InferenceSession.run re-validates feed names and ownership on every call, a few microseconds that
        # are a third of a single-row model call; the checked names above make the binding's run enough.
        binding = getattr(self._session, "_sess", None)
        self._run = binding.run if hasattr(binding, "run") else self._session.run

    def predict(self, rows: np.ndarray) -> list[np.ndarray]:
        """Run the session on float32 rows; returns the outputs in `output_names` order."""
        if self._input_dtype is not np.float32:
            rows = rows.astype(self._input_dtype)
        return self._run(self.output_names, {self._input_name: rows}, None)
