"""The example program imports two Modelyard components into a fresh Pulumi program, and plans offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.planning.engine import ProgramError, plan_program

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two_components"


def test_example_plans_both_components_with_the_stack_config():
    plan = plan_program(EXAMPLE, "dev")

    assert plan.project == "two-components"
    assert plan.region == "eu-west-1"
    by_type = {}
    for resource in plan.resources:
        by_type.setdefault(resource.type, []).append(resource)
    (key,) = by_type["modelyard:keys:EncryptionKey"]
    (store,) = by_type["modelyard:storage:ArtifactStore"]
    assert key.name == "fraud-data" and store.name == "fraud-dev"
    assert len(by_type["aws:s3/bucket:Bucket"]) == 4
    assert all(bucket.parent == store.urn for bucket in by_type["aws:s3/bucket:Bucket"])
    assert all(bucket.inputs["tags"]["owner"] == "fraud-ml" for bucket in by_type["aws:s3/bucket:Bucket"])
    assert plan.outputs["key_arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert plan.outputs["datasets_bucket"].startswith("fraud-dev-datasets-")

    grants = {
        policy.name: json.loads(policy.inputs["policy"])
        for policy in by_type["aws:iam/rolePolicy:RolePolicy"]
    }
    assert set(grants) == {
        "fraud-dev-datasets-read-fraud-trainer-fraud",
        "fraud-dev-artifacts-read-write-fraud-trainer-fraud",
    }
    objects = next(
        s for s in grants["fraud-dev-datasets-read-fraud-trainer-fraud"]["Statement"] if s["Sid"] == "Objects"
    )
    assert objects["Resource"] == f"arn:aws:s3:::{plan.outputs['datasets_bucket']}/fraud/*"


def test_example_without_its_required_config_fails_naming_the_key(tmp_path):
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  aws:region: eu-west-1\n  two-components:owner: fraud-ml\n")

    with pytest.raises(ProgramError, match="costCenter"):
        plan_program(EXAMPLE, "dev", config_file=config)
