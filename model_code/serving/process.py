"""Run the server as a subprocess from Python (pipelines, the local cloud, tests): start, wait, stop."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from modelyard.catalog.errors import ModelyardError


class ServerStartError(ModelyardError, RuntimeError):
    """The server exited, or never became ready; the message carries the reason and the log's tail."""


class ServerProcess:
    """A server started by start_server(); also a context manager that stops it on exit."""

    def __init__(self, process: subprocess.Popen, host: str, port: int, log_path: Path) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.log_path = log_path

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8080."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def ping(self) -> tuple[int, dict]:
        """GET /ping: (status, JSON body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            connection.request("GET", "/ping")
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        """Block until /ping answers 200 (every worker loaded); raise ServerStartError on exit or failure."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"server exited with code {self.process.returncode}\n{self.log_tail()}"
                )
            try:
                status, body = self.ping()
            except (OSError, http.client.HTTPException, ValueError):
                status, body = 0, {}
            if status == 200:
                return
            if "failed to load" in body.get("message", ""):
                self.stop()
                raise ServerStartError(f"{body['message']}\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"server not ready after {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM (in-flight requests finish), then SIGKILL after `timeout`; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, characters: int = 4000) -> str:
        """The end of the server's log (JSON lines)."""
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    model_dir: Path,
    port: int = 8080,
    host: str = "127.0.0.1",
    workers: int | None = 1,
    *,
    extra_args: Sequence[str] = (),
    log_path: Path | None = None,
    ready_timeout: float = 60.0,
) -> ServerProcess:
    """Start `python -m modelyard.model_code.serving` and return once /ping says 200.

    workers=None lets the server pick (one per usable core); port=0 picks a free port (read back
    from the server); extra_args are further CLI flags
    (e.g. ["--max-payload-bytes", "100000"]); logs go to log_path (default: a new temporary file).
    """
    scratch = Path(tempfile.mkdtemp(prefix="modelyard-serve-"))
    log_path = log_path or scratch / "server.log"
    port_file = scratch / "port"
    command = [
        sys.executable,
        "-m",
        "modelyard.model_code.serving",
        "--model-dir",
        str(model_dir),
        "--host",
        host,
        "--port",
        str(port),
        "--port-file",
        str(port_file),
        *(["--workers", str(workers)] if workers is not None else []),
        *extra_args,
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = ServerProcess(process, host, port, log_path)
    deadline = time.monotonic() + ready_timeout
    while not port_file.is_file() or not port_file.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise ServerStartError(
                f"server did not start (exit code {process.returncode})\n{server.log_tail()}"
            )
        time.sleep(0.02)
    server.port = int(port_file.read_text())
    server.wait_until_ready(max(1.0, deadline - time.monotonic()))
    return server
