"""The plan as Terraform-plan JSON: valid for every shipped stack and a foreign program, and read by checkov as
Terraform would have written it (types, snake_case attributes, blocks as lists, references between resources)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from checkov_runner import checkov

from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, Plan, plan_program
from modelyard.planning.recorder import RecordedResource
from modelyard.planning.terraform_plan import terraform_plan
from modelyard.policies.checkov_skips import load_skips

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SKIPS = load_skips()


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def stack_plan(request) -> Plan:
    return plan_program(DEFAULT_PROGRAM_DIR, request.param)


@pytest.fixture(scope="module")
def insecure_plan() -> Plan:
    return plan_program(EXAMPLES / "insecure_program", "dev")


def _modules(module: dict[str, Any]):
    yield module
    for child in module.get("child_modules", []):
        yield from _modules(child)


def _configured(module: dict[str, Any], path: tuple[str, ...] = ()):
    for resource in module.get("resources", []):
        yield path, resource
    for name, call in module.get("module_calls", {}).items():
        yield from _configured(call["module"], (*path, name))


def assert_valid_terraform_plan(document: dict[str, Any]) -> None:
    """What `terraform show -json` guarantees and scanners rely on."""
    assert document["format_version"] == "1.2"
    assert re.fullmatch(r"1\.\d+\.\d+", document["terraform_version"])
    planned = {
        resource["address"]: resource
        for module in _modules(document["planned_values"]["root_module"])
        for resource in module["resources"]
    }
    changes = {change["address"]: change for change in document["resource_changes"]}
    assert set(planned) == set(changes)
    local_addresses = set()
    for address, resource in planned.items():
        assert re.fullmatch(r"aws_[a-z0-9_]+", resource["type"]), resource["type"]
        assert address.endswith(f"{resource['type']}.{resource['name']}")
        assert resource["mode"] == "managed"
        change = changes[address]["change"]
        assert change["actions"] == ["create"] and change["before"] is None
        assert change["after"] == resource["values"]
        local_addresses.add(f"{resource['type']}.{resource['name']}")
    # Scanners key their graph by type.name: unique across modules.
    assert len(local_addresses) == len(planned)
    configured = list(_configured(document["configuration"]["root_module"]))
    assert {".".join([*(f"module.{name}" for name in path), r["address"]]) for path, r in configured} == set(
        planned
    )
    for _, resource in configured:
        for attribute, expression in resource["expressions"].items():
            for reference in expression.get("references", []):
                target = ".".join(reference.split(".")[:2])
                assert target in local_addresses, f"{resource['address']}.{attribute} -> {reference}"


def _changes(document: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [change for change in document["resource_changes"] if change["type"] == resource_type]


def _expressions(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(
        r["expressions"]
        for path, r in _configured(document["configuration"]["root_module"])
        if address.endswith(r["address"])
    )


def test_shipped_stack_exports_valid_terraform_plan_json_with_every_aws_resource(stack_plan):
    export = terraform_plan(stack_plan)
    assert_valid_terraform_plan(export.document)
    aws_resources = [r for r in stack_plan.resources if r.custom and r.type.startswith("aws:")]
    assert export.aws_resources == export.exported == len(aws_resources)
    json.dumps(export.document)  # plain JSON all the way down


def test_components_become_modules_and_computed_inputs_reference_their_resource(stack_plan):
    document = terraform_plan(stack_plan).document
    modules = [m.get("address") for m in _modules(document["planned_values"]["root_module"])]
    assert f"module.artifact_store-modelyard-{stack_plan.stack}" in modules
    for block in _changes(document, "aws_s3_bucket_public_access_block"):
        # The bucket's id does not exist before the bucket: unknown in the plan, and a reference in the config.
        assert block["change"]["after_unknown"]["bucket"] is True and "bucket" not in block["change"]["after"]
        (reference, target) = _expressions(document, block["address"])["bucket"]["references"]
        assert (
            reference.startswith("aws_s3_bucket.") and reference.endswith(".id") and target == reference[:-3]
        )


def test_attributes_are_snake_case_and_blocks_are_lists(stack_plan):
    document = terraform_plan(stack_plan).document
    (cluster,) = _changes(document, "aws_eks_cluster")
    after = cluster["change"]["after"]
    assert isinstance(after["encryption_config"], list) and len(after["encryption_config"]) == 1
    assert after["encryption_config"][0]["resources"] == ["secrets"]
    assert isinstance(after["tags"], dict)  # a map stays a map
    for encryption in _changes(document, "aws_s3_bucket_server_side_encryption_configuration"):
        (rule,) = encryption["change"]["after"]["rule"]  # Pulumi's `rules`, Terraform's `rule` block
        assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] in ("aws:kms", "AES256")
    for template in _changes(document, "aws_launch_template"):
        assert template["change"]["after"]["metadata_options"][0]["http_tokens"] == "required"


@pytest.mark.slow
def test_checkov_reads_the_shipped_stack_export_and_fails_only_listed_skips(stack_plan, tmp_path):
    export = terraform_plan(stack_plan)
    target = tmp_path / f"{stack_plan.stack}.tfplan.json"
    target.write_text(json.dumps(export.document))
    run = checkov("terraform_plan", target)
    assert run.parsing_errors == 0
    assert run.resource_count >= 0.9 * export.aws_resources
    assert run.checks_run >= 400
    assert {check.check_id for check in run.failed} <= set(SKIPS), [
        c for c in run.failed if c.check_id not in SKIPS
    ]


def test_foreign_program_exports_valid_terraform_plan_json(insecure_plan):
    export = terraform_plan(insecure_plan)
    assert_valid_terraform_plan(export.document)
    assert export.exported == export.aws_resources == 8
    (block,) = _changes(export.document, "aws_s3_bucket_public_access_block")
    assert block["change"]["after"]["block_public_acls"] is False
    (cluster,) = _changes(export.document, "aws_eks_cluster")
    assert cluster["change"]["after"]["vpc_config"][0]["public_access_cidrs"] == ["0.0.0.0/0"]


@pytest.mark.slow
def test_checkov_finds_what_is_insecure_in_a_foreign_program(insecure_plan, tmp_path):
    target = tmp_path / "insecure.tfplan.json"
    target.write_text(json.dumps(terraform_plan(insecure_plan).document))
    run = checkov("terraform_plan", target)
    failed = {check.check_id for check in run.failed}
    assert run.parsing_errors == 0 and run.resource_count == 8
    # Public access block off, an open EKS endpoint without secrets encryption, "*" on "*", an endpoint
    # configuration without a KMS key: each seen through the Terraform names and blocks of the export.
    assert {"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"} <= failed
    assert {"CKV_AWS_38", "CKV_AWS_39", "CKV_AWS_58"} <= failed
    assert {"CKV_AWS_98", "CKV_AWS_355"} <= failed


def _recorded(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    depends: dict[str, list[str]] | None = None,
    outputs: dict[str, Any] | None = None,
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:dev::p::{type_}::{name}",
        type=type_,
        name=name,
        parent=None,
        custom=True,
        inputs=inputs,
        dependencies=sorted({urn for urns in (depends or {}).values() for urn in urns}),
        property_dependencies=depends or {},
        provider=None,
        protect=False,
        retain_on_delete=False,
        id=name if outputs is None else outputs.get("id"),
        outputs=outputs or {},
    )


def _bucket_with_block(bucket_input: str) -> Plan:
    bucket = _recorded(
        "aws:s3/bucket:Bucket",
        "data",
        {"bucket": "data-1"},
        outputs={"id": "data-1", "arn": "arn:aws:s3:::data-1"},
    )
    block = _recorded(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "data-block",
        {
            "bucket": bucket_input,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        depends={"bucket": [bucket.urn]},
    )
    return Plan(stack="dev", project="p", region="us-east-1", resources=[bucket, block], outputs={})


@pytest.mark.parametrize("bucket_input", ["data-1", "<unknown>"])
def test_an_input_read_from_another_resource_is_unknown_and_a_reference(bucket_input):
    """Resolved by the mocks (the bucket's id) or left unknown as a preview leaves it: either way Terraform's
    form, an unknown `bucket` with a reference to the bucket's id."""
    document = terraform_plan(_bucket_with_block(bucket_input)).document
    block = next(c for c in document["resource_changes"] if c["type"] == "aws_s3_bucket_public_access_block")
    assert (
        block["change"]["after_unknown"] == {"bucket": True}
        and block["change"]["after"].get("bucket") is None
    )
    expressions = _expressions(document, block["address"])
    assert expressions["bucket"]["references"] == ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]
    assert expressions["block_public_acls"] == {"constant_value": True}


@pytest.mark.slow
@pytest.mark.parametrize("bucket_input", ["data-1", "<unknown>"])
def test_checkov_connects_the_bucket_to_its_public_access_block(bucket_input, tmp_path):
    target = tmp_path / "plan.json"
    target.write_text(json.dumps(terraform_plan(_bucket_with_block(bucket_input)).document))
    run = checkov("terraform_plan", target)
    assert "CKV2_AWS_6" not in {
        check.check_id for check in run.failed
    }  # "S3 bucket has a Public Access block"
    # The control: the same bucket without its block fails that check.
    alone = _bucket_with_block(bucket_input)
    alone.resources = alone.resources[:1]
    target.write_text(json.dumps(terraform_plan(alone).document))
    assert "CKV2_AWS_6" in {check.check_id for check in checkov("terraform_plan", target).failed}
