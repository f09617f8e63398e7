"""The identity-policy evaluator the local run and the execution-role rules use, against AWS's documented logic."""

from __future__ import annotations

import pytest

from modelyard.policies.iam_evaluation import (
    AuthorizationRequest,
    NamedPolicy,
    PolicyEvaluationError,
    allowed_action_patterns,
    evaluate,
)

BUCKET = "arn:aws:s3:::data-bucket"
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/ProcessingJobs"


def policy(*statements, name="inline"):
    return NamedPolicy.parse(name, {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Sid": extra.pop("Sid", "S"), "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def decide(policies, action, resource="*", **context):
    return evaluate(policies, AuthorizationRequest(action, resource, context))


def test_implicit_deny_without_a_matching_statement():
    decision = decide([policy(allow("s3:GetObject", f"{BUCKET}/*"))], "s3:PutObject", f"{BUCKET}/key")
    assert not decision.allowed and not decision.explicit_deny
    assert decision.reason == "because no identity-based policy allows the s3:PutObject action"


def test_allow_is_case_insensitive_on_actions_and_takes_wildcards():
    policies = [policy(allow("S3:get*", f"{BUCKET}/*", Sid="Read"))]
    decision = decide(policies, "s3:GetObject", f"{BUCKET}/a/b.csv")
    assert (
        decision.allowed and decision.matched.sid == "Read" and decision.matched.action_pattern == "S3:get*"
    )


def test_arns_are_case_sensitive_and_wildcards_stay_in_their_segment():
    policies = [policy(allow("sagemaker:DescribeEndpoint", "arn:aws:sagemaker:*:123456789012:endpoint/my-*"))]
    assert decide(
        policies, "sagemaker:DescribeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-ep"
    ).allowed
    assert not decide(
        policies, "sagemaker:DescribeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/MY-EP"
    ).allowed
    # '*' in the region segment does not swallow the account.
    assert not decide(
        policies,
        "sagemaker:DescribeEndpoint",
        "arn:aws:sagemaker:us-east-1:999:x:123456789012:endpoint/my-ep",
    ).allowed


def test_the_resource_part_may_span_colons():
    policies = [policy(allow("logs:PutLogEvents", f"{LOGS}*"))]
    assert decide(policies, "logs:PutLogEvents", f"{LOGS}:log-stream:job/algo-1").allowed


def test_explicit_deny_wins_over_allow():
    policies = [
        policy(allow("s3:*", "*")),
        policy({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}, name="guard"),
    ]
    decision = decide(policies, "s3:DeleteObject", f"{BUCKET}/k")
    assert not decision.allowed and decision.explicit_deny
    assert decision.reason == "with an explicit deny in guard statement NoDelete"


def test_not_action_and_not_resource():
    policies = [
        policy({"Sid": "All", "Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret/*"})
    ]
    assert decide(policies, "s3:GetObject", f"{BUCKET}/public/x").allowed
    assert not decide(policies, "iam:PassRole", "arn:aws:iam::123456789012:role/r").allowed
    assert not decide(policies, "s3:GetObject", f"{BUCKET}/secret/x").allowed


@pytest.mark.parametrize(
    ("condition", "context", "allowed"),
    [
        (
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            {"iam:PassedToService": "sagemaker.amazonaws.com"},
            True,
        ),
        (
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            {"iam:PassedToService": "lambda.amazonaws.com"},
            False,
        ),
        # A positive operator never matches a key the request lacks.
        ({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}, {}, False),
        ({"StringEqualsIfExists": {"iam:PassedToService": "sagemaker.amazonaws.com"}}, {}, True),
        (
            {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "Modelyard/Drift"]}},
            {"cloudwatch:namespace": "Modelyard/Drift"},
            True,
        ),
        (
            {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            {"cloudwatch:namespace": "Other"},
            False,
        ),
        (
            {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            {"aws:RequestedRegion": "us-east-1"},
            True,
        ),
        (
            {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            {"aws:RequestedRegion": "eu-west-1"},
            False,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:123456789012:*"}},
            {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/x"},
            True,
        ),
        ({"Bool": {"kms:GrantIsForAWSResource": "true"}}, {"kms:GrantIsForAWSResource": "true"}, True),
        ({"Bool": {"kms:GrantIsForAWSResource": True}}, {"kms:GrantIsForAWSResource": "false"}, False),
        # Condition keys are case-insensitive; two keys must both match.
        ({"StringEquals": {"S3:Prefix": "a/", "s3:delimiter": "/"}}, {"s3:prefix": "a/"}, False),
    ],
)
def test_conditions(condition, context, allowed):
    policies = [policy(allow("x:Do", "*", Condition=condition))]
    assert decide(policies, "x:Do", "*", **context).allowed is allowed


def test_unknown_operators_and_malformed_statements_are_errors_not_silent_denies():
    with pytest.raises(PolicyEvaluationError, match="NumericLessThan"):
        decide([policy(allow("x:Do", Condition={"NumericLessThan": {"k": "1"}}))], "x:Do", k="0")
    with pytest.raises(PolicyEvaluationError, match="Resource or NotResource"):
        decide([policy({"Effect": "Allow", "Action": "x:Do"})], "x:Do")
    with pytest.raises(PolicyEvaluationError, match="no Statement"):
        NamedPolicy.parse("empty", "{}")


def test_allowed_action_patterns_lists_every_granted_pattern():
    policies = [
        policy(
            allow(["s3:GetObject", "s3:PutObject"], Sid="Objects"),
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        )
    ]
    assert [(m.sid, m.action_pattern) for m in allowed_action_patterns(policies)] == [
        ("Objects", "s3:GetObject"),
        ("Objects", "s3:PutObject"),
    ]
