"""Runs a Pulumi Python program in-process under Pulumi's mocks, as `pulumi preview` would, and returns what it
would create."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource as sdk_resource
from pulumi import _types as sdk_types
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_in_stack

import modelyard.stacks
from modelyard.catalog.errors import InputError
from modelyard.planning.collector import collector_paused
from modelyard.planning.inline_calls import inline_monitor_calls
from modelyard.planning.invokes import InvokeError
from modelyard.planning.mocks import PlanMocks
from modelyard.planning.recorder import RecordedResource, RecordingMonitor, plain
from modelyard.stacks.stack_files import find_project, stack_config

# Modelyard's own program, found from the package (a checkout's stacks/ or an installed wheel's modelyard/stacks/).
DEFAULT_PROGRAM_DIR = Path(modelyard.stacks.__file__).resolve().parent
# Where the AWS provider takes its region from when the stack config sets none, in its order
# (https://www.pulumi.com/registry/packages/aws/installation-configuration/); the last resort is the plan's own.
REGION_ENVIRONMENT = ("AWS_REGION", "AWS_DEFAULT_REGION")
FALLBACK_REGION = "us-east-1"
_NO_ROOT_YET = object()


class ProgramError(InputError):
    """The program failed (bad config, a raised error, a failed invoke): nothing it registered counts."""

    def __init__(self, message: str, registered: list[RecordedResource] | None = None):
        super().__init__(message)
        self.registered = registered or []


@dataclass
class Plan:
    """What a program would create for one stack, and what the stack would export."""

    stack: str
    project: str
    region: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    config_values: dict[str, str] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    policy: dict[str, Any] = field(default_factory=lambda: {"violations": [], "rules_evaluated": 0})
    cost: dict[str, Any] = field(default_factory=dict)
    api_validation: dict[str, Any] = field(default_factory=dict)
    # The stack file read, or None when the stack has none (planned with the project's config alone).
    config_file: Path | None = None

    def public_outputs(self) -> dict[str, Any]:
        """Outputs with secret values masked (what a log or a PR comment may show); unknowns as "<unknown>"."""
        return {
            key: "[secret]" if key in self.secret_outputs else plain(value)
            for key, value in self.outputs.items()
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "region": self.region,
            "resources": [resource.to_json() for resource in self.resources],
            "outputs": self.public_outputs(),
            "policy": self.policy,
            "cost": self.cost,
            "api_validation": self.api_validation,
        }


def run_under_mocks(
    program: Callable[[], object],
    *,
    stack: str,
    project: str,
    region: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    invoke_fixtures: dict[str, dict[str, Any]] | None = None,
    on_register: Callable[[RecordedResource], None] | None = None,
) -> tuple[RecordingMonitor, BaseException | None]:
    """Run `program` as the Pulumi language host would for a preview, under the plan's mocks; returns what it
    registered and the error it raised (None when it succeeded).

    It runs in a thread of its own, with a fresh event loop and an empty context, so Pulumi's runtime state
    (root resource, config, settings) never leaks into the caller or into the next run.
    """
    mocks = PlanMocks(stack, region, invoke_fixtures)
    monitor = RecordingMonitor(mocks, on_register)
    failures: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
            # set_mocks registers a root stack of its own unless one is set, and that stack registers empty
            # outputs that race the program's. The language host instead runs the program inside run_in_stack,
            # which registers the one stack and its outputs when the program ends: hold the place, then clear it.
            settings.ROOT.set(_NO_ROOT_YET)
            # A preview: outputs the mocks leave out are unknown and `apply` on them does not run.
            pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
            # The SDK's set of outputs still running is a context variable whose fallback is one process-wide set,
            # and set_mocks (pulumi `runtime/mocks.py` MockSettings) does not replace it: an output that failed in
            # an earlier plan stays there, and this plan's wait would await a task of that plan's closed loop.
            settings.SETTINGS.outputs = set()
            settings.ROOT.set(None)
            with inline_monitor_calls(loop):
                loop.run_until_complete(run_in_stack(lambda: _settled(program)))
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
            failures.append(error)
        finally:
            _close_loop(loop)

    thread = threading.Thread(target=lambda: contextvars.Context().run(run), name=f"modelyard-plan-{stack}")
    with _without_work_the_plan_discards(), collector_paused():
        thread.start()
        thread.join()
    if failures and isinstance(failures[0], KeyboardInterrupt):
        raise failures[0]
    return monitor, failures[0] if failures else None


async def _settled(program: Callable[[], object]) -> None:
    """Run the program, then wait until every output it started has settled, before the SDK's own wait.

    What the SDK does next is unchanged: `run_pulumi_func` (pulumi `runtime/stack.py`) still awaits every RPC and
    every tracked output, and re-raises the first that failed. But its `wait_for_rpcs` waits with
    `asyncio.wait(..., FIRST_COMPLETED)` over the whole set of pending outputs and re-files the unfinished ones,
    one pass per completion: for a synchronous program that registers everything up front, the prod stack's wait
    made 63 passes over ~99,000 pending tasks in all. Waiting for all of them at once takes one pass per wave of
    newly created outputs: for the prod stack one pass, over ~3,900. A failed output stays tracked (pulumi
    `output.py` `_track` leaves it in the set) and is reported by the SDK's wait as before.
    """
    program()
    while True:
        with settings.SETTINGS.lock:
            pending = [output for output in settings.SETTINGS.outputs if not output.done()]
        pending += [call for call in settings._get_rpc_manager().rpcs if not call.done()]  # noqa: SLF001
        if not pending:
            return
        await asyncio.wait(pending)


@contextlib.contextmanager
def _without_work_the_plan_discards() -> Iterator[None]:
    """Skip SDK work per registration that the recorded plan never uses (about 0.5 s of CPU for the prod stack):
    the source position of each resource, taken from a full stack extraction with source lines
    (pulumi `runtime/resource.py` `_get_stack_trace`; an empty trace is what the SDK itself sends when it finds no
    user frame), and the type hints of resource, args and output classes, re-derived at every registration though
    a class's never change (`_types.resource_types`, `_types._types_from_annotations`, both functions of the class
    alone; the SDK already caches their sibling `_raw_return_hints` the same way), and the unwrapping of
    `Output[T]`/`Input[T]`/`Optional[T]` hints that serialization repeats for every property of every value
    (`_types.unwrap_type`, a function of the hint alone)."""
    saved = (
        sdk_resource._get_stack_trace,
        sdk_types.resource_types,
        sdk_types._types_from_annotations,
        sdk_types.unwrap_type,
    )
    sdk_resource._get_stack_trace = source_pb2.StackTrace
    sdk_types.resource_types = functools.cache(saved[1])
    sdk_types._types_from_annotations = functools.cache(saved[2])
    sdk_types.unwrap_type = functools.cache(saved[3])
    try:
        yield
    finally:
        (
            sdk_resource._get_stack_trace,
            sdk_types.resource_types,
            sdk_types._types_from_annotations,
            sdk_types.unwrap_type,
        ) = saved


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a failed program left pending (its other outputs), quietly: the first error is the report."""
    loop.set_exception_handler(lambda _loop, _context: None)
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def plan_program(
    program_dir: Path,
    stack: str,
    config_file: Path | None = None,
    region: str | None = None,
    invoke_fixtures: dict[str, dict[str, Any]] | None = None,
    on_register: Callable[[RecordedResource], None] | None = None,
    on_message: Callable[[str], None] | None = None,
) -> Plan:
    """Run the program in `program_dir` (a project folder, whose Pulumi.yaml `main:` is followed, or the program
    folder itself) for `stack` under mocks, in a fresh Pulumi context.

    `on_register` sees each resource as it is registered and `on_message` what the plan is doing (progress).
    """
    say = on_message or (lambda message: None)
    project = find_project(program_dir)
    main = project.main / "__main__.py" if project.main.is_dir() else project.main
    if not main.is_file():
        raise ProgramError(f"{project.main} has no __main__.py (a Pulumi Python program folder is expected)")
    config = stack_config(project, stack, config_file)
    region = region or config.values.get("aws:region") or _region_from_environment()
    if config.path is None:
        say(
            f"no stack config file {project.config_dir / f'Pulumi.{stack}.yaml'}: planning with the project's "
            "config only, as `pulumi preview` does for a new stack"
        )
    say(f"running {main} for stack {stack} in {region}")
    previous_cwd = os.getcwd()
    os.chdir(main.parent)
    try:
        monitor, failure = run_under_mocks(
            lambda: _run_main(main),
            stack=stack,
            project=project.name,
            region=region,
            config=config.values,
            secret_keys=config.secret_keys,
            invoke_fixtures=invoke_fixtures,
            on_register=on_register,
        )
    finally:
        os.chdir(previous_cwd)
    if failure is not None:
        raise ProgramError(describe_failure(failure, main.parent), monitor.recorded) from failure

    raw_outputs = monitor.stack_outputs
    secret_outputs = {key for key, value in raw_outputs.items() if plain(value) == "[secret]"}
    outputs = {key: _reveal(value) for key, value in raw_outputs.items()}
    return Plan(
        stack=stack,
        project=project.name,
        region=region,
        resources=monitor.recorded,
        outputs=outputs,
        config_values=dict(config.values),
        secret_outputs=secret_outputs,
        config_file=config.path,
    )


def describe_failure(failure: BaseException, program_dir: Path) -> str:
    """What the program's author needs: the exception type and the program's own frame that raised it.

    Errors meant for the user as they are (`pulumi.RunError`, an invoke the plan cannot answer) keep their text.
    """
    if isinstance(failure, (pulumi.RunError, InvokeError)):
        return str(failure).strip() or type(failure).__name__
    if isinstance(failure, SystemExit):
        message = f"the program called sys.exit({failure.code!r})"
    else:
        text = str(failure).strip()
        message = f"{type(failure).__name__}: {text}" if text else type(failure).__name__
    frames = [
        frame
        for frame in traceback.extract_tb(failure.__traceback__)
        if _is_under(frame.filename, program_dir)
    ]
    if frames:
        frame = frames[-1]
        message += f" (at {Path(frame.filename).relative_to(program_dir)}:{frame.lineno})"
    return message


def _is_under(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _region_from_environment() -> str:
    return next((os.environ[name] for name in REGION_ENVIRONMENT if os.environ.get(name)), FALLBACK_REGION)


def _run_main(main: Path) -> None:
    """Run the program's main file as the language host would: a fresh process, whose sibling modules (`iam.py`,
    `utils.py` ...) are the program's own, not a same-named module an earlier plan or a library imported."""
    folder = main.parent
    own_names = {path.stem for path in folder.glob("*.py")} | {
        path.name for path in folder.iterdir() if path.is_dir() and (path / "__init__.py").is_file()
    }
    shadowed = {name: module for name, module in sys.modules.items() if name.split(".")[0] in own_names}
    for name in shadowed:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        runpy.run_path(str(main), run_name="__main__")
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] in own_names]:
            del sys.modules[name]
        sys.modules.update(shadowed)


def _reveal(value: Any) -> Any:
    """Unwrap secrets (for in-process callers that need the values, e.g. the local cloud)."""
    if rpc.is_rpc_secret(value):
        return _reveal(value["value"])
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return plain(value)
