"""Prometheus metrics shared by all worker processes: each writes its own slot of one shared memory map."""

from __future__ import annotations

import mmap
from bisect import bisect_left

import numpy as np

from .errors import ErrorCode

ROUTES = ("/invocations", "/ping", "/metrics", "other")
STATUSES = tuple(sorted({200} | {code.status for code in ErrorCode}))
ERROR_CODES = tuple(ErrorCode)
LATENCY_BUCKETS_S = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
BATCH_BUCKETS_ROWS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384)

LOADING, READY, FAILED = 0.0, 1.0, 2.0

# Slot layout, in float64 cells (exact for counts below 2**53).
_STATE = 0
_REQUESTS = _STATE + 1
_ERRORS = _REQUESTS + len(ROUTES) * len(STATUSES)
_LATENCY = _ERRORS + len(ERROR_CODES)  # one cell per bucket, +Inf, then sum, then count
_BATCH = _LATENCY + len(LATENCY_BUCKETS_S) + 3
_SLOT_CELLS = _BATCH + len(BATCH_BUCKETS_ROWS) + 3
_STATUS_INDEX = {status: index for index, status in enumerate(STATUSES)}
_ERROR_INDEX = {code: _ERRORS + index for index, code in enumerate(ERROR_CODES)}


class MetricsBoard:
    """Counters of every worker in an anonymous shared mapping, created before the workers fork."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._memory = mmap.mmap(-1, workers * _SLOT_CELLS * 8)
        self._cells = np.ndarray((workers, _SLOT_CELLS), dtype=np.float64, buffer=self._memory)

    def worker(self, index: int) -> WorkerMetrics:
        """The writer for one worker's slot."""
        return WorkerMetrics(
            memoryview(self._memory).cast("d")[index * _SLOT_CELLS : (index + 1) * _SLOT_CELLS]
        )

    def all_ready(self) -> bool:
        """True only when every worker has loaded the model."""
        return bool((self._cells[:, _STATE] == READY).all())

    def reset_state(self, index: int) -> None:
        """Mark a (re)starting worker as loading; its counters stay, since counters never go back."""
        self._cells[index, _STATE] = LOADING

    def render(self) -> bytes:
        """All workers' metrics, summed, in the Prometheus text exposition format (version 0.0.4)."""
        totals = self._cells.sum(axis=0)
        lines = [
            "# HELP modelyard_requests_total HTTP requests answered, by route and status.",
            "# TYPE modelyard_requests_total counter",
        ]
        for route_index, route in enumerate(ROUTES):
            for status_index, status in enumerate(STATUSES):
                count = totals[_REQUESTS + route_index * len(STATUSES) + status_index]
                if count:
                    lines.append(f'modelyard_requests_total{{route="{route}",status="{status}"}} {count:.0f}')
        lines += [
            "# HELP modelyard_request_errors_total Requests answered with an error, by error code.",
            "# TYPE modelyard_request_errors_total counter",
        ]
        for code, cell in _ERROR_INDEX.items():
            lines.append(f'modelyard_request_errors_total{{code="{code.code}"}} {totals[cell]:.0f}')
        lines += _histogram(
            "modelyard_request_duration_seconds",
            "Time from request headers to response, /invocations only.",
            LATENCY_BUCKETS_S,
            totals[_LATENCY:_BATCH],
        )
        lines += _histogram(
            "modelyard_batch_rows",
            "Rows per model call (micro-batches).",
            BATCH_BUCKETS_ROWS,
            totals[_BATCH:],
        )
        lines += [
            "# HELP modelyard_worker_model_state Model state per worker: 0 loading, 1 loaded, 2 failed.",
            "# TYPE modelyard_worker_model_state gauge",
        ]
        for index in range(self.workers):
            lines.append(f'modelyard_worker_model_state{{worker="{index}"}} {self._cells[index, _STATE]:.0f}')
        return ("\n".join(lines) + "\n").encode()


class WorkerMetrics:
    """One worker's counters; plain memoryview arithmetic keeps each update to tens of nanoseconds."""

    __slots__ = ("_cells",)

    def __init__(self, cells: memoryview) -> None:
        self._cells = cells

    def set_state(self, state: float) -> None:
        """Record LOADING, READY or FAILED for this worker."""
        self._cells[_STATE] = state

    def observe_request(self, route_index: int, status: int, seconds: float) -> None:
        """Count one answered request; /invocations (route 0) also feeds the latency histogram."""
        cells = self._cells
        cells[_REQUESTS + route_index * len(STATUSES) + _STATUS_INDEX[status]] += 1
        if route_index == 0:
            cells[_LATENCY + bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
            cells[_BATCH - 2] += seconds
            cells[_BATCH - 1] += 1

    def observe_error(self, code: ErrorCode) -> None:
        """Count one error answer by its code."""
        self._cells[_ERROR_INDEX[code]] += 1

    def observe_batch(self, rows: int) -> None:
        """Count one model call of `rows` rows."""
        cells = self._cells
        cells[_BATCH + bisect_left(BATCH_BUCKETS_ROWS, rows)] += 1
        cells[_SLOT_CELLS - 2] += rows
        cells[_SLOT_CELLS - 1] += 1


def _histogram(name: str, help_text: str, bounds: tuple, cells: np.ndarray) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    cumulative = np.cumsum(cells[: len(bounds) + 1])
    for bound, count in zip((*map(repr, bounds), "+Inf"), cumulative):
        lines.append(f'{name}_bucket{{le="{bound}"}} {count:.0f}')
    lines.append(f"{name}_sum {float(cells[len(bounds) + 1])!r}")
    lines.append(f"{name}_count {cells[len(bounds) + 2]:.0f}")
    return lines
