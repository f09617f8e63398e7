"""Building blocks in-process: backend choice and parity, micro-batching, metrics board, cgroup cores, settings."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from modelyard.model_code.serving.backend import ModelLoadError, load_backend
from modelyard.model_code.serving.batching import MicroBatcher
from modelyard.model_code.serving.cpu_count import cgroup_cpu_quota, usable_cpu_count
from modelyard.model_code.serving.cuda_graph_backend import batch_buckets, bucket_for
from modelyard.model_code.serving.errors import ErrorCode
from modelyard.model_code.serving.metrics import READY, MetricsBoard
from modelyard.model_code.serving.settings import ServerSettings


def test_onnx_backend_matches_scikit_learn(demo_model):
    backend = load_backend(demo_model.directory, "auto", 1, 256)
    assert backend.description.startswith("onnxruntime") and "CPUExecutionProvider" in backend.description
    assert backend.n_features == 30 and backend.output_names == ["label", "probabilities"]
    labels, probabilities = backend.predict(demo_model.features)
    np.testing.assert_array_equal(labels, demo_model.model.predict(demo_model.features))
    np.testing.assert_allclose(probabilities, demo_model.model.predict_proba(demo_model.features), atol=1e-5)


def test_zipmap_outputs_are_refused_with_the_fix(demo_model, tmp_path):
    from skl2onnx import to_onnx

    (tmp_path / "model.onnx").write_bytes(
        to_onnx(demo_model.model, demo_model.features[:1]).SerializeToString()
    )
    with pytest.raises(ModelLoadError, match="not a tensor.*zipmap"):
        load_backend(tmp_path, "auto", 1, 256)


def test_explicit_torch_cuda_without_a_torchscript_model_fails_loudly(demo_model, tmp_path):
    (tmp_path / "model.onnx").write_bytes((demo_model.directory / "model.onnx").read_bytes())
    (tmp_path / "model.pt").write_bytes(b"not torchscript")
    with pytest.raises(ModelLoadError):
        load_backend(tmp_path, "torch-cuda", 1, 256)


def test_cuda_graph_buckets_are_powers_of_two_covering_the_max_batch():
    assert batch_buckets(1) == [1]
    assert batch_buckets(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert batch_buckets(300)[-1] == 512
    assert [bucket_for(n, batch_buckets(8)) for n in (1, 2, 3, 5, 8)] == [1, 2, 4, 8, 8]
    with pytest.raises(ValueError):
        bucket_for(9, batch_buckets(8))


def test_torch_cuda_graph_backend_matches_eager(tmp_path, demo_model):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from modelyard.model_code.serving.cuda_graph_backend import TorchCudaGraphBackend
    from modelyard.model_code.training.tabular_mlp import LabelAndProbabilities, TabularMLP, save_model

    torch.manual_seed(0)
    mlp = TabularMLP(n_features=30, n_classes=2, hidden_units=64, hidden_layers=2, dropout=0.0).eval()
    mlp.fit_standardisation(torch.from_numpy(demo_model.features))
    save_model(mlp, [0, 1], [f"f{i}" for i in range(30)], tmp_path / "model.pt")
    backend = TorchCudaGraphBackend(tmp_path / "model.pt", ["label", "probabilities"], 30, 64)
    rows = demo_model.features[:100]  # 100 rows: one chunk of 64 and one padded to 64
    with torch.inference_mode():
        labels, probabilities = LabelAndProbabilities(mlp, [0, 1]).eval()(torch.from_numpy(rows))
    predicted_labels, predicted_probabilities = backend.predict(rows)
    np.testing.assert_array_equal(predicted_labels, labels.numpy())
    np.testing.assert_allclose(predicted_probabilities, probabilities.numpy(), atol=1e-5)


class CountingBackend:
    """Wraps the real backend and records the size of every model call."""

    def __init__(self, backend):
        self._backend = backend
        self.n_features, self.output_names, self.description = (
            backend.n_features,
            backend.output_names,
            "counting",
        )
        self.calls: list[int] = []

    def predict(self, rows):
        self.calls.append(len(rows))
        return self._backend.predict(rows)


def test_requests_of_one_loop_pass_share_one_model_call_and_get_their_own_rows(demo_model):
    backend = CountingBackend(load_backend(demo_model.directory, "auto", 1, 256))
    board = MetricsBoard(1)

    async def scenario():
        batcher = MicroBatcher(backend, board.worker(0), asyncio.get_running_loop(), max_rows=256, wait_s=0)
        results = {}
        for start, stop in ((0, 1), (1, 4), (4, 6)):
            batcher.submit(
                demo_model.features[start:stop],
                lambda out, err, key=(start, stop): results.update({key: out}),
            )
        assert results == {}  # nothing runs until the loop has read everything already waiting
        await asyncio.sleep(0)
        return results

    results = asyncio.run(scenario())
    assert backend.calls == [6]
    for (start, stop), (labels, probabilities) in results.items():
        np.testing.assert_allclose(
            probabilities, demo_model.model.predict_proba(demo_model.features[start:stop]), atol=1e-5
        )
        assert len(labels) == stop - start
    assert b"modelyard_batch_rows_sum 6.0" in board.render()


def test_a_full_batch_runs_at_once(demo_model):
    backend = CountingBackend(load_backend(demo_model.directory, "auto", 1, 256))

    async def scenario():
        batcher = MicroBatcher(
            backend, MetricsBoard(1).worker(0), asyncio.get_running_loop(), max_rows=4, wait_s=0
        )
        for _ in range(3):
            batcher.submit(demo_model.features[:2], lambda out, err: None)
        assert backend.calls == [4]  # the first two made a full batch; the third waits for the loop
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert backend.calls == [4, 2]


def test_a_failing_model_call_fails_every_request_in_the_batch():
    class Broken:
        def predict(self, rows):
            raise RuntimeError("device lost")

    errors = []

    async def scenario():
        batcher = MicroBatcher(
            Broken(), MetricsBoard(1).worker(0), asyncio.get_running_loop(), max_rows=8, wait_s=0
        )
        for _ in range(2):
            batcher.submit(np.zeros((1, 3), np.float32), lambda out, err: errors.append((out, err)))
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert [(out, str(err)) for out, err in errors] == [(None, "device lost")] * 2


def test_metrics_board_sums_workers_and_renders_cumulative_histograms():
    board = MetricsBoard(2)
    first, second = board.worker(0), board.worker(1)
    first.observe_request(0, 200, 0.0002)
    second.observe_request(0, 200, 0.003)
    second.observe_request(0, 400, 0.0001)
    second.observe_error(ErrorCode.MALFORMED_JSON)
    first.observe_batch(3)
    text = board.render().decode()
    assert 'modelyard_requests_total{route="/invocations",status="200"} 2' in text
    assert 'modelyard_requests_total{route="/invocations",status="400"} 1' in text
    assert 'modelyard_request_errors_total{code="malformed_json"} 1' in text
    assert 'modelyard_request_duration_seconds_bucket{le="0.0001"} 1' in text
    assert 'modelyard_request_duration_seconds_bucket{le="0.00025"} 2' in text
    assert 'modelyard_request_duration_seconds_bucket{le="+Inf"} 3' in text
    assert "modelyard_request_duration_seconds_count 3" in text
    assert 'modelyard_batch_rows_bucket{le="4"} 1' in text
    assert not board.all_ready()
    first.set_state(READY)
    second.set_state(READY)
    assert board.all_ready()
    board.reset_state(1)
    assert not board.all_ready()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota_of_our_own_nested_cgroup(tmp_path):
    write(tmp_path / "proc", "0::/kubepods/pod1/ctr\n")
    write(tmp_path / "cg" / "kubepods" / "pod1" / "ctr" / "cpu.max", "150000 100000\n")
    write(tmp_path / "cg" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_quota(tmp_path / "cg", tmp_path / "proc") == 1.5
    assert usable_cpu_count(tmp_path / "cg", tmp_path / "proc") == 1  # rounded down, at least one


def test_cgroup_v2_unlimited_and_v1_quota(tmp_path):
    write(tmp_path / "v2" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_quota(tmp_path / "v2", tmp_path / "missing") is None
    write(tmp_path / "proc", "4:cpu,cpuacct:/docker/abc\n")
    write(tmp_path / "v1" / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us", "400000\n")
    write(tmp_path / "v1" / "cpu" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(tmp_path / "v1", tmp_path / "proc") == 4.0
    write(tmp_path / "v1u" / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(tmp_path / "v1u" / "cpu" / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(tmp_path / "v1u", tmp_path / "missing") is None


def test_cores_never_exceed_the_affinity_mask(tmp_path):
    import os

    write(tmp_path / "cpu.max", "6400000 100000\n")  # a 64-core quota
    assert usable_cpu_count(tmp_path, tmp_path / "missing") == len(os.sched_getaffinity(0))


def test_settings_list_every_problem_at_once(tmp_path):
    with pytest.raises(ValueError) as raised:
        ServerSettings(
            model_dir=tmp_path,
            port=-1,
            workers=0,
            max_payload_bytes=0,
            max_batch_rows=0,
            batch_wait_us=-5,
            shutdown_timeout_s=0,
            log_level="loud",
        )
    message = str(raised.value)
    for field in (
        "port",
        "workers",
        "max_payload_bytes",
        "max_batch_rows",
        "batch_wait_us",
        "shutdown_timeout_s",
        "log_level",
    ):
        assert f"{field}: " in message


def test_default_settings_bind_loopback_on_sagemakers_port(tmp_path):
    settings = ServerSettings(model_dir=tmp_path)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8080, None)


def test_explicit_onnxruntime_cuda_without_the_gpu_build_is_refused(demo_model):
    from modelyard.model_code.serving.onnx_backend import cuda_provider_available

    if cuda_provider_available():
        pytest.skip("onnxruntime-gpu is installed here")
    with pytest.raises(ModelLoadError, match="needs onnxruntime-gpu"):
        load_backend(demo_model.directory, "onnxruntime-cuda", 1, 256)
