"""One worker process: listen at once, load the model on a thread (answering 503 meanwhile), serve, drain."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from time import perf_counter

import numpy as np
import uvloop

from .app import InferenceApp
from .backend import Backend, load_backend
from .batching import MicroBatcher
from .http_protocol import HttpConnection
from .logs import configure_logging
from .metrics import MetricsBoard, WorkerMetrics
from .settings import ServerSettings

log = logging.getLogger("modelyard.serving")

SWEEP_INTERVAL_S = 1.0  # how often idle and stalled connections are looked for
DRAIN_POLL_S = 0.01  # how often connections are checked while draining
# While draining, the keep-alive timeout shrinks to this: a client that has just had a response may already
# have sent its next request (it is answered, with Connection: close); one idle for longer is closed at once.
DRAIN_KEEP_ALIVE_S = 1.0


class Worker:
    """Serves one listening socket with the model from `load`, until request_stop() and the drain finish."""

    def __init__(
        self,
        settings: ServerSettings,
        index: int,
        listener: socket.socket,
        board: MetricsBoard,
        load: Callable[[], Backend],
    ) -> None:
        self._settings = settings
        self._index = index
        self._listener = listener
        self._board = board
        self._load = load
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connections: set[HttpConnection] = set()

    def request_stop(self) -> None:
        """Begin a graceful stop; safe to call from any thread or a signal handler."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def serve(self) -> None:
        """Run until request_stop(), then let in-flight requests finish (up to the shutdown timeout)."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        settings = self._settings
        metrics = self._board.worker(self._index)
        app = InferenceApp(self._board, metrics)
        server = await self._loop.create_server(
            lambda: HttpConnection(
                app, metrics, self._connections, settings.max_payload_bytes, settings.access_log
            ),
            sock=self._listener,
        )
        threading.Thread(
            target=self._load_model, args=(app, metrics), name="model-loader", daemon=True
        ).start()
        sweeper = self._loop.create_task(self._sweep())
        try:
            await self._stop.wait()
        finally:
            sweeper.cancel()
            server.close()  # stop accepting; connections already accepted are drained below
            await self._drain()

    def _load_model(self, app: InferenceApp, metrics: WorkerMetrics) -> None:
        started = perf_counter()
        try:
            backend = self._load()
        except Exception as error:  # whatever went wrong, the worker stays up and /ping says 503
            log.error("model failed to load", extra={"error": f"{type(error).__name__}: {error}"})
            self._loop.call_soon_threadsafe(app.model_failed, f"{type(error).__name__}: {error}")
            return
        batcher = MicroBatcher(
            backend, metrics, self._loop, self._settings.max_batch_rows, self._settings.batch_wait_us / 1e6
        )
        log.info(
            "model loaded",
            extra={"seconds": round(perf_counter() - started, 3), "backend": backend.description},
        )
        self._loop.call_soon_threadsafe(app.model_loaded, backend, batcher)

    async def _sweep(self) -> None:
        settings = self._settings
        parent = os.getppid()
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            if os.getppid() != parent:  # the supervisor was killed outright: do not linger as an orphan
                log.error("supervisor gone; stopping")
                self._stop.set()
            self._enforce_timeouts(settings.keep_alive_timeout_s)

    def _enforce_timeouts(self, keep_alive_timeout_s: float) -> None:
        now = perf_counter()
        for connection in list(self._connections):
            connection.enforce_timeouts(now, self._settings.request_timeout_s, keep_alive_timeout_s)

    async def _drain(self) -> None:
        for connection in list(self._connections):
            connection.drain()
        keep_alive_timeout_s = min(DRAIN_KEEP_ALIVE_S, self._settings.keep_alive_timeout_s)
        deadline = perf_counter() + self._settings.shutdown_timeout_s
        while self._connections and perf_counter() < deadline:
            await asyncio.sleep(DRAIN_POLL_S)  # first, requests already sent are read (and so answered)
            self._enforce_timeouts(keep_alive_timeout_s)
        if self._connections:
            log.warning(
                "shutdown timeout: closing connections still open (requests in flight or clients yet to close)",
                extra={"connections": len(self._connections)},
            )


def run_worker_process(
    settings: ServerSettings,
    index: int,
    listener: socket.socket,
    not_ours: list[socket.socket],
    board: MetricsBoard,
    threads: int,
) -> None:
    """Entry point of a forked worker: its own socket (opened by the supervisor), event loop (uvloop), signals
    and model session. `not_ours`: the supervisor's other sockets, inherited by the fork and closed here, so
    that a socket lives no longer than its own worker and the supervisor."""
    # Until our handlers are installed, the supervisor's inherited ones must not run here.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sock in not_ours:
        sock.close()
    configure_logging(settings.log_level, worker=index)
    # Values beyond float32 turn into inf when rows are converted and are then rejected by name
    # (codecs._check_finite); numpy's RuntimeWarning for each would only be noise in the logs.
    np.seterr(over="ignore")
    port = listener.getsockname()[1]
    worker = Worker(
        settings,
        index,
        listener,
        board,
        lambda: load_backend(settings.model_dir, settings.backend, threads, settings.max_batch_rows),
    )
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)
    log.info("worker listening", extra={"host": settings.host, "port": port, "ort_threads": threads})
    try:
        loop.run_until_complete(worker.serve())
    finally:
        loop.close()
    log.info("worker stopped")
