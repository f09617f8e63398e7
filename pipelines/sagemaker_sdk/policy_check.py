"""Judges a CreateTrainingJob request by the policy pack's rules on pipeline training steps, as if it were the
pipeline's TrainModel step: MY-SM-007 (inter-container encryption), MY-SM-008 (GPU allow-list), MY-SM-013
(model artifacts encrypted with a KMS key)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import Enforcement, ResourceRule
from modelyard.policies.rules.sagemaker import PIPELINE_TYPES
from modelyard.policies.rules.sagemaker import RULES as SAGEMAKER_RULES
from modelyard.workflow.compiler import DEFINITION_VERSION, TRAIN

PIPELINE_TYPE = next(iter(PIPELINE_TYPES))
TRAINING_STEP_RULES = tuple(
    rule
    for rule in SAGEMAKER_RULES
    if isinstance(rule, ResourceRule) and rule.resource_types & PIPELINE_TYPES
)


@dataclass(frozen=True)
class TrainingJobFinding:
    """One rule the request breaks, with the rule's enforcement on the stack."""

    rule_id: str
    enforcement: Enforcement
    message: str


def training_job_findings(request: Mapping[str, Any], stack: str) -> list[TrainingJobFinding]:
    """Every finding of the training-step rules enforced on `stack` (dev, staging, prod; others are held to prod)
    for `request` (CreateTrainingJob parameters, with or without TrainingJobName)."""
    arguments = {key: value for key, value in request.items() if key != "TrainingJobName"}
    definition = {
        "Version": DEFINITION_VERSION,
        "Steps": [{"Name": TRAIN, "Type": "Training", "Arguments": arguments}],
    }
    pipeline = Resource(
        urn=f"urn:pulumi:{stack}::modelyard::{PIPELINE_TYPE}::sdk-training-job",
        type=PIPELINE_TYPE,
        name="sdk-training-job",
        inputs={"pipelineDefinition": json.dumps(definition)},
    )
    resources = StackResources([pipeline])
    findings = []
    for rule in TRAINING_STEP_RULES:
        enforcement = rule.levels.for_stack(stack)
        if enforcement == "disabled":
            continue
        findings += [
            TrainingJobFinding(rule.id, enforcement, finding.message)
            for finding in rule.run(resources).findings
        ]
    return findings
