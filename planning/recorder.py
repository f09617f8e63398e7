"""A mock resource monitor that also records each registration's parent, dependencies and inputs.

The recorded structure (`RecordedResource.to_json()`) is what other parts build on (policy evaluation, cost,
diffs, exports): `urn`, `type`, `name`, `parent`, `custom`, `inputs` (wire names, secrets as "[secret]", unknowns
as "<unknown>", assets as {kind, path|text|uri, hash}), `dependencies`, `property_dependencies`, `id`,
`provider`, `protect`, `retainOnDelete`. Fields are only ever added to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi import asset
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop

from modelyard.planning.assets import describe_asset
from modelyard.planning.inline_calls import run_to_end

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
    """A JSON-safe copy of a deserialized property: secrets masked, unknowns named, assets by path and hash."""
    if rpc.is_rpc_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, (asset.Asset, asset.Archive)):
        return describe_asset(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def unknowns_as_wire_sentinel(value: Any) -> Any:
    """Unknown values as the engine's wire sentinel string, so mocks can echo them and derive from them."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {key: unknowns_as_wire_sentinel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unknowns_as_wire_sentinel(item) for item in value]
    return value


class RecordingMonitor(MockMonitor):
    """MockMonitor that keeps every registration (components included) in order, and the stack outputs.

    Unlike the stock MockMonitor it hands the mocks the inputs with their unknowns kept, so a value derived
    from an unknown input stays unknown, as the engine's preview would show it.
    """

    def __init__(self, mocks, on_register: Callable[[RecordedResource], None] | None = None):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self.on_register = on_register

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with its parents' types, but never with the root stack's.
        if parent and parent.split("::")[2] == "pulumi:pulumi:Stack":
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()  # deserializing resource references needs a loop on this thread
        inputs = unknowns_as_wire_sentinel(rpc.deserialize_properties(request.object, keep_unknowns=True))
        if request.remote:
            # A component another provider constructs (awsx, eks, ...): its outputs are what that provider's
            # Construct returns, which the plan cannot run, so all of them are unknown; echoing the inputs would
            # hand the program values of another type (awsx's `natGateways` input is a strategy, its output a list
            # of NatGateway resources).
            resource_id, state = None, {}
        else:
            resource_id, state = self.mocks.new_resource(
                MockResourceArgs(
                    typ=request.type,
                    name=request.name,
                    inputs=inputs,
                    provider=request.provider,
                    resource_id=request.importId,
                    custom=request.custom or False,
                )
            )
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        recorded = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=plain(inputs),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(value.urns))
                for key, value in sorted(request.propertyDependencies.items())
                if value.urns
            },
            provider=request.provider or None,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            id=resource_id or None,
            # What the mocks answered: ids, ARNs and names that other resources' inputs refer to.
            outputs=plain(state),
        )
        self.recorded.append(recorded)
        if self.on_register is not None:
            self.on_register(recorded)
        state_proto = run_to_end(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_proto)

    def GetDeploymentInfo(self, request):
        # Without resource references a resource passed as an input travels as its id (or a component's URN), as
        # the engine hands it to a provider that does not take references, and the monitor never rebuilds
        # Resource objects: rebuilding one schedules work on an executor thread's event loop that the program's
        # loop then awaits ("attached to a different loop").
        info = super().GetDeploymentInfo(request)
        features = [
            feature
            for feature in info.supportedFeatures
            if feature != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def SupportsFeature(self, request):
        response = super().SupportsFeature(request)
        if request.id == "resourceReferences":
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.stack_outputs = unknowns_as_wire_sentinel(
                rpc.deserialize_properties(request.outputs, keep_unknowns=True)
            )
        return super().RegisterResourceOutputs(request)
