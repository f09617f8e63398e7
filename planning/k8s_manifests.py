"""The plan's Kubernetes resources written as YAML manifests (one file each), and its Helm releases as a list,
for checkov, kube-linter and kubeconform.

pulumi-kubernetes resources take the Kubernetes object itself as inputs (apiVersion, kind, metadata, spec ...),
so a manifest is those inputs as the API server would receive them. A Helm release is not rendered (that needs
the chart): `helm-releases.yaml` lists chart, version, repository, namespace and values, so a reviewer or
`helm template` can take it from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelyard.planning.engine import Plan
from modelyard.planning.recorder import RecordedResource

HELM_RELEASE_TYPES = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"})
HELM_RELEASES_FILE = "helm-releases.yaml"
# The release fields that say what gets installed; the rest (timeout, atomic ...) is how Pulumi installs it.
_HELM_FIELDS = ("name", "chart", "version", "repositoryOpts", "namespace", "values")


@dataclass(frozen=True)
class ManifestExport:
    """What was written: manifest files, Helm releases listed, and Kubernetes resources in the plan."""

    manifests: list[Path]
    helm_releases: int
    kubernetes_resources: int


def is_kubernetes_object(resource: RecordedResource) -> bool:
    """A Kubernetes API object the program registers (not a provider, not a Helm release, not a component)."""
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and not resource.type.startswith("pulumi:providers:")
        and resource.type not in HELM_RELEASE_TYPES
    )


def manifest(resource: RecordedResource) -> dict[str, Any]:
    """The Kubernetes object of one resource, as it would reach the API server."""
    group_version, kind = resource.type.split(":")[1], resource.type.split(":")[2]
    group, version = group_version.split("/")
    document = _whole_numbers(resource.inputs)
    document.setdefault("apiVersion", version if group == "core" else f"{group}/{version}")
    document.setdefault("kind", kind)
    metadata = document.setdefault("metadata", {})
    metadata.setdefault("name", resource.name)
    # apiVersion, kind, metadata first, as manifests are usually read.
    return {key: document[key] for key in ("apiVersion", "kind", "metadata")} | {
        key: value for key, value in document.items() if key not in ("apiVersion", "kind", "metadata")
    }


def write_k8s_manifests(plan: Plan, directory: Path) -> ManifestExport:
    """Write one YAML file per Kubernetes object and `helm-releases.yaml`; returns what was written."""
    directory.mkdir(parents=True, exist_ok=True)
    objects = [resource for resource in plan.resources if is_kubernetes_object(resource)]
    written: list[Path] = []
    for resource in objects:
        document = manifest(resource)
        metadata = document["metadata"]
        stem = "-".join(
            part
            for part in (document["kind"], metadata.get("namespace"), metadata.get("name"))
            if isinstance(part, str)
        )
        path = directory / f"{_file_name(stem)}.yaml"
        if path in written:
            path = directory / f"{_file_name(stem)}-{_file_name(resource.name)}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        written.append(path)
    releases = [
        {"resource": resource.name, "type": resource.type}
        | {key: _whole_numbers(resource.inputs[key]) for key in _HELM_FIELDS if key in resource.inputs}
        for resource in plan.resources
        if resource.type in HELM_RELEASE_TYPES
    ]
    if releases:
        (directory / HELM_RELEASES_FILE).write_text(yaml.safe_dump({"releases": releases}, sort_keys=False))
    return ManifestExport(
        written, helm_releases=len(releases), kubernetes_resources=len(objects) + len(releases)
    )


def _file_name(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")


def _whole_numbers(value: Any) -> Any:
    """Numbers cross the Pulumi wire as floats; Kubernetes' schema wants integers (ports, replicas ...)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value
