"""The structure diff between two pipeline definitions names every difference (runs without the SDK)."""

from __future__ import annotations

import copy

from modelyard.pipelines.sagemaker_sdk.definition_structure import definition_structure, structure_differences
from modelyard.workflow.compiler import compile_definition
from modelyard.workflow.settings import PipelineSettings


def compiled(outputs) -> dict:
    return compile_definition(outputs, PipelineSettings(pipeline_name=outputs.pipeline_name))


def test_the_compiled_structure(fixture_outputs):
    structure = definition_structure(compiled(fixture_outputs))
    assert structure["steps"]["TrainModel"] == {
        "type": "Training",
        "depends_on": ["IngestData"],
        "branch": None,
        "property_files": [],
    }
    assert structure["steps"]["MonitorDrift"]["depends_on"] == [
        "CheckEvaluation",
        "DeployModel",
        "IngestData",
    ]
    assert structure["steps"]["EvaluationGateFailed"]["branch"] == ["CheckEvaluation", False]
    assert structure["parameters"]["SplitSeed"] == {"type": "Integer", "default": 0}
    assert structure_differences(structure, structure) == []


def test_every_kind_of_drift_is_named(fixture_outputs):
    ours = compiled(fixture_outputs)
    theirs = copy.deepcopy(ours)
    theirs["Parameters"][1]["DefaultValue"] = 7
    theirs["Parameters"].pop()  # ImageTag
    gate = theirs["Steps"][3]["Arguments"]
    gate["IfSteps"][2].pop("DependsOn")  # the monitor no longer waits for the deploy
    gate["ElseSteps"][0]["Name"] = "GateFailed"
    assert structure_differences(definition_structure(ours), definition_structure(theirs)) == [
        "parameters ImageTag: ours only",
        "parameters SplitSeed.default: ours 0, theirs 7",
        "steps EvaluationGateFailed: ours only",
        "steps GateFailed: theirs only",
        "steps MonitorDrift.depends_on: ours ['CheckEvaluation', 'DeployModel', 'IngestData'], "
        "theirs ['CheckEvaluation', 'IngestData']",
    ]
