"""Tagging rule: every taggable resource carries the cost-allocation and ownership tags."""

from __future__ import annotations

from collections.abc import Mapping

from modelyard.policies.resources import Resource
from modelyard.policies.rule import MANDATORY, ResourceRule
from modelyard.policies.values import UNKNOWN, lookup

REQUIRED_TAGS = ("project", "environment", "owner", "cost-center")

# Types this kit (and programs like it) create that accept `tags`; tests check each against pulumi-aws.
TAGGABLE_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:ecr/repository:Repository",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:iam/user:User",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:kms/key:Key",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/instance:Instance",
        "aws:lambda/function:Function",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sns/topic:Topic",
        "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:sagemaker/pipeline:Pipeline",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        "aws:appautoscaling/target:Target",
        "aws:budgets/budget:Budget",
    }
)


def _required_tags(resource: Resource) -> list[str]:
    tags = lookup(resource.inputs, "tags")
    default_tags = resource.default_tags
    if tags == UNKNOWN or default_tags is None:
        return []
    # Tags set on the AWS provider (`defaultTags`) apply to every resource it creates.
    effective = {**default_tags, **(tags if isinstance(tags, Mapping) else {})}
    missing = [key for key in REQUIRED_TAGS if key not in effective]
    empty = [key for key in REQUIRED_TAGS if effective.get(key) == ""]
    problems = [f"tags lack {', '.join(missing)}"] if missing else []
    problems += [f"tag {key} is empty" for key in empty]
    return problems


REQUIRED_TAGS_PRESENT = ResourceRule(
    id="MY-TAG-001",
    description="Every taggable resource carries the project, environment, owner and cost-center tags.",
    severity="low",
    anchors=(
        "AWS Tagging Best Practices (cost allocation tags)",
        "WA Cost Optimization: attribute cost to owners",
    ),
    levels=MANDATORY,
    resource_types=TAGGABLE_TYPES,
    check=_required_tags,
)


RULES = (REQUIRED_TAGS_PRESENT,)
