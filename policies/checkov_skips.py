"""The checkov checks Modelyard does not hold itself to, each with its reason (policies/checkov-skips.txt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SKIPS_FILE = Path(__file__).resolve().parent / "checkov-skips.txt"
# Issue 18's cap.
MAX_SKIPS = 15
CHECKOV_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")


class SkipsFileError(ValueError):
    """The skips file breaks its format: the message names the line and what is wrong."""


@dataclass(frozen=True)
class CheckovSkip:
    check_id: str
    reason: str


def checkov_ids(texts: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The checkov check ids among a rule's anchors (`CKV_AWS_18`, `CKV2_AWS_6` ...)."""
    return tuple(text for text in texts if CHECKOV_ID.fullmatch(text))


def load_skips(path: Path = SKIPS_FILE) -> dict[str, CheckovSkip]:
    """`CKV_ID  reason` per line; `#` starts a comment. At most MAX_SKIPS, each id once, each with its reason."""
    skips: dict[str, CheckovSkip] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not text:
            continue
        check_id, _, reason = text.partition(" ")
        where = f"{path.name} line {number}"
        if not CHECKOV_ID.fullmatch(check_id):
            raise SkipsFileError(f"{where}: {check_id!r} is not a checkov check id (CKV_<FRAMEWORK>_<n>)")
        if not reason.strip():
            raise SkipsFileError(f"{where}: {check_id} has no reason")
        if check_id in skips:
            raise SkipsFileError(f"{where}: {check_id} is listed twice")
        skips[check_id] = CheckovSkip(check_id, reason.strip())
    if len(skips) > MAX_SKIPS:
        raise SkipsFileError(
            f"{path.name}: {len(skips)} skips, at most {MAX_SKIPS} are allowed: fix the rest"
        )
    return skips
