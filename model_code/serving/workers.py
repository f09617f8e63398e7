"""The supervisor: forks one worker per core, restarts any that die, and on SIGTERM drains them all.

It opens each worker's listening socket before forking it and keeps a reference, so that on SIGTERM it stops
every listener at once, before any worker starts draining: a client told `Connection: close` by one worker
can no longer reach a worker that has not yet had its signal."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from .cpu_count import usable_cpu_count
from .listen_socket import open_listener, reserve_port
from .logs import configure_logging
from .metrics import MetricsBoard
from .settings import ServerSettings
from .worker import run_worker_process

log = logging.getLogger("modelyard.serving")

RESTART_BACKOFF_S = 1.0  # a worker that dies this soon after starting is restarted no faster than this
KILL_GRACE_S = 5.0  # beyond the workers' own shutdown timeout, before they are killed


def run_server(settings: ServerSettings) -> int:
    """Serve until SIGTERM/SIGINT; returns the process exit code (0 after a clean drain)."""
    configure_logging(settings.log_level, role="supervisor")
    cores = usable_cpu_count()
    workers = settings.workers or cores
    # Workers already split the cores between them; more intra-op threads would only contend.
    threads = max(1, cores // workers)
    reservation = reserve_port(settings.host, settings.port)
    port = reservation.getsockname()[1]
    board = MetricsBoard(workers)
    context = multiprocessing.get_context("fork")  # workers inherit the shared metrics map
    supervisor_pid = os.getpid()
    stopping = False
    running: dict[int, BaseProcess] = {}
    listeners: dict[int, socket.socket] = {}  # each worker's, while it runs
    told_to_stop: set[int] = set()  # pids already sent SIGTERM

    def start(index: int) -> BaseProcess:
        board.reset_state(index)
        listener = listeners[index] = open_listener(settings.host, port)
        others = [reservation, *(sock for i, sock in listeners.items() if i != index)]
        process = context.Process(
            target=run_worker_process,
            args=(settings, index, listener, others, board, threads),
            name=f"modelyard-serve-worker-{index}",
        )
        process.start()
        return process

    def stop_listening() -> None:
        # shutdown() acts on the socket that the worker shares, not just our descriptor: Linux takes a
        # listening socket out of LISTEN on SHUT_RD, so new connections are refused from here on. Until the
        # worker closes its server on the SIGTERM that follows, its loop sees a few failed accepts (measured:
        # ~35 calls), nothing more.
        for listener in listeners.values():
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RD)

    def stop_workers() -> None:
        for process in list(running.values()):
            if process.pid is not None and process.pid not in told_to_stop and process.is_alive():
                told_to_stop.add(process.pid)
                os.kill(process.pid, signal.SIGTERM)

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if os.getpid() != supervisor_pid:
            return  # a freshly forked worker that has not installed its own handlers yet
        if not stopping:
            log.info("stopping: draining workers", extra={"signal": signal.Signals(signum).name})
        stopping = True
        stop_listening()
        stop_workers()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "server starting",
        extra={
            "host": settings.host,
            "port": port,
            "workers": workers,
            "usable_cores": cores,
            "model_dir": str(settings.model_dir),
        },
    )
    started_at = {}
    for index in range(workers):
        running[index] = start(index)
        started_at[index] = time.monotonic()
    if settings.port_file is not None:
        # Written whole, then renamed, so a reader never sees a partly written number.
        partial = settings.port_file.with_name(settings.port_file.name + ".partial")
        partial.write_text(str(port))
        partial.replace(settings.port_file)
    stop_deadline: float | None = None
    while running:
        if stopping:
            stop_listening()  # also the sockets of workers started after the signal arrived
            stop_workers()
            if stop_deadline is None:
                stop_deadline = time.monotonic() + settings.shutdown_timeout_s + KILL_GRACE_S
        wait([process.sentinel for process in running.values()], timeout=0.5)
        for index, process in list(running.items()):
            if process.is_alive():
                if stop_deadline is not None and time.monotonic() > stop_deadline:
                    log.error("worker did not stop in time; killing it", extra={"worker": index})
                    process.kill()
                continue
            process.join()
            del running[index]
            listeners.pop(index).close()  # a dead worker's socket must leave the port's group at once
            if stopping:
                continue
            log.error(
                "worker exited unexpectedly; restarting it",
                extra={"worker": index, "exitcode": process.exitcode},
            )
            time.sleep(max(0.0, RESTART_BACKOFF_S - (time.monotonic() - started_at[index])))
            if not stopping:
                running[index] = start(index)
                started_at[index] = time.monotonic()
    reservation.close()
    log.info("server stopped")
    return 0
