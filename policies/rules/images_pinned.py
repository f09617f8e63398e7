"""Images by digest or built in the update: Lambda and SageMaker refuse (or silently drift on) a tag nothing pushed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from modelyard.policies.dependency_graph import waits_for
from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.values import ABSENT, is_unknown, items_of, lookup

# Where each resource type names a container image: (top-level input, path inside it).
IMAGE_INPUTS: dict[str, tuple[tuple[str, tuple[str | int, ...]], ...]] = {
    "aws:lambda/function:Function": (("imageUri", ()),),
    "aws:sagemaker/model:Model": (("primaryContainer", ("image",)), ("containers", ("*", "image"))),
}
BUILD_TYPES = frozenset({"docker-build:index:Image", "docker:index/image:Image"})
REPOSITORY_TYPES = frozenset({"aws:ecr/repository:Repository"})
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
REMEDY = "build it here (docker-build Image, by its digest) or pin it (<repository>@sha256:...)"


def _images(resource: Resource) -> Iterator[tuple[str, Any]]:
    for prop, path in IMAGE_INPUTS[resource.type]:
        if path[:1] == ("*",):
            for index, item in enumerate(items_of(lookup(resource.inputs, prop))):
                value = lookup(item, *path[1:])
                if value is not ABSENT:
                    yield f"{prop}[{index}].{'.'.join(map(str, path[1:]))}", value
            continue
        value = lookup(resource.inputs, prop, *path)
        if value is not ABSENT:
            yield ".".join([prop, *map(str, path)]), value


def _pinned_or_built(stack: StackResources) -> list[Finding] | NotApplicable:
    users = stack.of_types(IMAGE_INPUTS)
    if not users:
        return NotApplicable("no Lambda function or SageMaker model names a container image")
    builds = {image.urn for image in stack.of_types(BUILD_TYPES)}
    repositories = {repository.urn: repository for repository in stack.of_types(REPOSITORY_TYPES)}
    findings = []
    for resource in users:
        before = waits_for(stack, resource)
        for path, value in _images(resource):
            if is_unknown(value):
                # Unknown until the update runs: only an image computed from a repository this update creates,
                # with no build in between, is known to be missing.
                created = sorted(repositories[urn].name for urn in before if urn in repositories)
                if created and not builds & before:
                    findings.append(
                        Finding(
                            resource.urn,
                            (
                                f"{path} names an image in repository {', '.join(created)}, which this update creates and "
                                f"no build in it pushes to: {REMEDY}"
                            ),
                        )
                    )
            elif not _DIGEST.search(str(value)):
                findings.append(
                    Finding(
                        resource.urn,
                        (
                            f"{path} {value!r} is not pinned by digest: nothing in this update pushes it, and a tag can "
                            f"move; {REMEDY}"
                        ),
                    )
                )
    return findings


RULE = StackRule(
    id="MY-DEP-001",
    description="Lambda functions and SageMaker models run images pinned by digest or built in the same update.",
    severity="high",
    anchors=("AWS Lambda CreateFunction ImageUri", "SageMaker CreateModel ContainerDefinition.Image"),
    levels=MANDATORY,
    check=_pinned_or_built,
)

RULES = (RULE,)
