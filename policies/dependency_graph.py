"""What a resource waits for in an update: its dependencies, followed transitively through the plan."""

from __future__ import annotations

from modelyard.policies.resources import Resource, StackResources


def waits_for(stack: StackResources, resource: Resource) -> set[str]:
    """URNs of every resource the engine creates before `resource` (its dependencies, and theirs)."""
    seen: set[str] = set()
    pending = list(resource.dependencies) + [
        urn for urns in resource.property_dependencies.values() for urn in urns
    ]
    while pending:
        urn = pending.pop()
        if urn in seen:
            continue
        seen.add(urn)
        found = stack.get(urn)
        if found is not None:
            pending.extend(found.dependencies)
            pending.extend(urn for urns in found.property_dependencies.values() for urn in urns)
    return seen
