"""The SDK, given the stack's outputs and settings, builds a pipeline of the same structure as our compiler's."""

from __future__ import annotations

import pytest

pytest.importorskip("sagemaker")

from moto import mock_aws  # noqa: E402

from modelyard.pipelines.sagemaker_sdk.definition_structure import (  # noqa: E402
    definition_structure,
    structure_differences,
)
from modelyard.pipelines.sagemaker_sdk.pipeline_twin import sdk_definition  # noqa: E402
from modelyard.stacks.config import load_stack_config  # noqa: E402
from modelyard.stacks.pipeline_settings import pipeline_settings  # noqa: E402
from modelyard.workflow.compiler import compile_definition  # noqa: E402


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_sdk_pipeline_has_our_structure(offline_aws, fixture_outputs, stack):
    settings = pipeline_settings(load_stack_config(stack), fixture_outputs)
    ours = definition_structure(compile_definition(fixture_outputs, settings))
    with mock_aws():
        theirs = definition_structure(sdk_definition(fixture_outputs, settings))
    assert structure_differences(ours, theirs) == []
    assert len(theirs["steps"]) == 8 and theirs["parameters"]["TrainingInstanceCount"]["default"] == (
        settings.training_instance_count
    )
