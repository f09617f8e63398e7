"""A mock resource monitor that also records each registration's parent, dependencies and inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

SECRET_PLACEHOLDER = "[secret]"
UNKNOWN_PLACEHOLDER = "<unknown>"


@dataclass
class RecordedResource:
    """One registration, as the engine would have seen it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str | None
    protect: bool
    retain_on_delete: bool
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "property_dependencies": self.property_dependencies,
            "id": self.id,
            "provider": self.provider,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
        }


def plain(value: Any) -> Any:
    """A JSON-safe copy of a deserialized property: secrets masked, unknowns and assets named."""
    if rpc.is_rpc_secret(value):
        return SECRET_PLACEHOLDER
    if value is rpc.UNKNOWN or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


class RecordingMonitor(MockMonitor):
    """MockMonitor that keeps every registration (components included) in order, and the stack outputs."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with its parents' types, but never with the root stack's.
        if parent and parent.split("::")[2] == "pulumi:pulumi:Stack":
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                inputs=plain(inputs),
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    key: sorted(set(value.urns)) for key, value in sorted(request.propertyDependencies.items()) if value.urns
                },
                provider=request.provider or None,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                id=response.id or None,
                # What the mocks answered: ids, ARNs and names that other resources' inputs refer to.
                outputs=plain(rpc.deserialize_properties(response.object, keep_unknowns=True)),
            )
        )
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)
