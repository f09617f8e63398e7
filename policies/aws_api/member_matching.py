"""Which request member a pulumi input names: camelCase wire names compared with API members, case-insensitively."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex
from botocore.model import ListShape, Shape, StructureShape

# How far below the request's own members an input may sit. Terraform flattens wrappers the API keeps: the
# budget's `time_unit` is CreateBudget's Budget.TimeUnit, an event target's `arn` is PutTargets' Targets[].Arn,
# `target_bucket` is PutBucketLogging's BucketLoggingStatus.LoggingEnabled.TargetBucket. A match below the top
# must be the only one at its depth, and only a one-level match may go through a list (deeper lists hold items
# of their own, such as a launch template's NetworkInterfaces[].Description, which its `description` is not).
MAX_WRAPPER_DEPTH = 2

# Inputs that name another resource by its name, ARN or id (`role` -> RoleName, `topic` -> TopicArn,
# `assumeRolePolicy` -> AssumeRolePolicyDocument), matched when exactly one member fits.
REFERENCE_SUFFIXES = ("name", "arn", "id", "document", "text")

_VERB = regex.compile(r"^[A-Z][a-z]+")


@dataclass(frozen=True)
class MemberMatch:
    """The member an input maps to: its path in the request (`LaunchTemplateData.MetadataOptions`) and shape."""

    path: str
    shape: Shape


def _name_variants(key: str) -> set[str]:
    """The key and its plural/singular forms (Terraform's `encryption_configuration` blocks become pulumi's
    `encryptionConfigurations`; pulumi's `rule` is the API's `Rules`)."""
    lowered = key.lower()
    variants = {lowered, lowered + "s"}
    if lowered.endswith("s"):
        variants.add(lowered[:-1])
    return variants


def _members_below(
    shape: Shape, prefix: str, depth: int, through_lists: bool
) -> Iterator[tuple[str, str, Shape]]:
    """(path, member name, member shape) of the members `depth` levels below `shape`."""
    if isinstance(shape, ListShape) and through_lists:
        shape, prefix = shape.member, f"{prefix}[]"
    if not isinstance(shape, StructureShape):
        return
    for name, member in shape.members.items():
        path = f"{prefix}.{name}" if prefix else name
        if depth == 0:
            yield path, name, member
        else:
            yield from _members_below(member, path, depth - 1, through_lists=through_lists)


def _unique(candidates: list[tuple[str, str, Shape]], wanted: set[str]) -> MemberMatch | None:
    found = [(path, shape) for path, name, shape in candidates if name.lower() in wanted]
    return MemberMatch(*found[0]) if len(found) == 1 else None


def find_member(
    key: str,
    shape: StructureShape,
    *,
    rename: str | None = None,
    operation: str | None = None,
) -> MemberMatch | None:
    """The member of `shape` (or of a wrapper below it) that the input `key` sets, or None.

    `rename` is the member name the provider sends `key` as, where the names differ; `operation` is given at
    the request's top level, where `name` also means `<Noun>Name` (CreateLogGroup: LogGroupName).
    """
    if rename:
        wanted = {rename.lower()}
    elif key == "name":
        # `name` is the resource's own name: `Name`, or `<Noun>Name` after the operation's verb (CreateLogGroup:
        # LogGroupName), never the name of something nested (PutMetricAlarm's Dimensions[].Name).
        wanted = {"name"} | ({_VERB.sub("", operation).lower() + "name"} if operation else set())
    else:
        wanted = _name_variants(key)
    direct = list(_members_below(shape, "", 0, through_lists=False))
    match = _unique(direct, wanted)
    if match is None and not rename and key != "name":
        match = _unique(direct, {key.lower() + suffix for suffix in REFERENCE_SUFFIXES})
    if key == "name" and not rename:
        wanted.discard("name")
    for depth in range(1, MAX_WRAPPER_DEPTH + 1):
        if match is not None:
            break
        match = _unique(list(_members_below(shape, "", depth, through_lists=depth == 1)), wanted)
    return match
