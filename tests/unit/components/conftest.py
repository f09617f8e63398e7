"""Runs component code under Pulumi's mocks (the plan's realistic AWS answers) and records what it creates."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from modelyard.planning.engine import run_under_mocks
from modelyard.planning.recorder import RecordedResource, plain

# Tags a component test passes wherever a component takes `tags`.
TAGS = {"project": "modelyard", "environment": "test", "owner": "ml-platform", "cost-center": "ml-research"}


@dataclass
class ProgramRun:
    """Every resource a program registered (components included), its exports, and the error it raised."""

    resources: list[RecordedResource]
    outputs: dict[str, Any]
    error: BaseException | None

    def of_type(self, token: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.type == token]

    def one(self, token: str, name: str | None = None) -> RecordedResource:
        """The single resource of `token` (and logical `name`, if given); fails the test otherwise."""
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {token} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> RecordedResource:
        found = [resource for resource in self.resources if resource.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def children_of(self, parent: RecordedResource) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.parent == parent.urn]

    def policy(self, resource: RecordedResource, key: str = "policy") -> dict[str, Any]:
        """A policy input (a JSON string on the wire) parsed; fails the test when it is not valid JSON."""
        value = resource.inputs[key]
        assert isinstance(value, str), f"{resource.name}.{key} is not a JSON string: {value!r}"
        return json.loads(value)

    def statements(self, resource: RecordedResource, key: str = "policy") -> list[dict[str, Any]]:
        """The statements of a policy input, with Action and Resource always lists."""
        document = self.policy(resource, key)
        assert document.get("Version") == "2012-10-17", f"{resource.name}.{key} has no 2012-10-17 Version"
        statements = document["Statement"]
        normalized = []
        for statement in statements if isinstance(statements, list) else [statements]:
            statement = dict(statement)
            for field in ("Action", "Resource"):
                if field in statement and not isinstance(statement[field], list):
                    statement[field] = [statement[field]]
            normalized.append(statement)
        return normalized


def run_program(build: Callable[[], None], stack: str = "unit", region: str = "us-east-1") -> ProgramRun:
    """Run `build` as a Pulumi program the way the offline plan does (no global state leaks between tests)."""
    monitor, error = run_under_mocks(build, stack=stack, project="modelyard", region=region)
    outputs = {key: plain(value) for key, value in monitor.stack_outputs.items()}
    return ProgramRun(resources=monitor.recorded, outputs=outputs, error=error)


@pytest.fixture
def program() -> Callable[..., ProgramRun]:
    """`program(build)` runs `build` under mocks and returns a ProgramRun."""
    return run_program


@pytest.fixture
def tags() -> dict[str, str]:
    """The four required tags, for any component's `tags` arg."""
    return dict(TAGS)
