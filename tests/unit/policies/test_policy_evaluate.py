"""The offline host: evaluate()'s report shape, enforcement per stack, and clear errors on bad input."""

from __future__ import annotations

import policy_records as r
import pytest

from modelyard.policies import evaluate
from modelyard.policies.resources import ResourceRecordError
from modelyard.policies.rules import RULES

UNLOGGED = r.bucket("scratch")  # fails MY-S3-008, which is advisory in dev
SINGLE_INSTANCE = r.endpoint_config(variants=[r.variant(count=1)])  # fails MY-SM-006, disabled in dev


def _violations(report: dict, rule_id: str) -> list[dict]:
    return [violation for violation in report["violations"] if violation["rule_id"] == rule_id]


def test_report_shape_and_violation_fields():
    report = evaluate([UNLOGGED], "prod")
    assert set(report) == {"violations", "rules_evaluated", "results", "outcomes"}
    assert report["rules_evaluated"] == len(RULES)
    assert sum(report["results"].values()) == report["rules_evaluated"]
    assert _violations(report, "MY-S3-008") == [
        {
            "rule_id": "MY-S3-008",
            "severity": "medium",
            "enforcement": "mandatory",
            "urn": UNLOGGED["urn"],
            "type": "aws:s3/bucket:Bucket",
            "name": "scratch",
            "message": "no aws.s3.BucketLogging has this bucket as its source or its target, so access is not logged",
        }
    ]
    assert report["outcomes"]["MY-S3-008"] == "fail"
    assert report["outcomes"]["MY-ECR-001"] == "not_applicable"


@pytest.mark.parametrize(
    ("stack", "enforcement"),
    [
        ("dev", "advisory"),
        ("staging", "mandatory"),
        ("prod", "mandatory"),
        ("team-sandbox", "mandatory"),
    ],
)
def test_enforcement_follows_the_stack(stack, enforcement):
    [violation] = _violations(evaluate([UNLOGGED], stack), "MY-S3-008")
    assert violation["enforcement"] == enforcement


def test_rules_disabled_in_dev_are_not_evaluated_there():
    dev = evaluate([SINGLE_INSTANCE], "dev")
    assert _violations(dev, "MY-SM-006") == []
    assert dev["outcomes"]["MY-SM-006"] == "disabled"
    assert dev["rules_evaluated"] == len(RULES) - sum(rule.levels.dev == "disabled" for rule in RULES)
    [staging] = _violations(evaluate([SINGLE_INSTANCE], "staging"), "MY-SM-006")
    assert staging["enforcement"] == "mandatory"


@pytest.mark.parametrize(("stack", "enforcement"), [("dev", "advisory"), ("prod", "mandatory")])
def test_cost_ceiling_is_a_stack_level_finding(stack, enforcement):
    report = evaluate([], stack, cost={"total_monthly_usd": 5000.0, "ceiling_usd": 3000.0})
    assert _violations(report, "MY-COST-001") == [
        {
            "rule_id": "MY-COST-001",
            "severity": "medium",
            "enforcement": enforcement,
            "urn": None,
            "type": "pulumi:pulumi:Stack",
            "name": stack,
            "message": "estimated monthly cost $5,000.00 exceeds the stack's ceiling $3,000.00",
        }
    ]


def test_cost_rule_is_not_applicable_without_an_estimate():
    assert evaluate([], "prod")["outcomes"]["MY-COST-001"] == "not_applicable"


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ({"ceiling_usd": 10.0}, "cost.total_monthly_usd must be a number, got None"),
        (
            {"total_monthly_usd": "12", "ceiling_usd": 10.0},
            "cost.total_monthly_usd must be a number, got '12'",
        ),
        (
            {"total_monthly_usd": 12.0, "ceiling_usd": "ten"},
            "cost.ceiling_usd must be a number or None, got 'ten'",
        ),
        ([12.0], "cost must be a dict or None, got list"),
    ],
)
def test_bad_cost_is_rejected_by_field(cost, message):
    with pytest.raises(TypeError) as raised:
        evaluate([], "prod", cost=cost)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([{"type": "aws:s3/bucket:Bucket", "name": "x", "inputs": {}}], "resources[0] lacks urn"),
        (
            [r.bucket(), {"urn": "u", "type": "t", "name": "n", "inputs": []}],
            "resources[1].inputs must be a dict, got list",
        ),
        (["bucket"], "resources[0] must be a dict, got str"),
    ],
)
def test_malformed_records_are_rejected_by_index(resources, message):
    with pytest.raises(ResourceRecordError) as raised:
        evaluate(resources, "prod")
    assert str(raised.value) == message


def test_stack_must_be_named():
    with pytest.raises(ValueError, match="stack must be a non-empty string, got ''"):
        evaluate([], "")


def test_property_dependencies_pair_companions_precisely():
    # Without per-property dependencies a BucketLogging depending on both buckets would also "cover" a third;
    # with them, only the bucket named in `bucket`/`targetBucket` is paired.
    data, logs, other = r.bucket("data"), r.bucket("logs"), r.bucket("other")
    logging = r.access_logging(data, logs)
    logging["dependencies"].append(other["urn"])
    logging["property_dependencies"] = {"bucket": [data["urn"]], "targetBucket": [logs["urn"]]}
    report = evaluate([data, logs, other, logging], "prod")
    assert [violation["name"] for violation in _violations(report, "MY-S3-008")] == ["other"]


def test_known_ids_pair_companions_by_value():
    data = r.record("aws:s3/bucket:Bucket", "data", {"tags": r.TAGS}, resource_id="data-7f3a9c1")
    other = r.record("aws:s3/bucket:Bucket", "other", {"tags": r.TAGS}, resource_id="other-0d2e4b6")
    block = r.record(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "pab",
        {
            "bucket": "data-7f3a9c1",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        depends_on=(data, other),
    )
    report = evaluate([data, other, block], "prod")
    assert [violation["name"] for violation in _violations(report, "MY-S3-001")] == ["other"]
