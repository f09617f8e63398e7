"""The PyTorch trainer's model.pt on the GPU, replayed from CUDA graphs captured for fixed power-of-two batch buckets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .backend import ModelLoadError

_WARMUP_RUNS = 3  # lets cuDNN/cuBLAS pick kernels and allocate workspaces before capture


def batch_buckets(max_batch_rows: int) -> list[int]:
    """Powers of two from 1 up to the first one ≥ max_batch_rows: the batch sizes graphs are captured for."""
    buckets = [1]
    while buckets[-1] < max_batch_rows:
        buckets.append(buckets[-1] * 2)
    return buckets


def bucket_for(rows: int, buckets: list[int]) -> int:
    """The smallest bucket that holds `rows` rows (callers split batches larger than the last bucket)."""
    for bucket in buckets:
        if bucket >= rows:
            return bucket
    raise ValueError(f"{rows} rows exceed the largest bucket {buckets[-1]}")


class TorchCudaGraphBackend:
    """Replays one captured graph per bucket; a batch is padded up to its bucket and sliced back."""

    def __init__(
        self, path: Path, output_names: list[str], n_features: int | None, max_batch_rows: int
    ) -> None:
        import torch

        if n_features is None:
            raise ModelLoadError("CUDA graphs need a fixed feature count, but model.onnx leaves it dynamic")
        if not torch.cuda.is_available():
            raise ModelLoadError("torch reports no usable CUDA device")
        # Imported here: tabular_mlp imports torch, which only the GPU path loads.
        from modelyard.model_code.training.tabular_mlp import load_model

        try:
            module, _ = load_model(path)  # the served signature: features -> (label, probabilities)
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise ModelLoadError(
                f"{path} is not a model.pt written by the PyTorch trainer: {error}"
            ) from error
        module = module.to("cuda")
        self._torch = torch
        self._buckets = batch_buckets(max_batch_rows)
        self._graphs = {}
        with torch.inference_mode():
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # capture requires warm-up off the default stream
                for bucket in self._buckets:
                    for _ in range(_WARMUP_RUNS):
                        module(torch.zeros(bucket, n_features, device="cuda"))
            torch.cuda.current_stream().wait_stream(side)
            for bucket in self._buckets:
                static_input = torch.zeros(bucket, n_features, device="cuda")
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    result = module(static_input)
                static_outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                self._graphs[bucket] = (graph, static_input, static_outputs)
        if len(static_outputs) != len(output_names):
            raise ModelLoadError(
                f"{path} returns {len(static_outputs)} tensors but model.onnx names {len(output_names)} "
                f"outputs ({', '.join(output_names)}); they are matched by position"
            )
        self.n_features: int | None = n_features
        self.output_names = output_names
        self.description = (
            f"torch {torch.__version__} CUDA graphs, buckets {self._buckets[0]}..{self._buckets[-1]}"
        )

    def predict(self, rows: np.ndarray) -> list[np.ndarray]:
        """Run rows through the graphs in chunks of the largest bucket; outputs come back as numpy."""
        largest = self._buckets[-1]
        chunks = [self._run_chunk(rows[start : start + largest]) for start in range(0, len(rows), largest)]
        if len(chunks) == 1:
            return chunks[0]
        return [np.concatenate(parts) for parts in zip(*chunks)]

    def _run_chunk(self, rows: np.ndarray) -> list[np.ndarray]:
        count = len(rows)
        graph, static_input, static_outputs = self._graphs[bucket_for(count, self._buckets)]
        # Rows are independent in an eval-mode MLP, so the stale padding rows only produce ignored outputs.
        static_input[:count].copy_(self._torch.from_numpy(rows))
        graph.replay()
        return [output[:count].cpu().numpy() for output in static_outputs]
