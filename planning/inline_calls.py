"""The plan's monitor answers on the program's own thread, as a function call, instead of on an executor thread.

The Pulumi SDK sends every call to the resource monitor (register, invoke, read, register outputs) through
`loop.run_in_executor(None, ...)` (pulumi `runtime/resource.py`, `runtime/invoke.py`), because a real monitor is a
gRPC server in another process. The plan's monitor is an object in this process that answers in microseconds: on
executor threads each answer cost two thread switches and a wake-up of the event loop through its self-pipe, about
1,300 context switches for the prod stack, and the registrations reached the monitor in whatever order the threads
ran, so two plans of one program listed their resources in different orders. Answered inline, the registrations
arrive in the order the SDK makes them: a plan lists the same resources in the same order every time.

Two pieces make that work:
- `InlineExecutor`, the loop's default executor: it runs the call at once and returns an asyncio future that is
  already done. `run_in_executor` hands such a future back as it is (asyncio `futures.wrap_future` returns an
  asyncio future unchanged), so the SDK's `await` continues without a turn of the loop.
- `run_to_end`: the mock monitor serializes its answer with the SDK's own `rpc.serialize_properties`, a coroutine
  (pulumi `runtime/mocks.py` drives it with `_sync_await`). For the plain values a mock answers with (strings,
  numbers, lists, dicts, assets: no Output, no Resource, since the plan's monitor takes no resource references)
  that coroutine never waits, so it runs to its end with no event loop at all. Driving it with `_sync_await` on the
  program's thread would instead re-enter the running loop from inside one of its callbacks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pulumi.runtime.mocks as sdk_mocks

T = TypeVar("T")


class CallWouldWait(RuntimeError):
    """A monitor answer tried to wait on something (an Output, a Resource): the plan's mocks answer with plain values,
    so this is a bug in the plan, not in the user's program."""


def run_to_end(awaitable: Awaitable[T]) -> T:
    """The result of a coroutine that completes without ever suspending, run without an event loop."""
    coroutine = awaitable if asyncio.iscoroutine(awaitable) else awaitable.__await__()
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise CallWouldWait(f"{awaitable!r} waited for a value the plan's monitor does not have")


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """An executor (a ThreadPoolExecutor, which `loop.set_default_executor` insists on) that never starts a thread:
    each call runs when it is submitted, on the event loop's thread, and comes back as a done asyncio future."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> asyncio.Future[T]:  # type: ignore[override]
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - the SDK awaits the future and sees the error there
            future.set_exception(error)
        return future


@contextlib.contextmanager
def inline_monitor_calls(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Answer the SDK's monitor calls inline on `loop` while the block runs (the mock monitor's serialization run
    to its end, see the module docstring); the SDK's own `_sync_await` comes back afterwards."""
    loop.set_default_executor(InlineExecutor(max_workers=1))
    saved = sdk_mocks._sync_await
    sdk_mocks._sync_await = run_to_end
    try:
        yield
    finally:
        sdk_mocks._sync_await = saved
