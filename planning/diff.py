"""What changes between two offline plans (base branch vs pull request): resources, inputs, outputs, cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from modelyard.catalog.errors import InputError

# A PR comment holds at most 65,536 characters for all stacks: cut long values and long tables.
MAX_VALUE_CHARS = 120
MAX_MARKDOWN_ROWS = 80
_ABSENT = object()


class PlanFileError(InputError):
    """A plan file to diff against is missing, not JSON, or not a `modelyard plan --json` object."""


def load_plan_json(path: Path) -> dict[str, Any]:
    """Read a `modelyard plan --json` output, checking it has the keys a diff needs."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise PlanFileError(f"cannot read plan file {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise PlanFileError(f"{path} is not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise PlanFileError(f"{path} is not a `modelyard plan --json` output (no `resources` list)")
    for index, resource in enumerate(document["resources"]):
        if not isinstance(resource, dict) or not {"urn", "type", "name"} <= resource.keys():
            raise PlanFileError(f"{path}: resources[{index}] lacks urn, type or name")
    return document


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Resources added, changed (each changed input path with its old and new value) and removed, keyed
    by URN; changed stack outputs; and the cost totals when both plans carry an estimate."""
    old_resources = {resource["urn"]: resource for resource in old.get("resources", [])}
    new_resources = {resource["urn"]: resource for resource in new.get("resources", [])}
    added = {
        urn: _identity(new_resources[urn]) for urn in sorted(new_resources.keys() - old_resources.keys())
    }
    removed = {
        urn: _identity(old_resources[urn]) for urn in sorted(old_resources.keys() - new_resources.keys())
    }
    changed = {}
    for urn in sorted(old_resources.keys() & new_resources.keys()):
        changes = _value_changes(
            old_resources[urn].get("inputs") or {}, new_resources[urn].get("inputs") or {}, ""
        )
        if changes:
            changed[urn] = {**_identity(new_resources[urn]), "changes": changes}
    outputs = _value_changes(old.get("outputs") or {}, new.get("outputs") or {}, "")
    result: dict[str, Any] = {
        "stack": new.get("stack", old.get("stack")),
        "added": added,
        "changed": changed,
        "removed": removed,
        "outputs_changed": outputs,
        "summary": {
            "added": len(added),
            "changed": len(changed),
            "removed": len(removed),
            "unchanged": len(old_resources.keys() & new_resources.keys()) - len(changed),
            "outputs_changed": len(outputs),
        },
    }
    old_total, new_total = ((plan.get("cost") or {}).get("total_monthly_usd") for plan in (old, new))
    if old_total is not None and new_total is not None:
        result["cost"] = {
            "old_monthly_usd": old_total,
            "new_monthly_usd": new_total,
            "delta_monthly_usd": round(new_total - old_total, 2),
        }
    return result


def has_changes(diff: dict[str, Any]) -> bool:
    summary = diff["summary"]
    return any(summary[key] for key in ("added", "changed", "removed", "outputs_changed"))


def _identity(resource: dict[str, Any]) -> dict[str, Any]:
    return {"type": resource["type"], "name": resource["name"]}


def _value_changes(old: Any, new: Any, path: str) -> list[dict[str, Any]]:
    """Leaf-level differences: `{"path": "productionVariants[0].instanceType", "kind", "old", "new"}`."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(old.keys() | new.keys()):
            child = f"{path}.{key}" if path else key
            changes += _value_changes(old.get(key, _ABSENT), new.get(key, _ABSENT), child)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            changes += _value_changes(
                old[index] if index < len(old) else _ABSENT,
                new[index] if index < len(new) else _ABSENT,
                f"{path}[{index}]",
            )
        return changes
    if old is _ABSENT and new is _ABSENT or old == new:
        return []
    kind = "added" if old is _ABSENT else "removed" if new is _ABSENT else "changed"
    return [
        {
            "path": path,
            "kind": kind,
            "old": None if old is _ABSENT else old,
            "new": None if new is _ABSENT else new,
        }
    ]


# -- rendering --------------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _change_cells(change: dict[str, Any]) -> tuple[str, str]:
    old = "(absent)" if change["kind"] == "added" else _short(change["old"])
    new = "(absent)" if change["kind"] == "removed" else _short(change["new"])
    return old, new


def _headline(diff: dict[str, Any]) -> str:
    summary = diff["summary"]
    text = (
        f"{summary['added']} to add, {summary['changed']} to change, {summary['removed']} to remove, "
        f"{summary['unchanged']} unchanged; {summary['outputs_changed']} output changes"
    )
    if "cost" in diff:
        cost = diff["cost"]
        text += (
            f"; monthly cost ${cost['old_monthly_usd']:,.2f} -> ${cost['new_monthly_usd']:,.2f} "
            f"({cost['delta_monthly_usd']:+,.2f})"
        )
    return text


def diff_to_markdown(diff: dict[str, Any]) -> str:
    """The diff as a Markdown section (one per stack) for a pull request comment."""
    lines = [f"### Stack `{diff['stack']}`", "", _headline(diff), ""]
    if not has_changes(diff):
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    rows = [("+", entry, None) for entry in diff["added"].values()]
    rows += [("~", entry, change) for entry in diff["changed"].values() for change in entry["changes"]]
    rows += [("-", entry, None) for entry in diff["removed"].values()]
    if rows:
        lines += ["| | resource | type | input | old | new |", "|---|---|---|---|---|---|"]
        for sign, entry, change in rows[:MAX_MARKDOWN_ROWS]:
            old, new = _change_cells(change) if change else ("", "")
            path = change["path"] if change else ""
            lines.append(
                f"| {sign} | `{_cell(entry['name'])}` | `{_cell(entry['type'])}` "
                f"| {_code(path)} | {_code(old)} | {_code(new)} |"
            )
        if len(rows) > MAX_MARKDOWN_ROWS:
            lines.append(f"\n... and {len(rows) - MAX_MARKDOWN_ROWS} more rows: see the plan artifact.")
        lines.append("")
    if diff["outputs_changed"]:
        lines += ["| output | old | new |", "|---|---|---|"]
        for change in diff["outputs_changed"]:
            old, new = _change_cells(change)
            lines.append(f"| `{_cell(change['path'])}` | {_code(old)} | {_code(new)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # A pipe ends a Markdown table cell and a backtick ends inline code; a newline ends the row.
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""


def render_diff(diff: dict[str, Any], console: Console) -> None:
    """Print the diff as a table in the terminal."""
    table = Table(title=f"plan diff for stack {diff['stack']}: {_headline(diff)}")
    for column in ("", "resource", "type", "input / output", "old", "new"):
        table.add_column(column, overflow="fold")
    # Values are data, not markup: Text keeps a "[secret]" or "[0]" from being read as rich styling.
    for entry in diff["added"].values():
        table.add_row(Text("+", style="green"), Text(entry["name"]), Text(entry["type"]))
    for entry in diff["changed"].values():
        for change in entry["changes"]:
            old, new = _change_cells(change)
            table.add_row(
                Text("~", style="yellow"),
                Text(entry["name"]),
                Text(entry["type"]),
                Text(change["path"]),
                Text(old),
                Text(new),
            )
    for entry in diff["removed"].values():
        table.add_row(Text("-", style="red"), Text(entry["name"]), Text(entry["type"]))
    for change in diff["outputs_changed"]:
        old, new = _change_cells(change)
        table.add_row(
            Text("~", style="yellow"),
            Text("(stack output)"),
            Text(""),
            Text(change["path"]),
            Text(old),
            Text(new),
        )
    console.print(table)
