"""What a running plan is doing, on stderr: its steps, and resources registered so far (live on a terminal)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from modelyard.planning.recorder import RecordedResource


class PlanProgress:
    """Reports plan progress to `console` (stderr: `--json` output on stdout stays clean).

    On a terminal a status line counts registrations as they happen; elsewhere (CI logs) only the steps and
    the final count are printed, one line each.
    """

    def __init__(self, console: Console):
        self.console = console
        self.count = 0
        self._lock = threading.Lock()
        self._status: Status | None = None
        self._started = 0.0

    def __enter__(self) -> PlanProgress:
        self._started = time.perf_counter()
        if self.console.is_terminal:
            self._status = self.console.status("planning: starting")
            self._status.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._status is not None:
            self._status.stop()
        self.say(f"registered {self.count} resources in {time.perf_counter() - self._started:.1f} s")

    def say(self, message: str) -> None:
        self.console.print(f"[dim]plan:[/dim] {escape(message)}", highlight=False, soft_wrap=True)

    def registered(self, resource: RecordedResource) -> None:
        with self._lock:
            self.count += 1
            count = self.count
        if self._status is not None:
            self._status.update(
                f"planning: {count} resources registered (last: {escape(resource.type)} {escape(resource.name)})"
            )
