"""Which AWS API requests create a pulumi-aws resource: its token mapped to a botocore service and operations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from modelyard.policies.aws_api.service_models import operation_named, operation_names

# pulumi-aws modules whose botocore service is named differently (module names: the `aws:<module>/...` tokens
# of pulumi-aws; service names: the folders of botocore/data).
SERVICE_BY_MODULE: Mapping[str, str] = {
    "appautoscaling": "application-autoscaling",
    "vpc": "ec2",  # aws.vpc.SecurityGroupIngressRule/EgressRule call EC2's API
}

# The verbs a create usually has, tried in this order on the class name (CreateRole, PutBucketPolicy,
# CreateFlowLogs, RegisterScalableTarget); names compare case-insensitively (CreateNodegroup for NodeGroup).
CREATE_VERBS = ("Create{}", "Put{}", "Create{}s", "Put{}s", "Register{}")


@dataclass(frozen=True)
class ApiOperation:
    """One request the provider sends for a resource, and the inputs whose names differ from its members."""

    name: str
    # pulumi input path (dots, no list indices) -> member name at that level of the request
    renames: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceApi:
    """The requests that create a resource type: the first operation whose member matches an input judges it."""

    service: str
    operations: tuple[ApiOperation, ...]
    source: str = "by name"


# Resource types whose requests cannot be found by name: each says which calls the Terraform provider (which
# pulumi-aws bridges) makes, citing its source in hashicorp/terraform-provider-aws.
OVERRIDES: Mapping[str, ResourceApi] = {
    # internal/service/appautoscaling/policy.go: PutScalingPolicy
    "aws:appautoscaling/policy:Policy": ResourceApi(
        "application-autoscaling",
        (ApiOperation("PutScalingPolicy", {"name": "PolicyName"}),),
        "terraform-provider-aws internal/service/appautoscaling/policy.go",
    ),
    # internal/service/appautoscaling/target.go: RegisterScalableTarget
    "aws:appautoscaling/target:Target": ResourceApi(
        "application-autoscaling",
        (ApiOperation("RegisterScalableTarget"),),
        "terraform-provider-aws internal/service/appautoscaling/target.go",
    ),
    # internal/service/budgets/budget.go: CreateBudget, limit_amount/limit_unit in Budget.BudgetLimit, tags sent
    # as ResourceTags
    "aws:budgets/budget:Budget": ResourceApi(
        "budgets",
        (
            ApiOperation(
                "CreateBudget", {"tags": "ResourceTags", "limitAmount": "Amount", "limitUnit": "Unit"}
            ),
        ),
        "terraform-provider-aws internal/service/budgets/budget.go",
    ),
    # internal/service/cloudwatch/metric_alarm.go: PutMetricAlarm, alarm_name is the alarm's name, metric_query
    # blocks are its Metrics
    "aws:cloudwatch/metricAlarm:MetricAlarm": ResourceApi(
        "cloudwatch",
        (ApiOperation("PutMetricAlarm", {"name": "AlarmName", "metricQueries": "Metrics"}),),
        "terraform-provider-aws internal/service/cloudwatch/metric_alarm.go",
    ),
    # internal/service/logs/group.go: CreateLogGroup, then PutRetentionPolicy for retention_in_days
    "aws:cloudwatch/logGroup:LogGroup": ResourceApi(
        "logs",
        (ApiOperation("CreateLogGroup"), ApiOperation("PutRetentionPolicy")),
        "terraform-provider-aws internal/service/logs/group.go",
    ),
    # internal/service/events/rule.go: PutRule
    "aws:cloudwatch/eventRule:EventRule": ResourceApi(
        "events", (ApiOperation("PutRule"),), "terraform-provider-aws internal/service/events/rule.go"
    ),
    # internal/service/events/target.go: PutTargets with one Target built from the flat arguments
    "aws:cloudwatch/eventTarget:EventTarget": ResourceApi(
        "events",
        (ApiOperation("PutTargets", {"targetId": "Id"}),),
        "terraform-provider-aws internal/service/events/target.go",
    ),
    # internal/service/ec2/ec2_eip.go: AllocateAddress
    "aws:ec2/eip:Eip": ResourceApi(
        "ec2", (ApiOperation("AllocateAddress"),), "terraform-provider-aws internal/service/ec2/ec2_eip.go"
    ),
    # internal/service/ec2/vpc_default_security_group.go: adopts the VPC's group, then authorizes its rules
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ResourceApi(
        "ec2",
        (
            ApiOperation("AuthorizeSecurityGroupIngress", {"ingress": "IpPermissions"}),
            ApiOperation("AuthorizeSecurityGroupEgress", {"egress": "IpPermissions"}),
        ),
        "terraform-provider-aws internal/service/ec2/vpc_default_security_group.go",
    ),
    # internal/service/ec2/vpc_flow_log.go: CreateFlowLogs, iam_role_arn as DeliverLogsPermissionArn,
    # vpc_id in ResourceIds
    "aws:ec2/flowLog:FlowLog": ResourceApi(
        "ec2",
        (ApiOperation("CreateFlowLogs", {"iamRoleArn": "DeliverLogsPermissionArn", "vpcId": "ResourceIds"}),),
        "terraform-provider-aws internal/service/ec2/vpc_flow_log.go",
    ),
    # internal/service/ec2/ec2_launch_template.go: CreateLaunchTemplate, description is the VersionDescription
    "aws:ec2/launchTemplate:LaunchTemplate": ResourceApi(
        "ec2",
        (ApiOperation("CreateLaunchTemplate", {"description": "VersionDescription"}),),
        "terraform-provider-aws internal/service/ec2/ec2_launch_template.go",
    ),
    # internal/service/ec2/vpc_route_table_association.go: AssociateRouteTable
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ResourceApi(
        "ec2",
        (ApiOperation("AssociateRouteTable"),),
        "terraform-provider-aws internal/service/ec2/vpc_route_table_association.go",
    ),
    # internal/service/ec2/vpc_security_group_ingress_rule.go / _egress_rule.go: one IpPermission each
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ResourceApi(
        "ec2",
        (ApiOperation("AuthorizeSecurityGroupIngress", {"securityGroupId": "GroupId"}),),
        "terraform-provider-aws internal/service/ec2/vpc_security_group_ingress_rule.go",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ResourceApi(
        "ec2",
        (ApiOperation("AuthorizeSecurityGroupEgress", {"securityGroupId": "GroupId"}),),
        "terraform-provider-aws internal/service/ec2/vpc_security_group_egress_rule.go",
    ),
    # internal/service/ecr/lifecycle_policy.go: PutLifecyclePolicy(RepositoryName, LifecyclePolicyText)
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ResourceApi(
        "ecr",
        (ApiOperation("PutLifecyclePolicy", {"policy": "lifecyclePolicyText"}),),
        "terraform-provider-aws internal/service/ecr/lifecycle_policy.go",
    ),
    # internal/service/eks/cluster.go: CreateCluster, vpc_config sent as ResourcesVpcConfig
    "aws:eks/cluster:Cluster": ResourceApi(
        "eks",
        (ApiOperation("CreateCluster", {"vpcConfig": "resourcesVpcConfig"}),),
        "terraform-provider-aws internal/service/eks/cluster.go",
    ),
    # internal/service/eks/addon.go: CreateAddon with resolve_conflicts_on_create as ResolveConflicts; updates
    # send resolve_conflicts_on_update the same way (UpdateAddon)
    "aws:eks/addon:Addon": ResourceApi(
        "eks",
        (
            ApiOperation("CreateAddon", {"resolveConflictsOnCreate": "resolveConflicts"}),
            ApiOperation("UpdateAddon", {"resolveConflictsOnUpdate": "resolveConflicts"}),
        ),
        "terraform-provider-aws internal/service/eks/addon.go",
    ),
    # internal/service/eks/node_group.go: CreateNodegroup, node_role_arn as NodeRole, subnet_ids as Subnets
    "aws:eks/nodeGroup:NodeGroup": ResourceApi(
        "eks",
        (ApiOperation("CreateNodegroup", {"nodeRoleArn": "nodeRole", "subnetIds": "subnets"}),),
        "terraform-provider-aws internal/service/eks/node_group.go",
    ),
    # internal/service/iam/role_policy.go: PutRolePolicy(RoleName, PolicyName, PolicyDocument)
    "aws:iam/rolePolicy:RolePolicy": ResourceApi(
        "iam",
        (ApiOperation("PutRolePolicy", {"name": "PolicyName", "policy": "PolicyDocument"}),),
        "terraform-provider-aws internal/service/iam/role_policy.go",
    ),
    # internal/service/iam/role_policy_attachment.go: AttachRolePolicy
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ResourceApi(
        "iam",
        (ApiOperation("AttachRolePolicy"),),
        "terraform-provider-aws internal/service/iam/role_policy_attachment.go",
    ),
    # internal/service/kms/key.go: CreateKey, EnableKeyRotation(RotationPeriodInDays); deletion_window_in_days
    # is ScheduleKeyDeletion's PendingWindowInDays on destroy, judged with the rest of the plan
    "aws:kms/key:Key": ResourceApi(
        "kms",
        (
            ApiOperation("CreateKey"),
            ApiOperation("EnableKeyRotation"),
            ApiOperation("ScheduleKeyDeletion", {"deletionWindowInDays": "PendingWindowInDays"}),
        ),
        "terraform-provider-aws internal/service/kms/key.go",
    ),
    # internal/service/s3/bucket_server_side_encryption_configuration.go: PutBucketEncryption
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ResourceApi(
        "s3",
        (ApiOperation("PutBucketEncryption"),),
        "terraform-provider-aws internal/service/s3/bucket_server_side_encryption_configuration.go",
    ),
    # internal/service/s3/bucket_public_access_block.go: PutPublicAccessBlock
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ResourceApi(
        "s3",
        (ApiOperation("PutPublicAccessBlock"),),
        "terraform-provider-aws internal/service/s3/bucket_public_access_block.go",
    ),
    # internal/service/s3/object.go: PutObject, kms_key_id sent as SSEKMSKeyId
    "aws:s3/bucketObjectv2:BucketObjectv2": ResourceApi(
        "s3",
        (ApiOperation("PutObject", {"kmsKeyId": "SSEKMSKeyId"}),),
        "terraform-provider-aws internal/service/s3/object.go",
    ),
    # internal/service/sagemaker/endpoint_configuration.go: CreateEndpointConfig, kms_key_arn sent as KmsKeyId
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": ResourceApi(
        "sagemaker",
        (ApiOperation("CreateEndpointConfig", {"kmsKeyArn": "KmsKeyId"}),),
        "terraform-provider-aws internal/service/sagemaker/endpoint_configuration.go",
    ),
    # internal/service/sns/topic_policy.go: SetTopicAttributes(AttributeName=Policy)
    "aws:sns/topicPolicy:TopicPolicy": ResourceApi(
        "sns",
        (ApiOperation("SetTopicAttributes", {"arn": "TopicArn", "policy": "AttributeValue"}),),
        "terraform-provider-aws internal/service/sns/topic_policy.go",
    ),
    # internal/service/sns/topic_subscription.go: Subscribe
    "aws:sns/topicSubscription:TopicSubscription": ResourceApi(
        "sns",
        (ApiOperation("Subscribe"),),
        "terraform-provider-aws internal/service/sns/topic_subscription.go",
    ),
}


@dataclass(frozen=True)
class ResourceToken:
    """A pulumi-aws type token `aws:<module>/<camelName>:<Class>`, split."""

    module: str
    class_name: str

    @classmethod
    def parse(cls, token: str) -> ResourceToken | None:
        """None for tokens of other packages (kubernetes, pulumi providers, components)."""
        package, _, rest = token.partition(":")
        module_path, _, class_name = rest.partition(":")
        if package != "aws" or "/" not in module_path or not class_name:
            return None
        return cls(module=module_path.split("/", 1)[0], class_name=class_name)


def resource_api(token: str) -> ResourceApi | None:
    """The requests that create `token`, from the overrides or found by name; None when neither knows it."""
    if token in OVERRIDES:
        return OVERRIDES[token]
    parsed = ResourceToken.parse(token)
    if parsed is None:
        return None
    service = SERVICE_BY_MODULE.get(parsed.module, parsed.module)
    if operation_names(service) is None:
        return None
    for verb in CREATE_VERBS:
        operation = operation_named(service, verb.format(parsed.class_name))
        if operation is not None:
            return ResourceApi(service, (ApiOperation(operation),))
    return None


def is_aws_resource(token: str) -> bool:
    """A pulumi-aws resource token (what the API validation is expected to cover)."""
    return ResourceToken.parse(token) is not None
