"""Adaptive micro-batching: requests decoded in the same event-loop pass share one model call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np

from .backend import Backend
from .metrics import WorkerMetrics

log = logging.getLogger("modelyard.serving")

# Called with this request's slice of every output, or with the exception the model call raised.
Completion = Callable[[list[np.ndarray] | None, BaseException | None], None]


class MicroBatcher:
    """Queues decoded rows and runs them together once the loop has read every request already waiting.

    With wait_s == 0 a lone request is run on the very next loop pass, so an idle server adds no delay;
    under load, every request that arrived in one pass rides in the same model call.
    """

    def __init__(
        self,
        backend: Backend,
        metrics: WorkerMetrics,
        loop: asyncio.AbstractEventLoop,
        max_rows: int,
        wait_s: float,
    ) -> None:
        self._backend = backend
        self._metrics = metrics
        self._loop = loop
        self._max_rows = max_rows
        self._wait_s = wait_s
        self._pending: list[tuple[np.ndarray, Completion]] = []
        self._pending_rows = 0
        self._scheduled: asyncio.Handle | None = None

    def submit(self, rows: np.ndarray, done: Completion) -> None:
        """Queue rows; `done` is called from the loop once the batch holding them has run."""
        self._pending.append((rows, done))
        self._pending_rows += len(rows)
        if self._pending_rows >= self._max_rows:
            self.run_pending()
        elif self._scheduled is None:
            if self._wait_s:
                self._scheduled = self._loop.call_later(self._wait_s, self.run_pending)
            else:
                self._scheduled = self._loop.call_soon(self.run_pending)

    def run_pending(self) -> None:
        """Run everything queued as one model call and hand each request its slice of the outputs."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        pending, self._pending, self._pending_rows = self._pending, [], 0
        if not pending:
            return
        rows = pending[0][0] if len(pending) == 1 else np.concatenate([item[0] for item in pending])
        try:
            outputs = self._backend.predict(rows)
        except Exception as error:  # the model call failing is a server fault: every request in it gets a 500
            log.exception("model call failed", extra={"rows": len(rows)})
            for _, done in pending:
                done(None, error)
            return
        self._metrics.observe_batch(len(rows))
        if len(pending) == 1:
            pending[0][1](outputs, None)
            return
        start = 0
        for request_rows, done in pending:
            end = start + len(request_rows)
            done([output[start:end] for output in outputs], None)
            start = end
