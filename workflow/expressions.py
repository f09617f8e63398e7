"""SageMaker Pipelines' expression language (Get, Std:Join, Std:JsonGet): built by the compiler, evaluated locally."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from modelyard.catalog.errors import InputError

Expression = Any
"""A literal or one of the expression dicts below (JSON-serialisable)."""

# `Steps.Train.ModelArtifacts.S3ModelArtifacts`, `Outputs['result']`, `reasons[0]`
_PATH_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[(\d+)\]")


class ExpressionError(InputError, ValueError):
    """An expression is malformed or refers to something that does not exist; the message names it."""


def get(path: str) -> dict[str, str]:
    """`{"Get": path}`: a parameter (`Parameters.X`), execution variable or step property."""
    return {"Get": path}


def parameter(name: str) -> dict[str, str]:
    """A reference to the pipeline parameter `name`."""
    return get(f"Parameters.{name}")


def execution_id() -> dict[str, str]:
    """The running execution's id (unique per execution, usable in S3 keys and job names)."""
    return get("Execution.PipelineExecutionId")


def join(values: list[Expression], on: str = "") -> dict[str, Any]:
    """`Std:Join`: the string values joined with `on`; also how a non-string parameter becomes a string."""
    return {"Std:Join": {"On": on, "Values": list(values)}}


def json_get(step_name: str, property_file: str, json_path: str) -> dict[str, Any]:
    """`Std:JsonGet`: a value read from a step's property file (a JSON file among its outputs)."""
    return {
        "Std:JsonGet": {
            "PropertyFile": get(f"Steps.{step_name}.PropertyFiles.{property_file}"),
            "Path": json_path,
        }
    }


def split_path(path: str) -> list[str | int]:
    """`a.b['c'][0]` -> `['a', 'b', 'c', 0]`; raises ExpressionError on anything else."""
    tokens: list[str | int] = []
    position = 0
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot parse path {path!r} at character {position}")
        name, quoted, index = match.groups()
        tokens.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return tokens


def walk(document: Any, path: str, what: str) -> Any:
    """The value at `path` inside `document` (dicts and lists); `what` names the document in errors."""
    value = document
    for token in split_path(path):
        if isinstance(token, int) and isinstance(value, list) and -len(value) <= token < len(value):
            value = value[token]
        elif isinstance(token, str) and isinstance(value, Mapping) and token in value:
            value = value[token]
        elif isinstance(token, str) and isinstance(value, list) and _named(value, token) is not None:
            # SageMaker's named lists (ProcessingOutputConfig.Outputs, ...) take `['name']` as well as `[0]`.
            value = _named(value, token)
        else:
            raise ExpressionError(f"{what} has no value at {path!r} (stopped at {token!r})")
    return value


def _named(items: list[Any], name: str) -> Any:
    return next(
        (
            item
            for item in items
            if isinstance(item, Mapping) and any(item.get(key) == name for key in _LIST_ITEM_NAMES)
        ),
        None,
    )


_LIST_ITEM_NAMES = ("OutputName", "InputName", "ChannelName")


def referenced_steps(expression: Expression) -> set[str]:
    """Names of the steps an expression (or a whole step's arguments) reads from."""
    found: set[str] = set()
    if isinstance(expression, Mapping):
        target = expression.get("Get")
        if len(expression) == 1 and isinstance(target, str) and target.startswith("Steps."):
            found.add(split_path(target)[1])
        for value in expression.values():
            found |= referenced_steps(value)
    elif isinstance(expression, list):
        for value in expression:
            found |= referenced_steps(value)
    return found


def as_text(value: Any) -> str:
    """How a resolved value appears inside a string (Std:Join, container arguments)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    """Evaluates expressions against one execution: its parameters, variables and finished steps."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        execution_variables: Mapping[str, Any],
        step_properties: Callable[[str], Mapping[str, Any]],
        property_file: Callable[[str, str], Any],
    ):
        self._parameters = parameters
        self._variables = execution_variables
        self._step_properties = step_properties
        self._property_file = property_file

    def resolve(self, expression: Expression) -> Any:
        """Replace every expression inside `expression` by its value (literals pass through)."""
        if isinstance(expression, list):
            return [self.resolve(item) for item in expression]
        if not isinstance(expression, Mapping):
            return expression
        if set(expression) == {"Get"}:
            return self._get(expression["Get"])
        if set(expression) == {"Std:Join"}:
            arguments = expression["Std:Join"]
            values = self.resolve(arguments.get("Values", []))
            return arguments.get("On", "").join(as_text(value) for value in values)
        if set(expression) == {"Std:JsonGet"}:
            arguments = expression["Std:JsonGet"]
            source = arguments.get("PropertyFile", {}).get("Get", "")
            tokens = split_path(source) if source else []
            if len(tokens) != 4 or tokens[0] != "Steps" or tokens[2] != "PropertyFiles":
                raise ExpressionError(
                    f"Std:JsonGet needs PropertyFile {{'Get': 'Steps.<step>.PropertyFiles.<name>'}}, "
                    f"got {arguments.get('PropertyFile')!r}"
                )
            step_name, file_name = str(tokens[1]), str(tokens[3])
            document = self._property_file(step_name, file_name)
            return walk(document, arguments["Path"], f"property file {file_name} of step {step_name}")
        return {key: self.resolve(value) for key, value in expression.items()}

    def _get(self, path: str) -> Any:
        tokens = split_path(path)
        head = tokens[0] if tokens else None
        if head == "Parameters" and len(tokens) == 2:
            if tokens[1] not in self._parameters:
                raise ExpressionError(f"{path}: no such pipeline parameter")
            return self._parameters[tokens[1]]
        if head == "Execution" and len(tokens) == 2:
            if tokens[1] not in self._variables:
                raise ExpressionError(
                    f"{path}: unknown execution variable (known: {', '.join(sorted(self._variables))})"
                )
            return self._variables[tokens[1]]
        if head == "Steps" and len(tokens) >= 3:
            step_name = str(tokens[1])
            rest = path[len(f"Steps.{step_name}") :].lstrip(".")
            return walk(self._step_properties(step_name), rest, f"step {step_name}")
        raise ExpressionError(f"cannot resolve {{'Get': {path!r}}}")
