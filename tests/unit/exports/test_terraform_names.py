"""Terraform names of pulumi-aws tokens and properties: the mechanical rule, the bridge's renames, SDK shapes."""

from __future__ import annotations

import pytest

from modelyard.planning.terraform_names import (
    PropertyShape,
    property_renames,
    resource_shapes,
    snake_case,
    terraform_type,
)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("graphQLApi", "graph_ql_api"),
        ("environmentEC2", "environment_ec2"),
        ("userPoolUICustomization", "user_pool_ui_customization"),
        ("tags", "tags"),
    ],
)
def test_snake_case(name, snake):
    assert snake_case(name) == snake


@pytest.mark.parametrize(
    ("token", "terraform"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),  # mechanical
        ("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "aws_sagemaker_mlflow_tracking_server"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        ("aws:ec2/eip:Eip", "aws_eip"),  # renames from the bridge's metadata
        ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws_default_security_group"),
        ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_object"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws_iam_openid_connect_provider"),
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),  # module prefix
        ("aws:cfg/rule:Rule", "aws_config_config_rule"),
    ],
)
def test_terraform_type(token, terraform):
    assert terraform_type(token) == terraform


@pytest.mark.parametrize(
    "token", ["kubernetes:apps/v1:DaemonSet", "pulumi:providers:aws", "modelyard:storage:ArtifactStore"]
)
def test_non_aws_tokens_have_no_terraform_type(token):
    assert terraform_type(token) is None


def test_shapes_come_from_the_resources_own_args_class():
    # pulumi_aws.s3 also exports a nested block type named BucketServerSideEncryptionConfigurationArgs; the
    # resource's own is <Class>InitArgs in its module.
    shapes = resource_shapes(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert shapes["rules"].kind == "blocks" and shapes["bucket"] == PropertyShape("value")
    cluster = resource_shapes("aws:eks/cluster:Cluster")
    assert cluster["encryptionConfig"].kind == "block" and cluster["tags"].kind == "map"
    assert resource_shapes("aws:lambda/function:Function")["vpcConfig"].kind == "block"  # pulumi_aws.lambda_


def test_pluralized_list_blocks_get_their_terraform_names_back():
    token = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    assert property_renames(token) == {
        "rules": "rule",
        "rules.transitions": "transition",
        "rules.noncurrentVersionTransitions": "noncurrent_version_transition",
    }
    assert property_renames("aws:iam/role:Role") == {"inlinePolicies": "inline_policy"}
    assert property_renames("aws:sagemaker/endpointConfiguration:EndpointConfiguration") == {}
