"""NAME=VALUE command-line options (hyperparameters, pipeline parameters) parsed into a dict."""

from __future__ import annotations


def parse_assignments(items: list[str] | None, option: str) -> dict[str, str]:
    """{NAME: VALUE} of each item (a later NAME wins); ValueError naming `option` and the first malformed item."""
    values = {}
    for item in items or []:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise ValueError(f"{option} {item!r}: expected NAME=VALUE")
        values[name] = value
    return values
