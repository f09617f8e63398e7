"""Runs a Pulumi Python program in-process under Pulumi's mocks and returns what it would create."""

from __future__ import annotations

import asyncio
import contextvars
import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_in_stack

import modelyard.stacks
from modelyard.catalog.errors import InputError
from modelyard.planning.mocks import PlanMocks
from modelyard.planning.recorder import RecordedResource, RecordingMonitor, plain
from modelyard.stacks.stack_files import find_project, read_stack_file

# The shipped program is the `modelyard.stacks` package itself, wherever it is installed (checkout or wheel).
DEFAULT_PROGRAM_DIR = Path(modelyard.stacks.__file__).resolve().parent


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

    def public_outputs(self) -> dict[str, Any]:
        """Outputs with secret values masked (what a log or a PR comment may show)."""
        return {key: "[secret]" if key in self.secret_outputs else value for key, value in self.outputs.items()}

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
) -> tuple[RecordingMonitor, BaseException | None]:
    """Run `program` as the Pulumi language host would, under the plan's mocks; returns what it registered
    and the error it raised (None when it succeeded).

    It runs in a thread of its own, with a fresh event loop and an empty context, so Pulumi's runtime state
    (root resource, config, settings) never leaks into the caller or into the next run.
    """
    monitor = RecordingMonitor(PlanMocks(stack=stack, region=region))
    failures: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
            pulumi.runtime.set_mocks(PlanMocks(stack, region), project=project, stack=stack, preview=False, monitor=monitor)
            # set_mocks registers a root stack of its own; the language host instead runs the program
            # inside run_in_stack, which registers the stack's outputs when the program ends.
            settings.ROOT.set(None)
            loop.run_until_complete(run_in_stack(program))
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
            failures.append(error)
        finally:
            loop.close()

    thread = threading.Thread(target=lambda: contextvars.Context().run(run), name=f"modelyard-plan-{stack}")
    thread.start()
    thread.join()
    if failures and isinstance(failures[0], KeyboardInterrupt):
        raise failures[0]
    return monitor, failures[0] if failures else None


def plan_program(
    program_dir: Path,
    stack: str,
    config_file: Path | None = None,
    region: str | None = None,
) -> Plan:
    """Run the program in `program_dir` for `stack` under mocks, in a fresh Pulumi context."""
    program_dir = program_dir.resolve()
    main = program_dir / "__main__.py"
    if not main.is_file():
        raise ProgramError(f"{program_dir} has no __main__.py (a Pulumi Python program folder is expected)")
    project, _, config_dir = find_project(program_dir)
    config = read_stack_file(config_file or config_dir / f"Pulumi.{stack}.yaml", project)
    region = region or config.values.get("aws:region") or "us-east-1"
    previous_cwd = os.getcwd()
    os.chdir(program_dir)
    try:
        monitor, failure = run_under_mocks(
            lambda: _run_main(main), stack=stack, project=project, region=region,
            config=config.values, secret_keys=config.secret_keys,
        )
    finally:
        os.chdir(previous_cwd)
    if failure is not None:
        raise ProgramError(str(failure).strip() or type(failure).__name__, monitor.recorded) from failure

    raw_outputs = monitor.stack_outputs
    secret_outputs = {key for key, value in raw_outputs.items() if plain(value) == "[secret]"}
    outputs = {key: _reveal(value) for key, value in raw_outputs.items()}
    return Plan(
        stack=stack,
        project=project,
        region=region,
        resources=monitor.recorded,
        outputs=outputs,
        config_values=dict(config.values),
        secret_outputs=secret_outputs,
    )


def _run_main(main: Path) -> None:
    # The program may import sibling modules, as it can under `pulumi up`.
    sys.path.insert(0, str(main.parent))
    try:
        runpy.run_path(str(main), run_name="__main__")
    finally:
        sys.path.remove(str(main.parent))


def _reveal(value: Any) -> Any:
    """Unwrap secrets (for in-process callers that need the values, e.g. the local cloud)."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return _reveal(value["value"])
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return plain(value)
