"""Single-row predict latency: ONNX Runtime vs sklearn predict_proba vs torch eager, on fresh demo models.

Run: python benchmarks/predict_latency.py [--iterations 3000] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def measure(call: Callable[[], object], iterations: int) -> tuple[float, float]:
    """(median, p99) latency in microseconds over `iterations` calls, after a warm-up."""
    for _ in range(min(200, iterations)):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads for ONNX Runtime and torch")
    args = parser.parse_args()

    import joblib
    import onnxruntime
    import torch

    from modelyard.model_code.datasets import load_demo_frame, split_frame, write_channels
    from modelyard.model_code.training import train_sklearn, train_torch
    from modelyard.model_code.training.tabular_mlp import load_model

    torch.set_num_threads(args.threads)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1

    def session(path: Path):
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        parts = split_frame(load_demo_frame(), seed=0)
        channels = write_channels(parts, root / "data")
        train_sklearn.train(channels["train"], channels["validation"], root / "gb", root / "gb-out", {})
        train_torch.train(channels["train"], channels["validation"], root / "mlp", root / "mlp-out", {})
        features = [c for c in parts["test"].columns if c != "target"]
        row64 = parts["test"][features].to_numpy(dtype=np.float64)[:1]
        row32 = row64.astype(np.float32)

        boosting = joblib.load(root / "gb" / "model.joblib")
        boosting_onnx = session(root / "gb" / "model.onnx")
        served, _names = load_model(root / "mlp" / "model.pt")
        mlp_onnx = session(root / "mlp" / "model.onnx")
        row_tensor = torch.from_numpy(row32.copy())

        def torch_eager():
            with torch.inference_mode():
                return served(row_tensor)

        rows = [
            ("gradient boosting", "ONNX Runtime", lambda: boosting_onnx.run(None, {"input": row32})),
            ("gradient boosting", "sklearn predict_proba", lambda: boosting.predict_proba(row64)),
            ("MLP", "ONNX Runtime", lambda: mlp_onnx.run(None, {"input": row32})),
            ("MLP", "torch eager (inference_mode)", torch_eager),
        ]
        results = [(model, runtime, *measure(call, args.iterations)) for model, runtime, call in rows]

    print(
        f"single-row predict latency, {args.iterations} calls, {args.threads} thread(s), "
        f"onnxruntime {onnxruntime.__version__}, torch {torch.__version__}"
    )
    print(f"{'model':<18} {'runtime':<30} {'median us':>10} {'p99 us':>10} {'x ONNX RT':>10}")
    onnx_median = {model: median for model, runtime, median, _p99 in results if runtime == "ONNX Runtime"}
    for model, runtime, median, p99 in results:
        print(f"{model:<18} {runtime:<30} {median:>10.1f} {p99:>10.1f} {median / onnx_median[model]:>10.1f}")


if __name__ == "__main__":
    main()
