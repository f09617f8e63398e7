"""Network-reach rule: a pipeline step that runs in a VPC can reach every AWS API it calls.

A job or Lambda function in private subnets reaches an AWS API only through a VPC endpoint for that service or
an egress path to the internet (https://docs.aws.amazon.com/sagemaker/latest/dg/process-vpc.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html, https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html).
What a step calls comes from the table the local run recorded (modelyard.policies.step_aws_services); a SageMaker
job also needs what SageMaker does for it from inside the VPC: pull its private ECR image (ECR API, ECR Docker and
S3 for the layers), ship its logs, and STS for credentials the SDKs in the container resolve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from modelyard.policies.resources import StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.rules.job_execution_roles import job_steps
from modelyard.policies.step_aws_services import recorded_step_services
from modelyard.policies.values import UNKNOWN, lookup

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
JOB_BASE_SERVICES = ("ecr.api", "ecr.dkr", "s3", "logs", "sts")
# botocore endpoint prefixes (and "mlflow") as recorded -> the VPC endpoint service that serves them.
ENDPOINT_SERVICES = {
    "api.sagemaker": "sagemaker.api",
    "runtime.sagemaker": "sagemaker.runtime",
    "api.ecr": "ecr.api",
    "mlflow": "sagemaker.experiments",
}
_SERVICE_NAME = re.compile(
    r"^(?:com\.amazonaws\.[a-z0-9-]+\.(?P<aws>.+)|aws\.sagemaker\.[a-z0-9-]+\.(?P<sm>.+))$"
)


def endpoint_service(service_name: str) -> str | None:
    """ "com.amazonaws.us-east-1.ecr.api" -> "ecr.api"; "aws.sagemaker.us-east-1.experiments" -> "sagemaker.experiments"."""
    match = _SERVICE_NAME.match(service_name)
    if not match:
        return None
    return match["aws"] or f"sagemaker.{match['sm']}"


def _vpc_steps(stack: StackResources, definition: Mapping[str, Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(step name, type, security group ids) of every step that runs in a VPC."""
    for step in job_steps(definition):
        arguments = step.get("Arguments", {})
        vpc = (
            lookup(arguments, "NetworkConfig", "VpcConfig")
            if step["Type"] == "Processing"
            else lookup(arguments, "VpcConfig")
        )
        if isinstance(vpc, Mapping):
            yield step["Name"], step["Type"], list(vpc.get("SecurityGroupIds", []))
    for step in _all_steps(definition):
        if step.get("Type") != "Lambda":
            continue
        name = str(step.get("FunctionArn", "")).rsplit(":", 1)[-1]
        for function in stack.of_types({LAMBDA_FUNCTION}):
            groups = lookup(function.inputs, "vpcConfig", "securityGroupIds")
            if name in function.identifiers() | {function.name} and isinstance(groups, list):
                yield step["Name"], "Lambda", groups


def _all_steps(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for step in definition.get("Steps", []):
        yield step
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            yield from _all_steps({"Steps": [*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])]})


def _internet_egress(stack: StackResources, groups: list[str]) -> bool:
    for rule in stack.of_types({EGRESS_RULE}):
        inputs = rule.inputs
        covers_https = inputs.get("ipProtocol") == "-1" or (
            isinstance(inputs.get("fromPort"), (int, float))
            and inputs["fromPort"] <= 443 <= inputs.get("toPort", 0)
        )
        if inputs.get("securityGroupId") in groups and inputs.get("cidrIpv4") == "0.0.0.0/0" and covers_https:
            return True
    return False


def _steps_reach_their_services(stack: StackResources) -> list[Finding] | NotApplicable:
    endpoints = {
        endpoint_service(str(e.inputs.get("serviceName", ""))) for e in stack.of_types({VPC_ENDPOINT})
    }
    endpoints.discard(None)
    if not endpoints:
        return NotApplicable("the stack creates no VPC endpoints (an existing VPC's are its owner's)")
    recorded = recorded_step_services()
    findings: list[Finding] = []
    for pipeline in stack.of_types({PIPELINE}):
        document = pipeline.get("pipelineDefinition")
        if not isinstance(document, str) or UNKNOWN in document:
            continue
        for name, kind, groups in _vpc_steps(stack, json.loads(document)):
            if _internet_egress(stack, groups):
                continue
            needs = {ENDPOINT_SERVICES.get(host, host) for host in recorded.get(name, [])}
            if kind != "Lambda":
                needs |= set(JOB_BASE_SERVICES)
            for service in sorted(needs - endpoints):
                findings.append(
                    Finding(
                        pipeline.urn,
                        f"step {name} ({kind}) runs in the VPC, which has no endpoint for "
                        f"{service} and no HTTPS egress to the internet",
                    )
                )
    return findings


VPC_STEPS_REACH_THEIR_SERVICES = StackRule(
    id="MY-SM-NET-001",
    description="Every pipeline step that runs in the VPC reaches each AWS API it calls (as the local run recorded) "
    "and what SageMaker needs for its job, through a VPC endpoint or HTTPS egress.",
    severity="high",
    anchors=(
        "AWS docs: Give SageMaker access to resources in your VPC",
        "AWS docs: Connect to an MLflow tracking server through an interface VPC endpoint",
    ),
    levels=MANDATORY,
    check=_steps_reach_their_services,
)

RULES = (VPC_STEPS_REACH_THEIR_SERVICES,)
