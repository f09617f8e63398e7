"""Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelyard.catalog.errors import InputError

# What a `secure:` value becomes offline: the plan cannot decrypt it, and never shows it.
OFFLINE_SECRET_VALUE = "offline-plan-secret"
# A program folder without a Pulumi.yaml above it (e.g. the installed package's stacks/) belongs to this project.
DEFAULT_PROJECT = "modelyard"


class StackFileError(InputError):
    """A project or stack file is missing or malformed."""


@dataclass(frozen=True)
class StackConfigFile:
    """Flat config as the language host receives it: `{"ns:key": "string or JSON"}` plus secret keys.

    `path` is the stack file read, or None when the stack has none (then `pulumi preview` runs with the
    project's config alone, and so does the plan).
    """

    path: Path | None
    values: dict[str, str]
    secret_keys: list[str]


@dataclass(frozen=True)
class Project:
    """A Pulumi project as the CLI resolves it for a program folder."""

    name: str
    project_file: Path | None
    config_dir: Path
    # The folder or .py file the language host runs: Pulumi.yaml's `main:`, else the project folder.
    main: Path
    # Project-level config (Pulumi.yaml `config:`), already flattened to `ns:key` -> wire string.
    config: dict[str, str] = field(default_factory=dict)


def find_project(program_dir: Path) -> Project:
    """The project a program folder belongs to: the nearest Pulumi.yaml at or above it.

    A folder holding Pulumi.yaml runs its `main:` (as `pulumi preview` does); a folder below the project file
    (e.g. `stacks/` under a root whose Pulumi.yaml says `main: stacks/`) runs itself.
    """
    program_dir = program_dir.resolve()
    for folder in [program_dir, *program_dir.parents]:
        project_file = folder / "Pulumi.yaml"
        if project_file.is_file():
            document = _load_yaml(project_file)
            name = document.get("name")
            if not isinstance(name, str) or not name:
                raise StackFileError(f"{project_file}: `name` is missing")
            config_dir = folder / document["stackConfigDir"] if "stackConfigDir" in document else folder
            main = program_dir
            if folder == program_dir and document.get("main"):
                main = (folder / str(document["main"])).resolve()
                if not main.exists():
                    raise StackFileError(
                        f"{project_file}: `main: {document['main']}` does not exist ({main})"
                    )
            return Project(
                name, project_file, config_dir, main, _project_config(project_file, document, name)
            )
    return Project(DEFAULT_PROJECT, None, program_dir, program_dir)


def stack_config(project: Project, stack: str, config_file: Path | None = None) -> StackConfigFile:
    """Config for `stack`: the project's config overlaid by Pulumi.<stack>.yaml (or `config_file`).

    An explicit `config_file` must exist; a missing Pulumi.<stack>.yaml means an empty stack config, as for
    a new stack under `pulumi preview`.
    """
    path = config_file or project.config_dir / f"Pulumi.{stack}.yaml"
    if config_file is None and not path.is_file():
        return StackConfigFile(path=None, values=dict(project.config), secret_keys=[])
    stack_file = read_stack_file(path, project.name)
    return StackConfigFile(path, {**project.config, **stack_file.values}, stack_file.secret_keys)


def read_stack_file(path: Path, project: str) -> StackConfigFile:
    """Load a Pulumi.<stack>.yaml; keys without a namespace belong to the project, as in the CLI."""
    if not path.is_file():
        raise StackFileError(f"stack config file not found: {path}")
    document = _load_yaml(path)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full_key = _full_key(key, project)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = OFFLINE_SECRET_VALUE
            secret_keys.append(full_key)
        else:
            values[full_key] = _wire_value(value)
    return StackConfigFile(path=path, values=values, secret_keys=secret_keys)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML says keys are unique; PyYAML keeps the last,
    so a repeated `modelyard:network` silently drops the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _project_config(path: Path, document: dict[str, Any], project: str) -> dict[str, str]:
    """Pulumi.yaml `config:` values: `key: value`, `key: {value: ...}` or `key: {type: ..., default: ...}`
    (https://www.pulumi.com/docs/iac/concepts/config/#project-level-configuration)."""
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config` must be a mapping")
    values = {}
    for key, declaration in config.items():
        if isinstance(declaration, dict) and (
            {"value", "default", "type", "description", "secret", "items"} & declaration.keys()
        ):
            if "value" in declaration:
                values[_full_key(key, project)] = _wire_value(declaration["value"])
            elif "default" in declaration:
                values[_full_key(key, project)] = _wire_value(declaration["default"])
        else:
            values[_full_key(key, project)] = _wire_value(declaration)
    return values


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _wire_value(value: Any) -> str:
    """A config value as the language host receives it: strings as-is, structures as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return document
