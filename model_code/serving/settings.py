"""Every tunable of the inference server in one validated, immutable object."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

BACKENDS = ("auto", "onnxruntime-cpu", "onnxruntime-cuda", "torch-cuda")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class ServerSettings:
    """How to serve one model directory; invalid combinations fail at construction, all at once."""

    model_dir: Path
    """Folder holding model.onnx (and optionally model.pt, model_card.json). Required."""
    host: str = "127.0.0.1"
    """Address to bind. Default 127.0.0.1; the container entry passes 0.0.0.0."""
    port: int = 8080
    """TCP port (SageMaker's is 8080). 0 picks a free port (see port_file). Default 8080."""
    workers: int | None = None
    """Worker processes. Default None: one per usable CPU core (affinity and cgroup quota)."""
    max_payload_bytes: int = 6 * 1024 * 1024
    """Largest request body accepted; larger gets 413. Default 6 MiB (SageMaker's real-time limit)."""
    max_batch_rows: int = 256
    """Most rows one model call takes when requests are micro-batched. Default 256."""
    batch_wait_us: int = 0
    """How long a worker under load waits for more requests before running a batch. Default 0:
    only requests that arrived in the same event-loop pass are batched, so an idle server adds no delay."""
    backend: str = "auto"
    """One of BACKENDS. Default auto: torch-cuda (model.pt + GPU), else onnxruntime-cuda, else -cpu."""
    keep_alive_timeout_s: float = 60.0
    """Idle keep-alive connections are closed after this long. Default 60 s."""
    request_timeout_s: float = 60.0
    """A request still incomplete after this long is answered 408 and closed. Default 60 s."""
    shutdown_timeout_s: float = 30.0
    """On SIGTERM, in-flight requests get this long to finish before workers exit. Default 30 s."""
    access_log: bool = False
    """Log one JSON line per request. Default False (it costs more than the model call)."""
    log_level: str = "info"
    """One of LOG_LEVELS. Default info."""
    port_file: Path | None = None
    """If set, the bound port is written here once listening (useful with port 0). Default None."""

    def __post_init__(self) -> None:
        problems = []
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            problems.append(f"host: {self.host!r} is not an IP address")
        if not 0 <= self.port <= 65535:
            problems.append(f"port: {self.port} is not in 0..65535")
        if self.workers is not None and self.workers < 1:
            problems.append(f"workers: {self.workers} must be at least 1")
        if self.max_payload_bytes < 1:
            problems.append(f"max_payload_bytes: {self.max_payload_bytes} must be at least 1")
        if self.max_batch_rows < 1:
            problems.append(f"max_batch_rows: {self.max_batch_rows} must be at least 1")
        if self.batch_wait_us < 0:
            problems.append(f"batch_wait_us: {self.batch_wait_us} must not be negative")
        if self.backend not in BACKENDS:
            problems.append(f"backend: {self.backend!r} is not one of {', '.join(BACKENDS)}")
        for name in ("keep_alive_timeout_s", "request_timeout_s", "shutdown_timeout_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name}: {getattr(self, name)} must be positive")
        if self.log_level not in LOG_LEVELS:
            problems.append(f"log_level: {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        if problems:
            raise ValueError("invalid server settings:\n  " + "\n  ".join(problems))
