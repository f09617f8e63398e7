"""EncryptionKey: rotation, deletion window, a key policy without wildcard principals, grant helpers."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from modelyard.components import ComponentArgsError, EncryptionKey, EncryptionKeyArgs
from modelyard.components.keys import key_use_statement

ROOT = "arn:aws:iam::123456789012:root"


def test_key_is_rotated_aliased_and_parented(program, tags):
    run = program(lambda: EncryptionKey("data", EncryptionKeyArgs(alias="modelyard-unit-data", tags=tags)))

    assert run.error is None
    component = run.one("modelyard:keys:EncryptionKey")
    key = run.one("aws:kms/key:Key")
    alias = run.one("aws:kms/alias:Alias")
    assert {resource.name for resource in run.children_of(component)} == {"data-key", "data-alias"}
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["tags"] == tags
    assert alias.inputs["name"] == "alias/modelyard-unit-data"
    assert alias.inputs["targetKeyId"] == key.id


def test_key_policy_names_the_account_and_no_wildcard_principal(program, tags):
    run = program(lambda: EncryptionKey("data", EncryptionKeyArgs(alias="unit", tags=tags)))

    statements = run.statements(run.one("aws:kms/key:Key"))
    assert [statement["Sid"] for statement in statements] == ["AccountAdministersKey", "IamPoliciesGrantUse"]
    for statement in statements:
        assert statement["Principal"] == {"AWS": ROOT}
        assert all("*" not in action for action in statement["Action"]), statement["Action"]
    assert "kms:PutKeyPolicy" in statements[0]["Action"]
    assert "kms:Decrypt" not in statements[0]["Action"]
    assert "kms:Decrypt" in statements[1]["Action"]


def test_service_principals_are_conditioned_on_this_account(program, tags):
    args = EncryptionKeyArgs(alias="unit", tags=tags, services=["logs", "cloudwatch"])
    run = program(lambda: EncryptionKey("data", args), region="eu-west-1")

    by_sid = {statement["Sid"]: statement for statement in run.statements(run.one("aws:kms/key:Key"))}
    logs = by_sid["ServiceLogsUsesKey"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*"}
    }
    alarms = by_sid["ServiceCloudwatchUsesKey"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert "kms:PutKeyPolicy" not in alarms["Action"]


def test_grant_decrypt_is_scoped_to_the_key(program, tags):
    def build():
        role = aws.iam.Role("reader", assume_role_policy="{}")
        key = EncryptionKey("data", EncryptionKeyArgs(alias="unit", tags=tags))
        key.grant_decrypt(role)
        key.grant_decrypt(role, via_service="s3")

    run = program(build)
    key_arn = _key_arn(run)
    plain = run.statements(run.named("data-decrypt-reader"))
    assert plain == [
        {
            "Sid": "UseKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": [key_arn],
        }
    ]
    via = run.statements(run.named("data-decrypt-reader-s3"))
    assert via[0]["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    assert run.named("data-decrypt-reader").parent == run.one("modelyard:keys:EncryptionKey").urn


def test_grant_encrypt_decrypt_allows_grants_only_for_aws_resources(program, tags):
    def build():
        role = aws.iam.Role("trainer", assume_role_policy="{}")
        EncryptionKey("data", EncryptionKeyArgs(alias="unit", tags=tags)).grant_encrypt_decrypt(role)

    run = program(build)
    use, grants = run.statements(run.named("data-encrypt-decrypt-trainer"))
    assert "kms:GenerateDataKey" in use["Action"] and "kms:CreateGrant" not in use["Action"]
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_invalid_args_list_every_problem_before_any_resource(program):
    args = EncryptionKeyArgs(
        alias="aws/reserved",
        tags={"project": "modelyard"},
        services=["logs", "s3"],
        deletion_window_days=3,
        rotation_period_days=30,
    )
    run = program(lambda: EncryptionKey("data", args))

    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for path in (
        "alias:",
        "services[1]: 's3'",
        "deletion_window_days: 3",
        "rotation_period_days: 30",
        "tags: missing required tag 'owner'",
    ):
        assert path in message
    assert run.resources == []


@pytest.mark.parametrize("alias", ["alias/data", "has space", ""])
def test_alias_must_be_a_bare_name(alias, tags):
    assert any(
        problem.startswith("alias:") for problem in EncryptionKeyArgs(alias=alias, tags=tags).problems()
    )


def _key_arn(run) -> str:
    key = run.one("aws:kms/key:Key")
    return f"arn:aws:kms:us-east-1:123456789012:key/{key.id}"


def test_auto_scaling_role_gets_what_aws_documents_for_encrypted_volumes(program, tags):
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    run = program(
        lambda: EncryptionKey("data", EncryptionKeyArgs(alias="unit", tags=tags, auto_scaling_role_arn=role))
    )

    statements = {s["Sid"]: s for s in run.statements(run.one("aws:kms/key:Key"))}
    use = statements["AutoScalingServiceLinkedRoleUsesKey"]
    grants = statements["AutoScalingServiceLinkedRoleAttachesVolumes"]
    # https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
    assert use["Principal"] == grants["Principal"] == {"AWS": role}
    assert use["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_the_key_half_of_a_grant_is_limited_to_one_service_only_when_asked(program):
    """ArtifactStore's grants take their key statement from here (aws-cdk: bucket.grant -> encryptionKey.grant)."""
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

    def build():
        pulumi.export("direct", key_use_statement("UseKey", key_arn, ["kms:Decrypt"], "us-east-1"))
        pulumi.export(
            "through_s3",
            key_use_statement("BucketKey", key_arn, ["kms:Decrypt"], "us-east-1", via_service="s3"),
        )

    run = program(build)

    assert run.error is None
    assert run.outputs["direct"] == {
        "Sid": "UseKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": key_arn,
    }
    assert run.outputs["through_s3"] == {
        "Sid": "BucketKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
    }
