"""One value against one API shape's constraints: enum, pattern, min/max length or count, numeric range."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from modelyard.policies.aws_api.java_patterns import UnsupportedPattern, matches_whole
from modelyard.policies.aws_api.service_models import MODELS_VERSION

NUMERIC_TYPES = ("integer", "long", "float", "double")
INTEGRAL_TYPES = ("integer", "long")


@dataclass(frozen=True)
class ConstraintFailure:
    """A value the API rejects: which constraint (`enum`, `pattern`, `min`, `max`, `integer`) and why."""

    constraint: str
    detail: str


def is_number(value: Any) -> bool:
    """A JSON number (bools are ints to Python, not to the API)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _enum_failure(value: str, allowed: list[str]) -> ConstraintFailure | None:
    if value in allowed:
        return None
    # Case first: AWS enums are case-sensitive, and 'VPC' for 'vpc' is the usual slip.
    close = [name for name in allowed if name.lower() == value.lower()]
    close = close or difflib.get_close_matches(value, allowed, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    listed = ", ".join(allowed[:12]) + (f", ... ({len(allowed)} values)" if len(allowed) > 12 else "")
    # Enums grow (new instance types): a value newer than the installed models needs a newer botocore.
    return ConstraintFailure("enum", f"is not one of the API's values in {MODELS_VERSION}{hint}: {listed}")


def _size_failures(size: int, shape: Shape, unit: str) -> list[ConstraintFailure]:
    failures = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        failures.append(ConstraintFailure("min", f"has {size} {unit}, the API's minimum is {low}"))
    if high is not None and size > high:
        failures.append(ConstraintFailure("max", f"has {size} {unit}, the API's maximum is {high}"))
    return failures


def check_string(value: str, shape: Shape) -> tuple[list[ConstraintFailure], bool]:
    """Failures of a string value, and whether its pattern could be checked (False: unsupported pattern)."""
    failures = _size_failures(len(value), shape, "characters")
    enum = shape.metadata.get("enum")
    if enum:
        failure = _enum_failure(value, list(enum))
        if failure:
            failures.append(failure)
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return failures, True
    try:
        if not matches_whole(pattern, value):
            failures.append(ConstraintFailure("pattern", f"does not match the API's pattern {pattern}"))
    except UnsupportedPattern:
        return failures, False
    return failures, True


def check_number(value: int | float, shape: Shape) -> list[ConstraintFailure]:
    """Failures of a number (pulumi's wire format carries every number as a float)."""
    if shape.type_name in INTEGRAL_TYPES and not (math.isfinite(value) and float(value).is_integer()):
        return [ConstraintFailure("integer", "is not a whole number, the API takes an integer")]
    failures = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        failures.append(ConstraintFailure("min", f"is below the API's minimum {low} (range {low}..{high})"))
    if high is not None and value > high:
        failures.append(ConstraintFailure("max", f"is above the API's maximum {high} (range {low}..{high})"))
    return failures


def check_size(count: int, shape: Shape) -> list[ConstraintFailure]:
    """Failures of a list's or map's number of entries."""
    return _size_failures(count, shape, "entries")
