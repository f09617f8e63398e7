"""The error a component raises when its args are invalid: every problem at once, each with its field path."""

from __future__ import annotations

import pulumi

from modelyard.catalog.errors import InputError


class ComponentArgsError(InputError, pulumi.RunError, ValueError):
    """Invalid component args, raised before the component registers anything.

    A `pulumi.RunError`, so `pulumi up` prints the message without a stack trace.
    """

    def __init__(self, component: str, name: str, problems: list[str]):
        self.component = component
        self.name = name
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid args for {component} {name!r}:\n{lines}")


def raise_for_problems(component: str, name: str, problems: list[str]) -> None:
    """Raise ComponentArgsError when `problems` is not empty."""
    if problems:
        raise ComponentArgsError(component, name, problems)
