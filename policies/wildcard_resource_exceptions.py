"""The documented exceptions to "no Resource "*"": actions AWS only authorizes on every resource."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class WildcardResourceException:
    """An action pattern allowed on Resource "*", the condition keys it must still carry, and why."""

    action: str
    why: str
    required_condition_keys: tuple[str, ...] = ()

    def covers(self, action: str) -> bool:
        # IAM action names are case-insensitive; a statement's own wildcard must fall inside the pattern.
        return fnmatchcase(action.lower(), self.action.lower())


EXCEPTIONS: tuple[WildcardResourceException, ...] = (
    WildcardResourceException(
        "ecr:GetAuthorizationToken",
        "returns a registry-wide login token; the Service Authorization Reference lists no resource type for it",
    ),
    WildcardResourceException(
        "sts:GetCallerIdentity",
        "identifies the caller and has no resource; tools call it to learn the account id",
    ),
    WildcardResourceException(
        "cloudwatch:PutMetricData",
        "metrics are not resources; the namespace condition is the only way to scope it",
        required_condition_keys=("cloudwatch:namespace",),
    ),
    WildcardResourceException(
        "xray:PutTraceSegments",
        "uploads trace segments, which are not resources; the Service Authorization Reference lists no resource "
        "type for it (the deploy Lambda traces actively)",
    ),
    WildcardResourceException(
        "xray:PutTelemetryRecords",
        "X-Ray daemon telemetry, no resource type, as PutTraceSegments",
    ),
    WildcardResourceException(
        "cloudwatch:GetMetricData",
        "reads metrics, which are not resources (drift and endpoint dashboards read them)",
    ),
    WildcardResourceException(
        "cloudwatch:ListMetrics",
        "lists metrics, which are not resources",
    ),
    WildcardResourceException(
        "logs:DescribeLogGroups",
        "is authorized on the account's log groups as a whole; SageMaker and the CloudWatch agent call it",
    ),
    WildcardResourceException(
        "ec2:Describe*",
        "EC2 Describe calls support no resource-level permissions; SageMaker VPC mode describes VPCs, "
        "subnets, security groups and DHCP options (the ENI write actions are scoped to our VPC instead: "
        "components/iam/network_interfaces.py)",
    ),
    WildcardResourceException(
        "autoscaling:Describe*",
        "Auto Scaling Describe calls support no resource-level permissions (Service Authorization Reference for "
        "Amazon EC2 Auto Scaling); the Cluster Autoscaler describes its node groups' Auto Scaling groups",
    ),
    WildcardResourceException(
        "sagemaker:List*",
        "SageMaker List calls: most have no resource type; ListModelPackages names model-package as an optional "
        "one, but AWS documents no ARN a List call is authorized on, and AWS's AmazonSageMakerModelRegistryFullAccess "
        'grants it on "*" (the one checkov skip left for CKV_AWS_355)',
    ),
    WildcardResourceException(
        "servicequotas:List*Quotas",
        "ListServiceQuotas and ListAWSDefaultServiceQuotas have no resource type (Service Authorization Reference "
        "for Service Quotas); the GPU quota pre-flight reads them",
    ),
    WildcardResourceException(
        "sagemaker:Search",
        "searches across SageMaker entities and supports no resource-level permissions",
    ),
)


def exception_for(action: str) -> WildcardResourceException | None:
    """The documented exception that covers `action`, if any."""
    return next((exception for exception in EXCEPTIONS if exception.covers(action)), None)
