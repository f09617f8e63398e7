"""The offline plan written as Terraform-plan JSON (`terraform show -json`), for scanners that read only that.

Format: https://developer.hashicorp.com/terraform/internals/json-format (format_version 1.2). Every AWS resource
becomes a managed resource being created; component resources become child modules (`module.<name>`); an input
that refers to another resource's id/ARN/name is, as in a real `terraform plan`, unknown in `after` and named in
`configuration` as `expressions.<attr>.references`, which is how graph checks (checkov) connect a bucket to its
public-access block. References name the target as `<type>.<name>` even across modules (where Terraform would pass
a module variable): scanners key their graph by that, so names are made unique per type across the whole plan.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelyard.planning.engine import Plan
from modelyard.planning.recorder import SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER, RecordedResource
from modelyard.planning.terraform_names import (
    PropertyShape,
    input_shapes,
    property_renames,
    resource_shapes,
    snake_case,
    terraform_type,
)

FORMAT_VERSION = "1.2"
# The Terraform release whose `show -json` output this mirrors (Terraform 1.9 writes format_version 1.2).
TERRAFORM_VERSION = "1.9.8"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
# Pulumi-only inputs with no Terraform attribute behind them.
_PULUMI_ONLY_INPUTS = frozenset({"__defaults", "__self__"})


@dataclass
class ExportedResource:
    """One AWS resource as Terraform names it."""

    recorded: RecordedResource
    type: str
    name: str
    module: tuple[str, ...]
    after: dict[str, Any] = field(default_factory=dict)
    after_unknown: dict[str, Any] = field(default_factory=dict)
    after_sensitive: dict[str, Any] = field(default_factory=dict)
    references: dict[str, list[str]] = field(default_factory=dict)

    @property
    def local_address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def address(self) -> str:
        return ".".join([*(f"module.{name}" for name in self.module), self.local_address])


@dataclass(frozen=True)
class TerraformPlanExport:
    """The document and how much of the plan it holds."""

    document: dict[str, Any]
    aws_resources: int
    exported: int


def terraform_plan(plan: Plan) -> TerraformPlanExport:
    """The plan's AWS resources as a Terraform-plan JSON document."""
    by_urn = {resource.urn: resource for resource in plan.resources}
    modules = _module_names(plan.resources)
    aws_resources = [
        resource for resource in plan.resources if resource.custom and resource.type.startswith("aws:")
    ]
    # Sorted by URN: registration order varies between runs, the export must not (it is diffed in PRs).
    aws = sorted(
        (resource for resource in aws_resources if terraform_type(resource.type)), key=lambda r: r.urn
    )
    names = _unique_names(aws)
    module_types = {
        (*_module_path(by_urn[urn], by_urn, modules), name): by_urn[urn].type for urn, name in modules.items()
    }
    exported = {
        resource.urn: ExportedResource(
            recorded=resource,
            type=terraform_type(resource.type) or "",
            name=names[resource.urn],
            module=_module_path(resource, by_urn, modules),
        )
        for resource in aws
    }
    for resource in exported.values():
        _fill_values(resource, exported)
    document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": _planned_module((), exported.values())},
        "resource_changes": [_resource_change(resource) for resource in exported.values()],
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": AWS_PROVIDER,
                    "expressions": {"region": {"constant_value": plan.region}},
                }
            },
            "root_module": _configuration_module((), exported.values(), module_types),
        },
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    return TerraformPlanExport(document, aws_resources=len(aws_resources), exported=len(exported))


# -- names and modules -----------------------------------------------------------------------------------


def _identifier(name: str) -> str:
    """A Terraform identifier: letters, digits, underscores and dashes, not starting with a digit or dash."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


def _unique_names(resources: list[RecordedResource]) -> dict[str, str]:
    """Resource names, unique per Terraform type across all modules (scanners key graph vertices by type.name)."""
    taken: Counter[tuple[str, str]] = Counter()
    names: dict[str, str] = {}
    for resource in resources:
        base = _identifier(resource.name)
        key = (terraform_type(resource.type) or "", base)
        taken[key] += 1
        names[resource.urn] = base if taken[key] == 1 else f"{base}_{taken[key]}"
    return names


def _module_names(resources: list[RecordedResource]) -> dict[str, str]:
    """A module name for each component resource: its kind and name (`artifact_store-modelyard-prod`), which a
    URN makes unique among siblings."""
    return {
        resource.urn: _identifier(f"{snake_case(resource.type.split(':')[-1])}-{resource.name}")
        for resource in resources
        if not resource.custom
    }


def _module_path(
    resource: RecordedResource, by_urn: dict[str, RecordedResource], modules: dict[str, str]
) -> tuple[str, ...]:
    path: list[str] = []
    parent = by_urn.get(resource.parent or "")
    while parent is not None:
        if parent.urn in modules:
            path.append(modules[parent.urn])
        parent = by_urn.get(parent.parent or "")
    return tuple(reversed(path))


# -- values ------------------------------------------------------------------------------------------------


def _fill_values(resource: ExportedResource, exported: dict[str, ExportedResource]) -> None:
    token = resource.recorded.type
    shapes = resource_shapes(token)
    renames = property_renames(token)
    for key, value in resource.recorded.inputs.items():
        if key in _PULUMI_ONLY_INPUTS:
            continue
        attribute = renames.get(key) or snake_case(key)
        converted = _convert(value, shapes.get(key, PropertyShape("value")), renames, key)
        dependencies = resource.recorded.property_dependencies.get(key, [])
        references, computed = _references(value, attribute, dependencies, exported)
        if references:
            resource.references[attribute] = references
        if computed:
            # Another resource's id/ARN/name is not known before that resource exists: Terraform plans it unknown.
            resource.after_unknown[attribute] = True
            continue
        resource.after[attribute] = converted
        unknown, sensitive = _marks(converted)
        if unknown is not False:
            resource.after_unknown[attribute] = unknown
        if sensitive is not False:
            resource.after_sensitive[attribute] = sensitive
    resource.after = _without_placeholders(resource.after)


def _convert(value: Any, shape: PropertyShape, renames: dict[str, str], path: str) -> Any:
    """A Pulumi input value in Terraform's form: snake_case attributes, blocks as lists."""
    if shape.kind == "block" and isinstance(value, dict):
        return [_convert_block(value, shape.nested, renames, path)]
    if shape.kind == "blocks" and isinstance(value, list):
        return [
            _convert_block(item, shape.nested, renames, path) if isinstance(item, dict) else item
            for item in value
        ]
    return value


def _convert_block(
    value: dict[str, Any], nested: type | None, renames: dict[str, str], path: str
) -> dict[str, Any]:
    shapes = input_shapes(nested) if nested is not None else {}
    converted: dict[str, Any] = {}
    for key, item in value.items():
        item_path = f"{path}.{key}"
        attribute = renames.get(item_path) or snake_case(key)
        converted[attribute] = _convert(item, shapes.get(key, PropertyShape("value")), renames, item_path)
    return converted


def _references(
    value: Any, attribute: str, dependencies: list[str], exported: dict[str, ExportedResource]
) -> tuple[list[str], bool]:
    """Terraform references for an input that depends on other resources, and whether the value is one of
    their computed attributes (then it is unknown until they exist)."""
    references: list[str] = []
    computed = False
    for urn in dependencies:
        target = exported.get(urn)
        if target is None:
            continue
        if value == UNKNOWN_PLACEHOLDER:
            # Already unknown (as in a preview): which attribute it reads is not recorded; the input's name says.
            references.append(f"{target.local_address}.{_attribute_named_by(attribute)}")
        elif matched := _matching_attribute(value, target.recorded):
            references.append(f"{target.local_address}.{matched}")
            computed = True
        references.append(target.local_address)
    return references, computed


def _attribute_named_by(attribute: str) -> str:
    """`kms_key_arn` reads an ARN, `role_name` a name, `bucket` / `vpc_id` an id."""
    for suffix in ("arn", "name"):
        if attribute == suffix or attribute.endswith(f"_{suffix}"):
            return suffix
    return "id"


def _matching_attribute(value: Any, target: RecordedResource) -> str | None:
    """Which attribute of `target` a plain string input is (its id, ARN, name ...), if any."""
    if not isinstance(value, str) or value == SECRET_PLACEHOLDER or not value:
        return None
    if value == target.id:
        return "id"
    for key, output in target.outputs.items():
        if output == value and key not in target.inputs:
            return snake_case(key)
    return None


def _marks(value: Any) -> tuple[Any, Any]:
    """after_unknown / after_sensitive for one converted value: True, False, or the same structure."""
    if value == UNKNOWN_PLACEHOLDER:
        return True, False
    if value == SECRET_PLACEHOLDER:
        return False, True
    if isinstance(value, dict):
        marks = {key: _marks(item) for key, item in value.items()}
        unknown = {key: mark[0] for key, mark in marks.items() if mark[0] is not False}
        sensitive = {key: mark[1] for key, mark in marks.items() if mark[1] is not False}
        return unknown or False, sensitive or False
    if isinstance(value, list):
        marks_list = [_marks(item) for item in value]
        if any(mark[0] is not False for mark in marks_list) or any(
            mark[1] is not False for mark in marks_list
        ):
            return [mark[0] for mark in marks_list], [mark[1] for mark in marks_list]
    return False, False


def _without_placeholders(value: Any) -> Any:
    """Unknown values are absent from `after` (null), as Terraform writes them; secrets stay masked."""
    if value == UNKNOWN_PLACEHOLDER:
        return None
    if isinstance(value, dict):
        return {key: _without_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_placeholders(item) for item in value]
    return value


# -- the document's sections -----------------------------------------------------------------------------


def _planned_resource(resource: ExportedResource) -> dict[str, Any]:
    return {
        "address": resource.address,
        "mode": "managed",
        "type": resource.type,
        "name": resource.name,
        "provider_name": AWS_PROVIDER,
        "schema_version": 0,
        "values": resource.after,
        "sensitive_values": resource.after_sensitive,
    }


def _planned_module(path: tuple[str, ...], resources: Any) -> dict[str, Any]:
    resources = list(resources)
    module: dict[str, Any] = {
        "resources": [_planned_resource(resource) for resource in resources if resource.module == path]
    }
    if path:
        module["address"] = ".".join(f"module.{name}" for name in path)
    children = _child_modules(path, resources)
    if children:
        module["child_modules"] = [_planned_module(child, members) for child, members in children.items()]
    return module


def _child_modules(
    path: tuple[str, ...], resources: list[ExportedResource]
) -> dict[tuple[str, ...], list[ExportedResource]]:
    """The modules directly under `path`, each with every resource inside it (at any depth)."""
    children: dict[tuple[str, ...], list[ExportedResource]] = {}
    for resource in resources:
        if len(resource.module) > len(path) and resource.module[: len(path)] == path:
            children.setdefault(resource.module[: len(path) + 1], []).append(resource)
    return dict(sorted(children.items()))


def _resource_change(resource: ExportedResource) -> dict[str, Any]:
    change: dict[str, Any] = {
        "address": resource.address,
        "mode": "managed",
        "type": resource.type,
        "name": resource.name,
        "provider_name": AWS_PROVIDER,
        "change": {
            "actions": ["create"],
            "before": None,
            "after": resource.after,
            "after_unknown": resource.after_unknown,
            "before_sensitive": False,
            "after_sensitive": resource.after_sensitive,
        },
    }
    if resource.module:
        change["module_address"] = ".".join(f"module.{name}" for name in resource.module)
    return change


def _configuration_module(
    path: tuple[str, ...], resources: Any, module_types: dict[tuple[str, ...], str]
) -> dict[str, Any]:
    resources = list(resources)
    module: dict[str, Any] = {"resources": []}
    for resource in resources:
        if resource.module != path:
            continue
        expressions: dict[str, Any] = {
            attribute: {"constant_value": value}
            for attribute, value in resource.after.items()
            if value is not None
        }
        for attribute, references in resource.references.items():
            expressions[attribute] = {"references": references}
        module["resources"].append(
            {
                "address": resource.local_address,
                "mode": "managed",
                "type": resource.type,
                "name": resource.name,
                "provider_config_key": "aws",
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    children = _child_modules(path, resources)
    if children:
        module["module_calls"] = {
            child[-1]: {
                # The component's Pulumi type stands where Terraform names the module's source.
                "source": module_types.get(child, child[-1]),
                "module": _configuration_module(child, members, module_types),
            }
            for child, members in children.items()
        }
    return module
