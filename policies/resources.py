"""The resources a rule sees, built from the offline plan's records or from CrossGuard's arguments."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelyard.catalog.errors import InputError
from modelyard.policies.values import UNKNOWN, is_unknown, lookup

REQUIRED_RECORD_KEYS = ("urn", "type", "name", "inputs")


class ResourceRecordError(InputError, ValueError):
    """A resource record handed to the policy pack is malformed."""


@dataclass(frozen=True)
class Resource:
    """One resource as registered: type token, wire-format (camelCase) inputs and its relations."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    parent: str | None = None
    dependencies: frozenset[str] = frozenset()
    property_dependencies: Mapping[str, frozenset[str]] = field(default_factory=dict)
    provider_inputs: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def get(self, key: str) -> Any:
        """An input: ABSENT when not set, UNKNOWN when set but not known yet (see values.lookup)."""
        return lookup(self.inputs, key)

    @property
    def default_tags(self) -> Mapping[str, Any] | None:
        """Tags the resource inherits from its AWS provider's `defaultTags`; None when they are not known yet."""
        default_tags = lookup(self.provider_inputs, "defaultTags")
        if isinstance(default_tags, str) and default_tags != UNKNOWN:
            # Provider configuration reaches the engine JSON-encoded.
            try:
                default_tags = json.loads(default_tags)
            except json.JSONDecodeError:
                return {}
        tags = lookup(default_tags, "tags")
        if tags == UNKNOWN:
            return None
        return tags if isinstance(tags, Mapping) else {}

    def identifiers(self) -> set[str]:
        """The known strings other resources may use to point at this one (id, explicit names)."""
        found = {self.id} if self.id and not is_unknown(self.id) else set()
        for key in ("bucket", "name"):
            value = self.inputs.get(key)
            if isinstance(value, str) and not is_unknown(value):
                found.add(value)
        return found


def resource_from_record(
    record: Mapping[str, Any], index: int, providers: Mapping[str, Mapping[str, Any]]
) -> Resource:
    """Build a Resource from one offline-plan record; raise ResourceRecordError naming what is wrong."""
    if not isinstance(record, Mapping):
        raise ResourceRecordError(f"resources[{index}] must be a dict, got {type(record).__name__}")
    missing = [key for key in REQUIRED_RECORD_KEYS if key not in record]
    if missing:
        raise ResourceRecordError(f"resources[{index}] lacks {', '.join(missing)}")
    inputs = record["inputs"]
    if not isinstance(inputs, Mapping):
        raise ResourceRecordError(f"resources[{index}].inputs must be a dict, got {type(inputs).__name__}")
    property_dependencies = record.get("property_dependencies") or record.get("propertyDependencies") or {}
    return Resource(
        urn=str(record["urn"]),
        type=str(record["type"]),
        name=str(record["name"]),
        inputs=inputs,
        parent=record.get("parent"),
        dependencies=frozenset(record.get("dependencies") or ()),
        property_dependencies={key: frozenset(urns) for key, urns in property_dependencies.items()},
        provider_inputs=_provider_inputs(record.get("provider"), providers),
        id=record.get("id"),
    )


def _provider_inputs(reference: Any, providers: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    # A provider reference is "<provider urn>::<provider id>"; URNs contain "::" themselves.
    if not isinstance(reference, str):
        return {}
    for urn, inputs in providers.items():
        if reference == urn or reference.startswith(urn + "::"):
            return inputs
    return {}


class StackResources:
    """Every resource of one stack, with the lookups stack-level rules need."""

    def __init__(self, resources: Iterable[Resource], cost: Mapping[str, Any] | None = None):
        self.resources = tuple(resources)
        self.cost = cost
        self._by_urn = {resource.urn: resource for resource in self.resources}

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], cost: Mapping[str, Any] | None = None
    ) -> StackResources:
        records = list(records)
        providers = {
            str(record["urn"]): record.get("inputs") or {}
            for record in records
            if isinstance(record, Mapping)
            and str(record.get("type", "")).startswith("pulumi:providers:")
            and "urn" in record
        }
        return cls(
            (resource_from_record(record, index, providers) for index, record in enumerate(records)), cost
        )

    def of_types(self, types: Iterable[str]) -> list[Resource]:
        wanted = set(types)
        return [resource for resource in self.resources if resource.type in wanted]

    def get(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def referencing(self, target: Resource, types: Iterable[str], prop: str) -> list[Resource]:
        """Resources of `types` whose input `prop` points at `target`."""
        return [candidate for candidate in self.of_types(types) if refers_to(candidate, target, prop)]


def refers_to(source: Resource, target: Resource, prop: str) -> bool:
    """Whether `source.inputs[prop]` points at `target`.

    Most precise first: per-property dependencies (CrossGuard has them), then a known value that equals one
    of the target's identifiers, then any dependency on the target (values computed from its outputs).
    """
    if prop in source.property_dependencies:
        return target.urn in source.property_dependencies[prop]
    value = source.inputs.get(prop)
    identifiers = target.identifiers()
    if isinstance(value, str) and value != UNKNOWN and identifiers:
        return value in identifiers
    return target.urn in source.dependencies
