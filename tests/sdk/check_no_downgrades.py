"""Compares two `pip freeze` listings (before and after installing an extra): exits 1, naming each package, when
the extra changed the version of anything that was installed before."""

from __future__ import annotations

import sys
from pathlib import Path


def pins(path: Path) -> dict[str, str]:
    listing = {}
    for line in path.read_text().splitlines():
        name, separator, version = line.partition("==")
        if separator:
            listing[name.strip().lower().replace("_", "-")] = version.strip()
    return listing


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_no_downgrades.py FREEZE_BEFORE FREEZE_AFTER", file=sys.stderr)
        return 2
    before, after = (pins(Path(path)) for path in argv)
    changed = [
        f"{name} {version} -> {after.get(name, 'removed')}"
        for name, version in sorted(before.items())
        if after.get(name) != version
    ]
    added = sorted(set(after) - set(before))
    if changed:
        print("installing the extra changed installed packages:\n  " + "\n  ".join(changed), file=sys.stderr)
        return 1
    print(f"no installed package changed; {len(added)} added: {', '.join(added)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
