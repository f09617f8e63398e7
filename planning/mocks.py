"""Pulumi mocks that answer like AWS and Kubernetes would: realistic, deterministic ids, ARNs and attributes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
from pulumi.runtime import rpc

from modelyard.planning.invokes import ACCOUNT_ID, InvokeContext, answer_invoke, digest
from modelyard.planning.output_types import output_properties

# Services whose ARNs carry no region or no account (IAM, S3, Route 53 ...).
_GLOBAL_SERVICES = {"iam", "s3", "route53", "cloudfront"}
# Pulumi module -> ARN service name, where they differ.
_ARN_SERVICE = {
    "cloudwatch": "cloudwatch",
    "appautoscaling": "application-autoscaling",
    "scheduler": "scheduler",
    "lambda": "lambda",
    "ec2": "ec2",
    "vpc": "ec2",
    "budgets": "budgets",
}
# Type token -> (ARN resource kind, EC2-style id prefix) for resources whose ids look like `vpc-0abc...`.
_EC2_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


def _camel_module(token: str) -> tuple[str, str, str]:
    """`aws:s3/bucket:Bucket` -> ("aws", "s3", "Bucket")."""
    package, module_path, kind = (token.split(":") + ["", ""])[:3]
    return package, module_path.split("/")[0], kind


class PlanMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and provider functions for one stack in one region.

    It runs under a preview (`is_dry_run`): an output property it does not return is unknown to the program, as
    in `pulumi preview`, because the SDK resolves every output getter of the resource class that the engine
    leaves out as unknown (pulumi `runtime/rpc.py`, `resolve_properties`). So it returns the inputs (what a
    provider's preview of a create echoes), ids, and what AWS derives deterministically (ARNs, names, URLs),
    and nothing it would have to invent.
    """

    def __init__(self, stack: str, region: str, invoke_fixtures: dict[str, dict[str, Any]] | None = None):
        self.stack = stack
        self.region = region
        self.invokes = InvokeContext(region=region, fixtures=dict(invoke_fixtures or {}))

    # -- resources -----------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        token = args.typ
        package, module, kind = _camel_module(token)
        if not args.custom:
            return None, inputs
        if token.startswith("pulumi:providers:"):
            return digest(token, args.name, length=32), inputs
        physical = self._physical_name(token, args.name, inputs)
        resource_id = self._resource_id(token, args.name, physical)
        state = {**inputs, "id": resource_id}
        if package == "aws":
            state.update(self._aws_attributes(token, module, kind, physical, resource_id, inputs))
        elif package == "kubernetes":
            metadata = dict(inputs.get("metadata") or {})
            metadata.setdefault("name", physical)
            state["metadata"] = metadata
            if token.startswith("kubernetes:helm.sh/"):
                # What a release's status holds that its inputs decide (pulumi-kubernetes helm/v3 ReleaseStatus).
                state["status"] = {
                    "status": "deployed",
                    "name": inputs.get("name") or physical,
                    "namespace": inputs.get("namespace") or "default",
                    "chart": inputs.get("chart"),
                }
        elif token == "docker-build:index:Image":
            # A pushed build's digest, derived from what is built so plans are stable; `ref` as the provider
            # forms it (a pushed tag with the digest).
            image_digest = (
                "sha256:"
                + hashlib.sha256(
                    json.dumps([self.stack, args.name, inputs], sort_keys=True, default=str).encode()
                ).hexdigest()
            )
            tags = inputs.get("tags") or []
            state.update(digest=image_digest, ref=f"{tags[0]}@{image_digest}" if tags else "")
        state = _unknown_if_derived_from_unknown(state)
        return ("" if state["id"] == rpc.UNKNOWN else resource_id), state

    def _physical_name(self, token: str, name: str, inputs: dict[str, Any]) -> str:
        for key in (
            "name",
            "bucket",
            "functionName",
            "clusterName",
            "nodeGroupName",
            "endpointName",
            "modelName",
            "pipelineName",
            "modelPackageGroupName",
            "trackingServerName",
            "alarmName",
            "dashboardName",
            "repository",
        ):
            value = inputs.get(key)
            if isinstance(value, str) and value:
                return value
        # Pulumi's auto-naming: logical name plus a random suffix; ours is derived, so plans are stable.
        return f"{name}-{digest(self.stack, token, name, length=7)}"

    def _resource_id(self, token: str, name: str, physical: str) -> str:
        prefix = _EC2_ID_PREFIX.get(token)
        if prefix:
            return f"{prefix}-{digest(self.stack, token, name)}"
        if token == "aws:kms/key:Key":
            h = digest(self.stack, token, name, length=32)
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        return physical

    def _arn(self, service: str, resource: str) -> str:
        if service in _GLOBAL_SERVICES:
            account = "" if service == "s3" else ACCOUNT_ID
            return f"arn:aws:{service}::{account}:{resource}"
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def _aws_attributes(
        self, token: str, module: str, kind: str, physical: str, resource_id: str, inputs: dict[str, Any]
    ) -> dict[str, Any]:
        service = _ARN_SERVICE.get(module, module)
        resource_kind = kind[0].lower() + kind[1:]
        attributes: dict[str, Any] = {"arn": self._arn(service, f"{resource_kind}/{physical}")}
        if token == "aws:s3/bucket:Bucket":
            attributes = {
                "bucket": physical,
                "arn": self._arn("s3", physical),
                "bucketDomainName": f"{physical}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{physical}.s3.{self.region}.amazonaws.com",
                "region": self.region,
            }
        elif module == "iam" and kind in (
            "Role",
            "Policy",
            "User",
            "OpenIdConnectProvider",
            "InstanceProfile",
        ):
            path = (
                "oidc-provider/token.actions.githubusercontent.com"
                if kind == "OpenIdConnectProvider"
                else (f"{resource_kind}/{physical}")
            )
            attributes = {
                "arn": self._arn("iam", path),
                "name": physical,
                "uniqueId": f"AROA{digest(physical).upper()}",
            }
        elif token == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            service = inputs.get("awsServiceName") or "service.amazonaws.com"
            # IAM names the role after the service (the EC2 Auto Scaling user guide spells autoscaling's).
            role_name = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}.get(
                service,
                "AWSServiceRoleFor" + service.split(".")[0].replace("-", " ").title().replace(" ", ""),
            )
            attributes = {
                "arn": self._arn("iam", f"role/aws-service-role/{service}/{role_name}"),
                "name": role_name,
            }
        elif token == "aws:kms/key:Key":
            attributes = {"arn": self._arn("kms", f"key/{resource_id}"), "keyId": resource_id}
        elif token == "aws:kms/alias:Alias":
            attributes = {"arn": self._arn("kms", physical), "targetKeyArn": inputs.get("targetKeyId")}
        elif token == "aws:ecr/repository:Repository":
            attributes = {
                "name": physical,
                "arn": self._arn("ecr", f"repository/{physical}"),
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{physical}",
                "registryId": ACCOUNT_ID,
            }
        elif token in _EC2_ID_PREFIX:
            attributes = {"arn": self._arn("ec2", f"{resource_kind.lower()}/{resource_id}")}
            if token == "aws:ec2/subnet:Subnet":
                attributes["availabilityZone"] = inputs.get("availabilityZone") or f"{self.region}a"
            if token == "aws:ec2/launchTemplate:LaunchTemplate":
                attributes["latestVersion"] = 1
                attributes["defaultVersion"] = 1
        elif token == "aws:eks/cluster:Cluster":
            oidc = digest(physical, length=32).upper()
            attributes = {
                "name": physical,
                "arn": self._arn("eks", f"cluster/{physical}"),
                "endpoint": f"https://{oidc}.gr7.{self.region}.eks.amazonaws.com",
                "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                "identities": [
                    {"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{oidc}"}]}
                ],
                "version": inputs.get("version") or "1.33",
                "status": "ACTIVE",
                "clusterId": digest(physical, length=32),
                # EKS creates the cluster security group itself; launch templates refer to it.
                "vpcConfig": {
                    **(inputs.get("vpcConfig") or {}),
                    "clusterSecurityGroupId": f"sg-{digest(physical, 'cluster-sg')}",
                },
            }
        elif token == "aws:eks/nodeGroup:NodeGroup":
            attributes = {
                "arn": self._arn("eks", f"nodegroup/{inputs.get('clusterName')}/{physical}"),
                "status": "ACTIVE",
            }
        elif module == "sagemaker":
            attributes = {
                "name": physical,
                "arn": self._arn("sagemaker", f"{_kebab(kind)}/{physical.lower()}"),
            }
            if kind == "MlflowTrackingServer":
                attributes["trackingServerUrl"] = (
                    f"https://t-{digest(physical, length=12)}.{self.region}.experiments.sagemaker.aws"
                )
            if kind == "ModelPackageGroup":
                attributes["modelPackageGroupName"] = physical
        elif token == "aws:sns/topic:Topic":
            attributes = {"arn": self._arn("sns", physical), "name": physical}
        elif token == "aws:sqs/queue:Queue":
            attributes = {
                "arn": self._arn("sqs", physical),
                "url": f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{physical}",
            }
        elif token == "aws:cloudwatch/logGroup:LogGroup":
            attributes = {"arn": self._arn("logs", f"log-group:{physical}"), "name": physical}
        elif token == "aws:cloudwatch/metricAlarm:MetricAlarm":
            attributes = {"arn": self._arn("cloudwatch", f"alarm:{physical}"), "name": physical}
        elif token == "aws:lambda/function:Function":
            attributes = {
                "arn": self._arn("lambda", f"function:{physical}"),
                "invokeArn": f"arn:aws:apigateway:{self.region}:lambda:path/functions/{self._arn('lambda', f'function:{physical}')}/invocations",
                "name": physical,
            }
        outputs = output_properties(token)
        if not outputs:
            return attributes
        # What the provider decides before creating anything, so a preview shows it: the auto-name, the region
        # from the provider config, and tags merged with the provider's default tags (none offline).
        if "name" in outputs:
            attributes.setdefault("name", physical)
        if "region" in outputs:
            attributes.setdefault("region", inputs.get("region") or self.region)
        if "tagsAll" in outputs:
            attributes.setdefault("tagsAll", inputs.get("tags") or {})
        # Only what the type declares: an attribute the SDK class has no getter for is not an output.
        return {key: value for key, value in attributes.items() if key in outputs}

    # -- provider functions ----------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return answer_invoke(args.token, dict(args.args), self.invokes)


def _kebab(kind: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(kind))


def _unknown_if_derived_from_unknown(value: Any) -> Any:
    """A value built from an unknown input (a name not decided until apply) is itself unknown, as in a preview."""
    if isinstance(value, str) and rpc.UNKNOWN in value:
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {key: _unknown_if_derived_from_unknown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unknown_if_derived_from_unknown(item) for item in value]
    return value
