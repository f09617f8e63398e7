"""The structure of a SageMaker Pipeline definition (parameters, step names and types, what each step waits for,
property files, branches) and the differences between two definitions' structures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelyard.pipelines.definition.local_executor import execution_plan


def definition_structure(definition: Mapping[str, Any]) -> dict[str, Any]:
    """{"parameters": {name: {"type", "default"}}, "steps": {name: {"type", "depends_on", "branch",
    "property_files"}}}; a step depends on its DependsOn, the steps its arguments read, and its branch's
    condition (as the local executor reads them)."""
    parameters = {
        parameter["Name"]: {"type": parameter["Type"], "default": parameter.get("DefaultValue")}
        for parameter in definition.get("Parameters", [])
    }
    steps = {
        step.name: {
            "type": step.definition["Type"],
            "depends_on": sorted(step.depends_on),
            "branch": list(step.branch) if step.branch else None,
            "property_files": sorted(
                item["PropertyFileName"] for item in step.definition.get("PropertyFiles", [])
            ),
        }
        # Only the step graph: top-level settings the SDK adds (PipelineExperimentConfig, MlflowConfig) are not
        # structure, and the local executor refuses what it does not honour.
        for step in execution_plan(
            {key: definition[key] for key in ("Version", "Parameters", "Steps") if key in definition}
        )
    }
    return {"parameters": parameters, "steps": steps}


def structure_differences(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """One line per difference between two structures: `<section> <name>[.<field>]: ours X, theirs Y`."""
    differences = []
    for section in ("parameters", "steps"):
        for name in sorted(set(ours[section]) | set(theirs[section])):
            mine, other = ours[section].get(name), theirs[section].get(name)
            if mine is None or other is None:
                differences.append(f"{section} {name}: {'ours only' if other is None else 'theirs only'}")
                continue
            differences += [
                f"{section} {name}.{field}: ours {mine.get(field)!r}, theirs {other.get(field)!r}"
                for field in sorted(set(mine) | set(other))
                if mine.get(field) != other.get(field)
            ]
    return differences
