"""Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelyard.catalog.errors import InputError

# What a `secure:` value becomes offline: the plan cannot decrypt it, and never shows it.
OFFLINE_SECRET_VALUE = "offline-plan-secret"


class StackFileError(InputError):
    """A project or stack file is missing or malformed."""


@dataclass(frozen=True)
class StackConfigFile:
    """Flat config as the language host receives it: `{"ns:key": "string or JSON"}` plus secret keys."""

    path: Path
    values: dict[str, str]
    secret_keys: list[str]


def find_project(program_dir: Path) -> tuple[str, Path | None, Path]:
    """Project name, its Pulumi.yaml (if any) and the folder that holds stack files, for a program folder."""
    for folder in [program_dir, *program_dir.parents]:
        project_file = folder / "Pulumi.yaml"
        if project_file.is_file():
            document = _load_yaml(project_file)
            name = document.get("name")
            if not isinstance(name, str) or not name:
                raise StackFileError(f"{project_file}: `name` is missing")
            config_dir = folder / document["stackConfigDir"] if "stackConfigDir" in document else folder
            return name, project_file, config_dir
    return "modelyard", None, program_dir


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
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = OFFLINE_SECRET_VALUE
            secret_keys.append(full_key)
        elif isinstance(value, (dict, list)):
            values[full_key] = json.dumps(value)
        elif isinstance(value, bool):
            values[full_key] = "true" if value else "false"
        else:
            values[full_key] = "" if value is None else str(value)
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
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].line + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return document
