"""pulumi-aws type tokens to botocore operations, and pulumi input names to request members."""

import pytest

from modelyard.policies.aws_api.member_matching import find_member
from modelyard.policies.aws_api.resource_operations import OVERRIDES, resource_api
from modelyard.policies.aws_api.service_models import operation_input


@pytest.mark.parametrize(
    ("token", "service", "operation"),
    [
        ("aws:iam/role:Role", "iam", "CreateRole"),
        ("aws:s3/bucketPolicy:BucketPolicy", "s3", "PutBucketPolicy"),
        ("aws:eks/nodeGroup:NodeGroup", "eks", "CreateNodegroup"),  # case differs from the class
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "iam", "CreateOpenIDConnectProvider"),
        ("aws:ec2/flowLog:FlowLog", "ec2", "CreateFlowLogs"),
        ("aws:appautoscaling/target:Target", "application-autoscaling", "RegisterScalableTarget"),
        ("aws:cloudwatch/logGroup:LogGroup", "logs", "CreateLogGroup"),
        ("aws:sqs/queue:Queue", "sqs", "CreateQueue"),  # not in the stacks: found by name all the same
    ],
)
def test_tokens_map_to_their_create_request(token, service, operation):
    api = resource_api(token)
    assert api.service == service
    assert api.operations[0].name == operation


@pytest.mark.parametrize(
    "token",
    [
        "kubernetes:apps/v1:DaemonSet",
        "pulumi:providers:aws",
        "modelyard:registry:ModelRegistry",
        "aws:nosuchservice/thing:Thing",
        "aws:s3/nothingLikeThis:NothingLikeThis",
    ],
)
def test_tokens_without_an_api_map_to_nothing(token):
    assert resource_api(token) is None


@pytest.mark.parametrize("token", sorted(OVERRIDES))
def test_every_override_names_real_operations_and_members(token):
    api = OVERRIDES[token]
    assert api.source.startswith("terraform-provider-aws internal/service/")
    for operation in api.operations:
        request = operation_input(api.service, operation.name)  # KeyError for a typo
        for input_name, member in operation.renames.items():
            assert find_member(input_name, request, rename=member) is not None, (operation.name, member)


def _member(key, service, request, **kwargs):
    match = find_member(key, operation_input(service, request), **kwargs)
    return match.path if match else None


def test_names_compare_case_insensitively():
    assert _member("trackingServerName", "sagemaker", "CreateMlflowTrackingServer") == "TrackingServerName"


def test_name_is_the_resources_own_name_after_the_verb():
    assert _member("name", "logs", "CreateLogGroup", operation="CreateLogGroup") == "logGroupName"
    assert _member("name", "sagemaker", "CreateEndpoint", operation="CreateEndpoint") == "EndpointName"
    # never the name of something nested (PutMetricAlarm's Dimensions[].Name)
    assert _member("name", "cloudwatch", "PutMetricAlarm", operation="PutMetricAlarm") is None


def test_plural_and_singular_forms_match():
    assert _member("encryptionConfigurations", "ecr", "CreateRepository") == "encryptionConfiguration"
    assert _member("clientIdLists", "iam", "CreateOpenIDConnectProvider") == "ClientIDList"
    assert _member("rule", "s3", "PutBucketOwnershipControls") == "OwnershipControls.Rules"


def test_references_match_their_name_or_arn_member():
    assert _member("role", "iam", "AttachRolePolicy") == "RoleName"
    assert _member("topic", "sns", "Subscribe") == "TopicArn"
    assert _member("assumeRolePolicy", "iam", "CreateRole") == "AssumeRolePolicyDocument"


def test_wrappers_terraform_flattens_are_looked_through():
    assert _member("timeUnit", "budgets", "CreateBudget") == "Budget.TimeUnit"
    assert _member("arn", "events", "PutTargets") == "Targets[].Arn"
    assert (
        _member("targetBucket", "s3", "PutBucketLogging") == "BucketLoggingStatus.LoggingEnabled.TargetBucket"
    )
    assert _member("imageUri", "lambda", "CreateFunction") == "Code.ImageUri"


def test_ambiguous_or_deep_list_matches_are_refused():
    # IpPermissions[].IpRanges[].Description, Ipv6Ranges[].Description, ...: not one member, so none.
    assert _member("description", "ec2", "AuthorizeSecurityGroupIngress") is None
    # A launch template's description is not its NetworkInterfaces[].Description (a list two levels down).
    assert _member("description", "ec2", "CreateLaunchTemplate") is None
