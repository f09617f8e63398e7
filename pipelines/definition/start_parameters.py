"""The parameter values an execution starts with, checked against the choices compiled into the definition."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelyard.catalog.instance_types import has_local_storage
from modelyard.pipelines.definition.local_executor import DefinitionError, resolve_parameters
from modelyard.workflow.settings import PipelineSettings


def start_parameters(
    definition: Mapping[str, Any], settings: PipelineSettings, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The execution's parameter values, refused (DefinitionError, before anything starts) when a value makes a
    request AWS would reject or a job the definition cannot run.

    Two choices are compiled in from the settings, not from the parameters: whether the jobs send the stack's
    VolumeKmsKeyId (SageMaker refuses one for instance types with local NVMe storage, and without it a type with
    EBS storage would lose the customer key), and the training entry point (only the PyTorch one runs on several
    instances). An override must keep each choice valid; recompile with other settings to change them.
    """
    values = resolve_parameters(definition, overrides)
    problems = []
    for name, compiled_type in (
        ("ProcessingInstanceType", settings.processing_instance_type),
        ("TrainingInstanceType", settings.training_instance_type),
    ):
        value = values[name]
        if not re.fullmatch(r"ml\.[a-z0-9\-]+\.[a-z0-9]+", value):
            problems.append(f"{name}={value!r} is not a SageMaker instance type (ml.<family>.<size>)")
        elif has_local_storage(value) != has_local_storage(compiled_type):
            storage = "local NVMe storage" if has_local_storage(value) else "EBS storage only"
            sent = "without" if has_local_storage(compiled_type) else "with"
            problems.append(
                f"{name}={value} has {storage}, but the definition was compiled for {compiled_type}, "
                f"{sent} a VolumeKmsKeyId; choose a type like {compiled_type} or recompile with "
                f"{name} set in the stack config"
            )
    if values["TrainingInstanceCount"] > 1 and settings.framework != "torch":
        problems.append(
            f"TrainingInstanceCount={values['TrainingInstanceCount']}: the definition trains with the "
            f"{settings.framework} entry point, which runs on one instance; set the stack's "
            "training.sagemaker_instance_count above 1 to compile the PyTorch entry point"
        )
    if problems:
        raise DefinitionError("; ".join(problems))
    return values
