"""The hand-written dev outputs the definition unit tests use have exactly the shape of the offline plan's outputs."""

from __future__ import annotations

import json
from pathlib import Path

from modelyard.catalog.outputs import StackOutputs
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "stack-outputs-dev.json"


def test_fixture_has_the_keys_and_value_types_of_the_dev_plans_outputs():
    planned = plan_program(DEFAULT_PROGRAM_DIR, "dev").outputs
    written = json.loads(FIXTURE.read_text())

    assert sorted(written) == sorted(planned), (
        "tests/fixtures/stack-outputs-dev.json drifted from the plan's outputs"
    )
    assert sorted(written) == sorted(StackOutputs.model_fields)
    from_plan, from_fixture = StackOutputs.model_validate(planned), StackOutputs.model_validate(written)
    for key in StackOutputs.model_fields:
        assert type(getattr(from_fixture, key)) is type(getattr(from_plan, key)), key
    # The same stack: only generated names and ids may differ.
    for key in (
        "environment",
        "region",
        "account_id",
        "training_instance_type",
        "training_instance_count",
        "inference_instance_type",
        "inter_container_traffic_encryption",
        "endpoint_name",
        "pipeline_name",
        "model_package_group_name",
        "deploy_function_name",
        "drift_metric_namespace",
    ):
        assert getattr(from_fixture, key) == getattr(from_plan, key), key
