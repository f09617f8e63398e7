"""Lifecycle: /ping before and after the model loads, load failure, worker count, graceful SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import uvloop
from serving_http_client import request

from modelyard.model_code.serving import ServerStartError, http_protocol, start_server
from modelyard.model_code.serving import worker as worker_module
from modelyard.model_code.serving.backend import load_backend
from modelyard.model_code.serving.cpu_count import usable_cpu_count
from modelyard.model_code.serving.listen_socket import open_listener
from modelyard.model_code.serving.metrics import MetricsBoard
from modelyard.model_code.serving.settings import ServerSettings
from modelyard.model_code.serving.worker import Worker


class InProcessWorker:
    """A Worker on its own event loop thread, so a test controls exactly when the model finishes loading."""

    def __init__(self, settings, board, index, load):
        self.listener = open_listener("127.0.0.1", 0)
        self.host, self.port = self.listener.getsockname()[:2]
        self.worker = Worker(settings, index, self.listener, board, load)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        loop = uvloop.new_event_loop()
        try:
            loop.run_until_complete(self.worker.serve())
        finally:
            loop.close()

    def stop(self):
        self.worker.request_stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def ready_worker(settings: ServerSettings) -> InProcessWorker:
    """One in-process worker of `settings`, returned once its model has loaded (so stop() races no loader)."""
    worker = InProcessWorker(
        settings, MetricsBoard(1), 0, lambda: load_backend(settings.model_dir, "auto", 1, 256)
    )
    wait_for(lambda: request(worker, "GET", "/ping")[0] == 200)
    return worker


@pytest.fixture()
def gated_worker(demo_model):
    """One worker whose model load blocks until the test opens the gate."""
    gate = threading.Event()
    settings = ServerSettings(model_dir=demo_model.directory)

    def load():
        assert gate.wait(10)
        return load_backend(demo_model.directory, "auto", 1, 256)

    worker = InProcessWorker(settings, MetricsBoard(1), 0, load)
    wait_for(lambda: worker.worker._loop is not None)
    yield worker, gate
    gate.set()
    worker.stop()


def test_ping_is_503_while_loading_and_200_after(gated_worker, demo_model):
    worker, gate = gated_worker
    body = json.dumps({"instances": demo_model.features[:1].tolist()}).encode()
    status, _, payload = request(worker, "GET", "/ping")
    assert status == 503 and json.loads(payload) == {
        "error": "model_not_ready",
        "message": "model is still loading in at least one worker",
    }
    status, _, payload = request(worker, "POST", "/invocations", body)
    assert status == 503 and json.loads(payload)["error"] == "model_not_ready"
    gate.set()
    wait_for(lambda: request(worker, "GET", "/ping")[0] == 200)
    assert request(worker, "POST", "/invocations", body)[0] == 200


def test_ping_waits_for_every_worker(demo_model):
    board = MetricsBoard(2)  # slot 1 belongs to a worker that never finishes loading
    settings = ServerSettings(model_dir=demo_model.directory)
    worker = InProcessWorker(settings, board, 0, lambda: load_backend(demo_model.directory, "auto", 1, 256))
    try:
        wait_for(lambda: b'model_state{worker="0"} 1' in request(worker, "GET", "/metrics")[2])
        assert request(worker, "GET", "/ping")[0] == 503
        board.worker(1).set_state(1.0)
        assert request(worker, "GET", "/ping")[0] == 200
    finally:
        worker.stop()


def test_model_load_failure_is_503_with_the_reason_and_a_log_line(tmp_path):
    model_dir = tmp_path / "broken"
    model_dir.mkdir()
    (model_dir / "model.onnx").write_bytes(b"this is not an onnx model")
    with pytest.raises(ServerStartError) as raised:
        start_server(model_dir, port=0, log_path=tmp_path / "server.log")
    assert "model failed to load: ModelLoadError: onnxruntime cannot load" in str(raised.value)
    log_lines = [json.loads(line) for line in (tmp_path / "server.log").read_text().splitlines()]
    failure = next(line for line in log_lines if line["message"] == "model failed to load")
    assert failure["level"] == "error" and "model.onnx" in failure["error"]


def test_missing_model_file_is_named(tmp_path):
    with pytest.raises(ServerStartError, match=r"model\.onnx does not exist"):
        start_server(tmp_path, port=0, log_path=tmp_path / "server.log")


def test_default_worker_count_is_the_usable_cores(demo_model, tmp_path):
    with start_server(demo_model.directory, port=0, workers=None, log_path=tmp_path / "server.log") as server:
        metrics = request(server, "GET", "/metrics")[2].decode()
    assert len(re.findall(r"modelyard_worker_model_state\{worker=", metrics)) == usable_cpu_count()


def served_connection(server) -> socket.socket:
    """A keep-alive connection a worker has accepted: it has had one answer (GET /ping) and is now idle."""
    sock = socket.create_connection((server.host, server.port), timeout=10)
    sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    length = int(re.search(rb"Content-Length: (\d+)", head)[1])
    while length:
        length -= len(sock.recv(length))
    return sock


def test_sigterm_lets_the_in_flight_request_finish_then_exits_cleanly(demo_model, tmp_path):
    server = start_server(demo_model.directory, port=0, workers=2, log_path=tmp_path / "server.log")
    body = json.dumps({"instances": demo_model.features[:2].tolist()}).encode()
    # Accepted before SIGTERM: one still in the kernel's accept queue then is reset with the listener.
    in_flight = served_connection(server)
    idle = served_connection(server)
    try:
        in_flight.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:20])
        )
        assert request(server, "GET", "/ping")[0] == 200  # the half-sent request has surely been read
        server.process.send_signal(signal.SIGTERM)
        # An idle keep-alive connection is closed (after the drain's 1 s keep-alive).
        assert idle.recv(100) == b""
        time.sleep(0.3)
        in_flight.sendall(body[20:])
        response = b""
        while chunk := in_flight.recv(65536):
            response += chunk
        assert response.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in response
        assert len(json.loads(response.split(b"\r\n\r\n", 1)[1])["predictions"]) == 2
        assert server.process.wait(10) == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, server.port), timeout=2)
    finally:
        in_flight.close()
        idle.close()
        server.stop()
    assert "server stopped" in server.log_tail()


def test_sigterm_with_back_to_back_keep_alive_clients_loses_no_request(demo_model, tmp_path):
    server = start_server(demo_model.directory, port=0, workers=2, log_path=tmp_path / "server.log")
    body = json.dumps({"instances": demo_model.features[:1].tolist()}).encode()
    answered = threading.Semaphore(0)
    histories: dict[int, list] = {}

    def client(number: int) -> None:
        """Send back to back on one keep-alive connection until told Connection: close, then reconnect."""
        history = histories[number] = []
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        try:
            while not history or history[-1] == (200, None):
                connection.request(
                    "POST", "/invocations", body=body, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                history.append((response.status, response.getheader("Connection")))
                answered.release()
            connection.request("GET", "/ping")  # http.client opens a new connection after Connection: close
            history.append(("new connection", connection.getresponse().status))
        except (OSError, http.client.HTTPException) as error:
            history.append(type(error).__name__)
        finally:
            connection.close()

    clients = [threading.Thread(target=client, args=(number,)) for number in range(3)]
    try:
        for thread in clients:
            thread.start()
        for _ in range(60):  # every client is busy by now
            assert answered.acquire(timeout=10)
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping: draining workers" in server.log_tail())  # however busy this machine is
        time.sleep(0.05)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, server.port), timeout=2)
        for thread in clients:
            thread.join(20)
        assert server.process.wait(20) == 0
    finally:
        server.stop()
    for history in histories.values():
        # Every request sent was answered; the last answer announced the close; a new connection was refused.
        assert history[:-2] == [(200, None)] * (len(history) - 2)
        assert history[-2:] == [(200, "close"), "ConnectionRefusedError"], history[-5:]


def test_a_lingering_close_ends_when_the_client_goes_quiet(demo_model, monkeypatch):
    # The server says its last word (a 413) and then reads what the client still sends, but not forever.
    monkeypatch.setattr(http_protocol, "LINGERING_TIMEOUT_S", 0.2)
    monkeypatch.setattr(worker_module, "SWEEP_INTERVAL_S", 0.05)
    settings = ServerSettings(model_dir=demo_model.directory, max_payload_bytes=10)
    worker = ready_worker(settings)
    try:
        with socket.create_connection((worker.host, worker.port), timeout=5) as sock:
            sock.sendall(
                b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b" " * 500
            )
            received = b""
            started = time.monotonic()
            while chunk := sock.recv(65536):  # the 413, then our FIN: this end may still send
                received += chunk
            sock.sendall(b" " * 400)  # still read and dropped: no reset
            assert received.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in received
            wait_for(lambda: not worker.worker._connections, timeout=5)  # closed once the client went quiet
            assert 0.2 <= time.monotonic() - started < 3
    finally:
        worker.stop()


def test_a_request_slower_than_the_request_timeout_is_408_and_closed(demo_model, monkeypatch):
    monkeypatch.setattr(worker_module, "SWEEP_INTERVAL_S", 0.05)
    settings = ServerSettings(model_dir=demo_model.directory, request_timeout_s=0.3)
    worker = ready_worker(settings)
    try:
        with socket.create_connection((worker.host, worker.port), timeout=5) as sock:
            sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[[1,")
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        assert received.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in received
        assert b'"error":"request_timeout"' in received
    finally:
        worker.stop()


def serve_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m modelyard.model_code.serving ARGS`, run to completion (a server that starts fails by timing out)."""
    return subprocess.run(
        [sys.executable, "-m", "modelyard.model_code.serving", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "500"},  # no wrapping
    )


def test_cli_rejects_bad_settings_naming_each(demo_model):
    result = serve_cli(
        "--model-dir", str(demo_model.directory), "--port", "70000", "--host", "localhost", "--backend", "tpu"
    )
    assert result.returncode == 2
    for words in (
        "port: 70000 is not in 0..65535",
        "host: 'localhost' is not an IP address",
        "backend: 'tpu'",
    ):
        assert words in result.stderr


def test_cli_rejects_a_missing_model_dir(tmp_path):
    result = serve_cli("--model-dir", str(tmp_path / "nope"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def port_in_use_error(port: int) -> str:
    return (
        f"Error: cannot listen on 127.0.0.1:{port}: address already in use by another process; "
        "stop it or pick another --port"
    )


def test_a_second_server_on_a_port_a_server_holds_is_refused_and_takes_no_traffic(demo_model, tmp_path):
    with start_server(demo_model.directory, port=0, workers=2, log_path=tmp_path / "server.log") as first:
        # Before the fix the second server joined the first one's SO_REUSEPORT group and ran (here: timed out).
        second = serve_cli(
            "--model-dir", str(demo_model.directory), "--port", str(first.port), "--workers", "1", timeout=30
        )
        assert second.returncode == 2
        assert second.stderr.splitlines() == [port_in_use_error(first.port)]
        assert [request(first, "GET", "/ping")[0] for _ in range(20)] == [200] * 20


@pytest.mark.parametrize("reuse_port", [False, True], ids=["plain-socket", "SO_REUSEPORT-socket"])
def test_a_port_another_program_holds_is_one_line_and_exit_2(demo_model, reuse_port):
    with socket.socket() as holder:
        if reuse_port:  # e.g. another server started with reuse_port: joining it would split its traffic
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = serve_cli("--model-dir", str(demo_model.directory), "--port", str(port), timeout=30)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [port_in_use_error(port)]  # one line, no traceback


def worker_pids(supervisor_pid: int) -> set[int]:
    pids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == supervisor_pid:
                        pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_crashed_worker_is_replaced_and_ping_recovers(demo_model, tmp_path):
    with start_server(demo_model.directory, port=0, workers=2, log_path=tmp_path / "server.log") as server:
        before = worker_pids(server.process.pid)
        assert len(before) == 2
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(worker_pids(server.process.pid) - {victim}) == 2)
        wait_for(lambda: request(server, "GET", "/ping")[0] == 200)
        assert request(server, "GET", "/invocations")[0] == 405  # both workers answer again
    assert "worker exited unexpectedly; restarting it" in server.log_tail()


def test_an_address_this_host_does_not_have_is_one_line_and_exit_2(demo_model):
    result = serve_cli(
        "--model-dir", str(demo_model.directory), "--host", "192.0.2.1", timeout=30
    )  # TEST-NET-1
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Error: cannot listen on 192.0.2.1:8080: cannot assign requested address"
    ]
