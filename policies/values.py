"""Reading wire-format property values that may be absent, unknown (not resolved yet) or masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# How the offline plan writes a value that is not known yet (and what CrossGuard's unknowns become).
UNKNOWN = "<unknown>"
# How the offline plan masks secrets: a masked value cannot be judged either.
SECRET = "[secret]"


class _Absent:
    """The property is not set at all (as opposed to set to a value we cannot see yet)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def is_unknown(value: Any) -> bool:
    """True for a value that is set but cannot be judged yet: None, '<unknown>' or a masked secret."""
    return value is None or (isinstance(value, str) and value in (UNKNOWN, SECRET))


def lookup(value: Any, *path: str | int) -> Any:
    """The value at `path` inside nested dicts/lists; ABSENT if a step is missing, UNKNOWN if a step is unknown."""
    for step in path:
        if is_unknown(value):
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or step >= len(value):
                return ABSENT
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return ABSENT
            value = value[step]
    return UNKNOWN if is_unknown(value) else value


def items_of(value: Any) -> list[Any]:
    """A list property as a list: absent or unknown lists have no items we can judge."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def has_unknown_item(value: Any) -> bool:
    """True when a list is unknown or holds an unknown item, so membership in it cannot be judged."""
    return is_unknown(value) or any(is_unknown(item) for item in items_of(value))


def is_set(value: Any) -> bool:
    """True when a property holds something (known or not yet known); False when absent or empty."""
    if value is ABSENT:
        return False
    if is_unknown(value):
        return True
    return value not in ("", [], {})


def number(value: Any) -> float | None:
    """A known numeric value (the wire format carries every number as a float), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def shown(value: Any) -> str:
    """A value as a violation message quotes it (whole numbers without the wire format's '.0')."""
    if value is ABSENT:
        return "not set"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return repr(value)
