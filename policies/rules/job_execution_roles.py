"""Execution-role rule: a role a pipeline's SageMaker jobs run as allows what SageMaker does on its behalf.

What SageMaker needs from a Processing or Training job's execution role, per AWS's "SageMaker AI execution roles"
page (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html, "CreateProcessingJob API: Execution
Role Permissions" and "CreateTrainingJob API: Execution Role Permissions"): pull the job's image from private ECR
(ecr:GetAuthorizationToken on "*", the three pull actions on the repository), write its logs to
/aws/sagemaker/ProcessingJobs or /aws/sagemaker/TrainingJobs, the EC2 ENI actions when the job has a VpcConfig
(https://docs.aws.amazon.com/sagemaker/latest/dg/process-vpc.html, .../train-vpc.html), kms:CreateGrant for a
VolumeKmsKeyId and kms:Encrypt for an output KmsKeyId. Each need is evaluated against the role's policies in the
plan with the same evaluator the local run uses.

The ENI needs are the authorizations EC2 makes, per its Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html): CreateNetworkInterface
on a new network-interface (any id) and on each subnet and security group of the VpcConfig, those two with the
ec2:Vpc key; CreateNetworkInterfacePermission, DeleteNetworkInterface and DeleteNetworkInterfacePermission on a
network-interface with ec2:Vpc; the Describe calls on "*". ec2:Vpc is the VPC of the step's subnets or security
groups where the plan creates them (and knows their ids); otherwise, as for a network outside the stack, the one
VPC the role's own ec2:Vpc conditions name is taken on trust (none or several: checked without the key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from modelyard.policies.iam_evaluation import (
    AuthorizationRequest,
    NamedPolicy,
    PolicyEvaluationError,
    evaluate,
)
from modelyard.policies.resources import StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.values import UNKNOWN, is_unknown, lookup

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
)
ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ENI_ACTIONS = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
DESCRIBE_ACTIONS = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)
_JOBS = {"Processing": "ProcessingJobs", "Training": "TrainingJobs"}


def job_steps(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every Processing and Training step, those in Condition branches included."""
    for step in definition.get("Steps", []):
        if step.get("Type") in _JOBS:
            yield step
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            yield from job_steps({"Steps": [*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])]})


def service_side_needs(
    step: Mapping[str, Any], account: str, region: str, vpc_arn: str | None = None
) -> list[AuthorizationRequest]:
    """The authorizations SageMaker makes with the step's role to run its job as configured; `vpc_arn` is the
    VPC of its VpcConfig, when known."""
    arguments = step.get("Arguments", {})
    arn = f"arn:aws:%s:{region}:{account}:%s"
    group = f"/aws/sagemaker/{_JOBS[step['Type']]}"
    needs = [
        AuthorizationRequest(action, arn % ("logs", f"log-group:{group}:log-stream:{step['Name']}"))
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
    ]
    needs += [
        AuthorizationRequest(action, arn % ("logs", f"log-group:{group}"))
        for action in ("logs:CreateLogGroup", "logs:DescribeLogStreams")
    ]
    if step["Type"] == "Processing":
        image = _first_text(lookup(arguments, "AppSpecification", "ImageUri"))
        resources = lookup(arguments, "ProcessingResources", "ClusterConfig")
        output_key = lookup(arguments, "ProcessingOutputConfig", "KmsKeyId")
    else:
        image = _first_text(lookup(arguments, "AlgorithmSpecification", "TrainingImage"))
        resources = lookup(arguments, "ResourceConfig")
        output_key = lookup(arguments, "OutputDataConfig", "KmsKeyId")
    repository = _ECR_IMAGE.match(image or "")
    if repository:
        needs.append(AuthorizationRequest("ecr:GetAuthorizationToken", "*"))
        repository_arn = (
            f"arn:aws:ecr:{repository['region']}:{repository['account']}:repository/{repository['repo']}"
        )
        needs += [AuthorizationRequest(action, repository_arn) for action in ECR_PULL_ACTIONS]
    vpc = step_vpc_config(step)
    if vpc is not None:
        needs += _network_interface_needs(vpc, arn, vpc_arn)
    volume_key = lookup(resources, "VolumeKmsKeyId") if isinstance(resources, Mapping) else None
    if isinstance(volume_key, str):
        needs.append(
            AuthorizationRequest("kms:CreateGrant", volume_key, {"kms:GrantIsForAWSResource": "true"})
        )
    if isinstance(output_key, str):
        needs.append(AuthorizationRequest("kms:Encrypt", output_key))
    return needs


def _network_interface_needs(
    vpc_config: Mapping[str, Any], arn: str, vpc_arn: str | None
) -> list[AuthorizationRequest]:
    subnets, groups = _vpc_config_ids(vpc_config)
    in_vpc = {"ec2:Vpc": vpc_arn} if vpc_arn else {}
    interface = arn % ("ec2", "network-interface/*")
    return [
        AuthorizationRequest("ec2:CreateNetworkInterface", interface),
        *(
            AuthorizationRequest("ec2:CreateNetworkInterface", arn % ("ec2", f"{kind}/{id_}"), in_vpc)
            for kind, ids in (("subnet", subnets), ("security-group", groups))
            for id_ in ids
        ),
        *(AuthorizationRequest(action, interface, in_vpc) for action in ENI_ACTIONS),
        *(AuthorizationRequest(action, "*") for action in DESCRIBE_ACTIONS),
    ]


def _vpc_config_ids(vpc_config: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(subnet ids, security group ids) of a VpcConfig."""

    def ids(key: str) -> list[str]:
        return [value for value in vpc_config.get(key, []) if isinstance(value, str)]

    return ids("Subnets"), ids("SecurityGroupIds")


def step_vpc_config(step: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The job's VpcConfig (a Processing job's sits in its NetworkConfig), or None."""
    arguments = step.get("Arguments", {})
    path = ("NetworkConfig", "VpcConfig") if step["Type"] == "Processing" else ("VpcConfig",)
    vpc = lookup(arguments, *path)
    return vpc if isinstance(vpc, Mapping) else None


def _vpc_ids(stack: StackResources) -> dict[str, str]:
    """Subnet and security group id -> VPC id, for those the stack creates with known ids."""
    found = {}
    for resource in stack.of_types({SUBNET, SECURITY_GROUP}):
        vpc = resource.get("vpcId")
        if resource.id and not is_unknown(resource.id) and isinstance(vpc, str) and not is_unknown(vpc):
            found[resource.id] = vpc
    return found


def _step_vpc_arn(
    step: Mapping[str, Any], arn: str, vpc_ids: Mapping[str, str], policies: list[NamedPolicy]
) -> str | None:
    """The ARN of the VPC the step's VpcConfig is in: from the stack's subnets and groups, else the one VPC the
    role's ec2:Vpc conditions name."""
    vpc_config = step_vpc_config(step)
    if vpc_config is None:
        return None
    subnets, groups = _vpc_config_ids(vpc_config)
    known = next((vpc_ids[id_] for id_ in (*subnets, *groups) if id_ in vpc_ids), None)
    if known:
        return arn % ("ec2", f"vpc/{known}")
    named = {
        value
        for policy in policies
        for statement in policy.statements()
        for block in statement.get("Condition", {}).values()
        for key, values in block.items()
        if key.lower() == "ec2:vpc"
        for value in (values if isinstance(values, list) else [values])
    }
    return named.pop() if len(named) == 1 else None


def _first_text(value: Any) -> str | None:
    """An image URI, or the literal start of a Std:Join that builds one (`<repository url>:<tag parameter>`)."""
    if isinstance(value, str):
        return value
    values = lookup(value, "Std:Join", "Values")
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None


def _role_policies(stack: StackResources, role_arn: str) -> list[NamedPolicy] | None:
    name = role_arn.rsplit("/", 1)[-1]
    roles = [role for role in stack.of_types({ROLE}) if name in role.identifiers() or role.name == name]
    if not roles:
        return None
    names = roles[0].identifiers() | {roles[0].name}
    return [
        NamedPolicy.parse(policy.name, policy.inputs["policy"])
        for policy in stack.of_types({ROLE_POLICY})
        if policy.inputs.get("role") in names
        and isinstance(policy.inputs.get("policy"), str)
        and UNKNOWN not in policy.inputs["policy"]
    ]


def _execution_roles_allow_service_side_needs(stack: StackResources) -> list[Finding] | NotApplicable:
    findings: list[Finding] = []
    checked = False
    vpc_ids = _vpc_ids(stack)
    for pipeline in stack.of_types({PIPELINE}):
        document = pipeline.get("pipelineDefinition")
        if not isinstance(document, str) or UNKNOWN in document:
            continue
        for step in job_steps(json.loads(document)):
            role_arn = lookup(step, "Arguments", "RoleArn")
            if not isinstance(role_arn, str) or not role_arn.startswith("arn:"):
                continue
            policies = _role_policies(stack, role_arn)
            if policies is None:
                continue  # a role from outside this stack: its owner answers for it
            checked = True
            account, region = role_arn.split(":")[4], pipeline_region(step, role_arn)
            vpc_arn = _step_vpc_arn(step, f"arn:aws:%s:{region}:{account}:%s", vpc_ids, policies)
            try:
                denied = [
                    need
                    for need in service_side_needs(step, account, region, vpc_arn)
                    if not evaluate(policies, need).allowed
                ]
            except PolicyEvaluationError as error:
                findings.append(Finding(pipeline.urn, f"step {step['Name']}: role {role_arn}: {error}"))
                continue
            for need in denied:
                findings.append(
                    Finding(
                        pipeline.urn,
                        f"step {step['Name']} ({step['Type']}) runs as {role_arn}, "
                        f"which does not allow {need.action} on {need.resource}{_in_context(need)}",
                    )
                )
    if not checked:
        return NotApplicable("no pipeline step runs as a role this stack defines")
    return findings


def _in_context(need: AuthorizationRequest) -> str:
    keys = ", ".join(f"{key} {value}" for key, value in need.context.items())
    return f" ({keys})" if keys else ""


def pipeline_region(step: Mapping[str, Any], role_arn: str) -> str:
    """The job's region: from its output or image location when the definition names one, else us-east-1."""
    text = json.dumps(step.get("Arguments", {}))
    match = re.search(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):", text) or re.search(
        r"\.ecr\.([a-z0-9-]+)\.amazonaws", text
    )
    return match.group(1) if match else "us-east-1"


EXECUTION_ROLE_SERVICE_NEEDS = StackRule(
    id="MY-SM-ROLE-001",
    description="Every Processing and Training step of a pipeline runs as a role that allows what SageMaker does "
    "with it: pull the job's ECR image, write its logs, create ENIs in a VPC, use its KMS keys.",
    severity="high",
    anchors=(
        "AWS docs: SageMaker AI execution roles (CreateProcessingJob/CreateTrainingJob permissions)",
        "AWS docs: Give SageMaker access to resources in your VPC",
    ),
    levels=MANDATORY,
    check=_execution_roles_allow_service_side_needs,
)

RULES = (EXECUTION_ROLE_SERVICE_NEEDS,)
