"""Every planned AWS input checked against the request member it becomes, with coverage kept visible."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from modelyard.policies.aws_api.constraints import (
    NUMERIC_TYPES,
    ConstraintFailure,
    check_number,
    check_size,
    check_string,
    is_number,
)
from modelyard.policies.aws_api.member_matching import find_member
from modelyard.policies.aws_api.resource_operations import (
    ApiOperation,
    ResourceApi,
    is_aws_resource,
    resource_api,
)
from modelyard.policies.aws_api.service_models import MODELS_VERSION, operation_input
from modelyard.policies.values import is_unknown

# How a violation enters the policy verdicts: always mandatory, since AWS rejects the request in every stack.
RULE_ID = "aws-api-constraints"
SHOWN_VALUE_CHARS = 80
# The shape traits that constrain a value (botocore.model.Shape.METADATA_KEYS holds these among others).
CONSTRAINT_KEYS = ("enum", "pattern", "min", "max")


@dataclass(frozen=True)
class ApiViolation:
    """One planned value that the API would reject, with where it came from and the constraint it breaks."""

    urn: str
    type: str
    name: str
    field: str
    value: Any
    service: str
    operation: str
    member: str
    constraint: str
    detail: str

    @property
    def message(self) -> str:
        shown = repr(self.value)
        if len(shown) > SHOWN_VALUE_CHARS:
            shown = shown[: SHOWN_VALUE_CHARS - 3] + "..."
        return f"{self.field} = {shown}: {self.service} {self.operation} {self.member} {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "field": self.field,
            "value": self.value,
            "service": self.service,
            "operation": self.operation,
            "member": self.member,
            "constraint": self.constraint,
            "message": self.message,
        }


@dataclass
class _TypeCoverage:
    api: ResourceApi
    resources: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    constrained: set[str] = field(default_factory=set)
    unmatched: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.api.service,
            "operations": [operation.name for operation in self.api.operations],
            "mapping": self.api.source,
            "resources": self.resources,
            "fields": dict(sorted(self.fields.items())),
            "constrained_fields": sorted(self.constrained),
            "unmatched": sorted(self.unmatched),
        }


@dataclass
class _Resource:
    """The resource being walked and the operation its current input belongs to."""

    record: Mapping[str, Any]
    api: ResourceApi
    operation: ApiOperation
    coverage: _TypeCoverage


@dataclass
class ApiValidation:
    """The walk over one plan: what was checked, what failed, what could not be mapped."""

    violations: list[ApiViolation] = field(default_factory=list)
    values_checked: int = 0
    values_unknown: int = 0
    patterns_unsupported: Counter = field(default_factory=Counter)
    unmapped_types: Counter = field(default_factory=Counter)
    coverage: dict[str, _TypeCoverage] = field(default_factory=dict)

    def check_resource(self, record: Mapping[str, Any]) -> None:
        token = record.get("type", "")
        if not record.get("custom") or not is_aws_resource(token):
            return
        api = resource_api(token)
        if api is None:
            self.unmapped_types[token] += 1
            return
        coverage = self.coverage.setdefault(token, _TypeCoverage(api))
        coverage.resources += 1
        for key, value in (record.get("inputs") or {}).items():
            for operation in api.operations:
                request = operation_input(api.service, operation.name)
                match = find_member(key, request, rename=operation.renames.get(key), operation=operation.name)
                if match is not None:
                    resource = _Resource(record, api, operation, coverage)
                    self._record_field(resource, key, match.path)
                    self._walk(resource, value, match.shape, key, match.path)
                    break
            else:
                coverage.unmatched.add(key)

    def _record_field(self, resource: _Resource, input_path: str, api_path: str) -> None:
        resource.coverage.fields[_without_indices(input_path)] = f"{resource.operation.name}.{api_path}"

    def _walk(self, resource: _Resource, value: Any, shape: Shape, input_path: str, api_path: str) -> None:
        if is_unknown(value):
            self.values_unknown += 1
            return
        if isinstance(shape, StructureShape):
            self._walk_structure(resource, value, shape, input_path, api_path)
        elif isinstance(shape, ListShape):
            self._walk_list(resource, value, shape, input_path, api_path)
        elif isinstance(shape, MapShape):
            if isinstance(value, Mapping):
                self._judge(resource, value, shape, input_path, api_path, check_size(len(value), shape))
                for key, item in value.items():
                    self._walk(resource, key, shape.key, f"{input_path}.<key>", f"{api_path}.<key>")
                    self._walk(resource, item, shape.value, f"{input_path}.{key}", f"{api_path}.<value>")
        elif shape.type_name == "string" and isinstance(value, str):
            failures, pattern_checked = check_string(value, shape)
            if not pattern_checked:
                self.patterns_unsupported[shape.metadata["pattern"]] += 1
            self.values_checked += 1
            self._judge(resource, value, shape, input_path, api_path, failures)
        elif shape.type_name in NUMERIC_TYPES and is_number(value):
            self.values_checked += 1
            self._judge(resource, value, shape, input_path, api_path, check_number(value, shape))

    def _walk_structure(
        self, resource: _Resource, value: Any, shape: StructureShape, input_path: str, api_path: str
    ) -> None:
        if isinstance(value, Sequence) and not isinstance(value, str):
            # Terraform blocks of at most one item are lists in pulumi and one structure in the API.
            for index, item in enumerate(value):
                self._walk(resource, item, shape, f"{input_path}[{index}]", api_path)
            return
        if not isinstance(value, Mapping):
            return
        for key, item in value.items():
            child_input = f"{input_path}.{key}"
            rename = resource.operation.renames.get(_without_indices(child_input))
            match = find_member(key, shape, rename=rename)
            if match is None:
                resource.coverage.unmatched.add(_without_indices(child_input))
                continue
            child_api = f"{api_path}.{match.path}"
            self._record_field(resource, child_input, child_api)
            self._walk(resource, item, match.shape, child_input, child_api)

    def _walk_list(
        self, resource: _Resource, value: Any, shape: ListShape, input_path: str, api_path: str
    ) -> None:
        if isinstance(value, Mapping):
            tag = _key_value_members(shape.member)
            if tag is not None:
                # pulumi's map is the API's list of pairs ({Key, Value}, {TagKey, TagValue}, {Name, Value}).
                key_member, value_member = tag
                self._judge(resource, value, shape, input_path, api_path, check_size(len(value), shape))
                for key, item in value.items():
                    self._walk(
                        resource,
                        key,
                        shape.member.members[key_member],
                        f"{input_path}.<key>",
                        f"{api_path}[].{key_member}",
                    )
                    self._walk(
                        resource,
                        item,
                        shape.member.members[value_member],
                        f"{input_path}.{key}",
                        f"{api_path}[].{value_member}",
                    )
                return
        if isinstance(value, Sequence) and not isinstance(value, str):
            self._judge(resource, value, shape, input_path, api_path, check_size(len(value), shape))
            for index, item in enumerate(value):
                self._walk(resource, item, shape.member, f"{input_path}[{index}]", f"{api_path}[]")
            return
        # One value or block where the API takes a list of them (pulumi's `rule` block is the API's Rules[]).
        self._walk(resource, value, shape.member, input_path, f"{api_path}[]")

    def _judge(
        self,
        resource: _Resource,
        value: Any,
        shape: Shape,
        input_path: str,
        api_path: str,
        failures: list[ConstraintFailure],
    ) -> None:
        """Count the field as constrained where its shape has a constraint; keep each failure as a violation."""
        if any(key in shape.metadata for key in CONSTRAINT_KEYS):
            resource.coverage.constrained.add(_without_indices(input_path))
        record = resource.record
        for failure in failures:
            self.violations.append(
                ApiViolation(
                    urn=record.get("urn", ""),
                    type=record.get("type", ""),
                    name=record.get("name", ""),
                    field=input_path,
                    value=value,
                    service=resource.api.service,
                    operation=resource.operation.name,
                    member=api_path,
                    constraint=failure.constraint,
                    detail=failure.detail,
                )
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "models": MODELS_VERSION,
            "resources_checked": sum(coverage.resources for coverage in self.coverage.values()),
            "values_checked": self.values_checked,
            "values_unknown": self.values_unknown,
            "patterns_unsupported": dict(self.patterns_unsupported),
            "violations": [violation.to_json() for violation in self.violations],
            "unmapped_types": dict(sorted(self.unmapped_types.items())),
            "types": {token: coverage.to_json() for token, coverage in sorted(self.coverage.items())},
        }


def _without_indices(path: str) -> str:
    """`productionVariants[0].instanceType` -> `productionVariants.instanceType` (how renames and coverage key)."""
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _key_value_members(shape: Shape) -> tuple[str, str] | None:
    """The key and value members of a pair the API lists where pulumi has a map: tags ({Key, Value},
    {TagKey, TagValue}) and CloudWatch dimensions ({Name, Value}); None for any other shape."""
    if not isinstance(shape, StructureShape) or len(shape.members) != 2:
        return None
    keys = [name for name in shape.members if name.endswith(("Key", "Name"))]
    values = [name for name in shape.members if name.endswith("Value")]
    return (keys[0], values[0]) if len(keys) == 1 and len(values) == 1 else None


def validate_api_inputs(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Check every recorded resource's inputs (`to_json()` records of the plan) against botocore's models."""
    validation = ApiValidation()
    for record in resources:
        validation.check_resource(record)
    return validation.to_json()


def as_policy_violations(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's violations in the policy pack's verdict format: mandatory in every stack."""
    return [
        {
            "rule_id": RULE_ID,
            "severity": "high",
            "enforcement": "mandatory",
            "urn": violation["urn"],
            "type": violation["type"],
            "name": violation["name"],
            "message": violation["message"],
        }
        for violation in report["violations"]
    ]
