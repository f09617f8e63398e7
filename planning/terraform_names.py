"""Terraform's names for pulumi-aws resources and their properties, and which properties are nested blocks.

pulumi-aws is bridged from the Terraform AWS provider: every resource token names one Terraform resource type
(mechanically `aws:<module>/<camelName>:<Class>` -> `aws_<module>_<snake_name>`, with the exceptions the bridge
records in its bridge-metadata.json, vendored in terraform_renames.json), and every property is the Terraform
attribute in camelCase, with list blocks pluralized (Terraform `rule` -> Pulumi `rules`). Which properties are
blocks comes from the installed pulumi_aws SDK itself: an `@pulumi.input_type` class is a block (a one-element
list in Terraform when Pulumi flattened a MaxItems=1 block), a Mapping is a map.
"""

from __future__ import annotations

import collections.abc
import importlib
import json
import re
import sys
import typing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pulumi import _types as pulumi_types

RENAMES = json.loads(Path(__file__).with_name("terraform_renames.json").read_text())

ShapeKind = Literal["block", "blocks", "map", "value"]


@dataclass(frozen=True)
class PropertyShape:
    """How one Pulumi input property is written in Terraform: a block, a list of blocks, a map or a plain value."""

    kind: ShapeKind
    nested: type | None = None
    """The SDK's input type of a block (its own properties' shapes), None for maps and values."""


def snake_case(name: str) -> str:
    """`kmsMasterKeyId` -> `kms_master_key_id`, `graphQLApi` -> `graph_ql_api`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def terraform_type(token: str) -> str | None:
    """The Terraform resource type of a pulumi-aws token, None for anything that is not an AWS resource."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    if token in RENAMES["resources"]:
        return RENAMES["resources"][token]
    module, camel_name = parts[1].split("/", 1)
    return f"aws_{RENAMES['module_prefixes'].get(module, module)}_{snake_case(camel_name)}"


def property_renames(token: str) -> dict[str, str]:
    """Pulumi property path (dotted through blocks) -> Terraform attribute, where it is not the snake_case."""
    return RENAMES["properties"].get(token, {})


@lru_cache(maxsize=None)
def resource_shapes(token: str) -> dict[str, PropertyShape]:
    """The shape of each input property of a pulumi-aws resource, read from the installed SDK's Args class."""
    args_class = _args_class(token)
    return input_shapes(args_class) if args_class is not None else {}


@lru_cache(maxsize=None)
def input_shapes(input_class: type) -> dict[str, PropertyShape]:
    """The shape of each property of an `@pulumi.input_type` class, keyed by its Pulumi (camelCase) name."""
    try:
        types = pulumi_types.input_type_types(input_class)
    except (NameError, TypeError, AttributeError):
        return {}
    return {name: _shape(annotation) for name, annotation in types.items()}


def _args_class(token: str) -> type | None:
    module_path, class_name = token.split(":")[1], token.split(":")[2]
    module = module_path.split("/")[0]
    python_module = "pulumi_aws" if module == "index" else f"pulumi_aws.{module}"
    try:
        resource_class = getattr(importlib.import_module(python_module), class_name, None)
    except ImportError:
        try:
            resource_class = getattr(
                importlib.import_module(f"{python_module}_"), class_name, None
            )  # lambda_
        except ImportError:
            return None
    if resource_class is None:
        return None
    # The Args class is defined beside the resource; where its name is taken by a nested block type of another
    # resource (imported there from _inputs), the SDK calls it `<Class>InitArgs`.
    module_namespace = sys.modules[resource_class.__module__]
    for name in (f"{class_name}InitArgs", f"{class_name}Args"):
        candidate = getattr(module_namespace, name, None)
        if candidate is not None and candidate.__module__ == resource_class.__module__:
            return candidate
    return None


def _shape(annotation: Any) -> PropertyShape:
    annotation = _strip_input(annotation)
    if pulumi_types.is_input_type(annotation):
        return PropertyShape("block", annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, collections.abc.Sequence):
        element = _strip_input(typing.get_args(annotation)[0]) if typing.get_args(annotation) else None
        if element is not None and pulumi_types.is_input_type(element):
            return PropertyShape("blocks", element)
        return PropertyShape("value")
    if origin in (dict, collections.abc.Mapping):
        return PropertyShape("map")
    return PropertyShape("value")


def _strip_input(annotation: Any) -> Any:
    """`Input[T]` / `Optional[T]` / `Union[T, Awaitable[T], Output[T]]` -> T."""
    while typing.get_origin(annotation) is typing.Union:
        candidates = [
            arg
            for arg in typing.get_args(annotation)
            if arg is not type(None)
            and typing.get_origin(arg) is not collections.abc.Awaitable
            and getattr(typing.get_origin(arg) or arg, "__name__", "") != "Output"
        ]
        if not candidates:
            return None
        annotation = candidates[0]
    return annotation
