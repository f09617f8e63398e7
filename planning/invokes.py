"""Data sources (invokes) answered offline as AWS would for the stack's account and region, or from a fixture file.

A data source the plan cannot answer stops the plan with an error naming the function and the fixture entry that
supplies its result, instead of handing the program a None to crash on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelyard.catalog.errors import InputError

ACCOUNT_ID = "123456789012"


class InvokeError(InputError):
    """A data source the offline plan cannot answer, or a malformed invoke fixture file."""


@dataclass(frozen=True)
class InvokeContext:
    """What the answers depend on: the stack's region and account, and the user's fixtures by token."""

    region: str
    account_id: str = ACCOUNT_ID
    fixtures: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def digest(*parts: str, length: int = 17) -> str:
    """A stable hex id from `parts`: the same program and stack always plan to the same ids."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def function_name(token: str) -> str:
    """`aws:ec2/getAmi:getAmi` -> `aws.ec2.get_ami` (the Python function a program calls)."""
    package, module, function = (token.split(":") + ["", ""])[:3]
    module = module.split("/")[0]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()
    return ".".join(part for part in (package, "" if module == "index" else module, snake) if part)


def load_invoke_fixtures(path: Path) -> dict[str, dict[str, Any]]:
    """A YAML or JSON mapping of invoke token (e.g. `aws:ssm/getParameter:getParameter`) to its result object."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise InvokeError(f"cannot read invoke fixture file {path}: {error}") from None
    except yaml.YAMLError as error:
        raise InvokeError(f"{path}: not valid YAML or JSON ({error})") from None
    if not isinstance(document, dict):
        raise InvokeError(
            f"{path}: expected a mapping of invoke token to result, e.g. "
            '{"aws:ssm/getParameter:getParameter": {"value": "..."}}'
        )
    for token, result in document.items():
        if not isinstance(token, str) or token.count(":") != 2:
            raise InvokeError(f"{path}: {token!r} is not an invoke token like `aws:ec2/getAmi:getAmi`")
        if not isinstance(result, dict):
            raise InvokeError(f"{path}: the result of {token} must be a mapping of output names to values")
    return document


def answer_invoke(token: str, args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    """The result of data source `token` for `args`; a fixture for the token wins over the built-in answer."""
    if token in context.fixtures:
        return dict(context.fixtures[token])
    answer = _ANSWERS.get(token)
    if answer is None:
        raise InvokeError(
            f"the offline plan cannot answer data source {function_name(token)} ({token}): its result depends on "
            f"live state or on facts the plan does not hold. "
            f"Supply its result in an invoke fixture file and pass it with --invoke-fixtures FILE, e.g.\n"
            f"  {token}:\n    <outputName>: <value>"
        )
    return answer(args, context)


def short_region(region: str) -> str:
    """`us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`: the prefix of AWS zone ids
    (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html)."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    direction = parts[1]
    for word, letter in (("north", "n"), ("south", "s"), ("east", "e"), ("west", "w"), ("central", "c")):
        direction = direction.replace(word, letter)
    return f"{parts[0]}{direction}{parts[-1]}"


def zone_names(region: str) -> list[str]:
    # us-east-1 has six zones, every other commercial region at least three
    # (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
    return [f"{region}{letter}" for letter in ("abcdef" if region == "us-east-1" else "abc")]


def default_vpc_id(context: InvokeContext) -> str:
    return f"vpc-{digest(context.account_id, context.region, 'default-vpc')}"


def _filters(args: dict[str, Any]) -> dict[str, list[str]]:
    return {
        entry.get("name"): list(entry.get("values") or [])
        for entry in args.get("filters") or []
        if isinstance(entry, dict)
    }


def _caller_identity(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    return {
        "accountId": context.account_id,
        "arn": f"arn:aws:iam::{context.account_id}:user/plan",
        "userId": "AIDAPLANOFFLINE",
        "id": context.account_id,
    }


def _region(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or context.region
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


def _partition(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    return {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
        "reverseDnsPrefix": "com.amazonaws",
    }


def _availability_zones(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    names = zone_names(context.region)
    ids = [f"{short_region(context.region)}-az{index}" for index in range(1, len(names) + 1)]
    excluded = set(args.get("excludeNames") or []) | set(args.get("excludeZoneIds") or [])
    kept = [
        (name, zone_id)
        for name, zone_id in zip(names, ids)
        if name not in excluded and zone_id not in excluded
    ]
    return {
        "names": [name for name, _ in kept],
        "zoneIds": [zone_id for _, zone_id in kept],
        "id": context.region,
        "groupNames": [context.region],
        "state": args.get("state"),
    }


def _ami(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    filters = _filters(args)
    key = json.dumps(
        {"filters": filters, "owners": args.get("owners"), "nameRegex": args.get("nameRegex")}, sort_keys=True
    )
    image_id = f"ami-{digest(context.region, key)}"
    pattern = (filters.get("name") or [args.get("nameRegex") or "image"])[0]
    architecture = (filters.get("architecture") or ["x86_64"])[0]
    owner = (args.get("owners") or [context.account_id])[0]
    return {
        "id": image_id,
        "imageId": image_id,
        "arn": f"arn:aws:ec2:{context.region}::image/{image_id}",
        "name": pattern.replace("*", "2026.12.01").replace("?", "x"),
        "architecture": architecture,
        "ownerId": owner if owner.isdigit() else _OWNER_ACCOUNTS.get(owner),
        "imageOwnerAlias": None if owner.isdigit() else owner,
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "state": "available",
        "public": True,
        "mostRecent": _as_bool(args.get("mostRecent")),
        "owners": args.get("owners"),
        "filters": args.get("filters"),
        "imageType": "machine",
        "hypervisor": "xen",
        "enaSupport": True,
        "blockDeviceMappings": [],
        "creationDate": "2026-12-01T00:00:00.000Z",
        "tags": {},
        "productCodes": [],
        "platformDetails": "Linux/UNIX",
    }


# The account behind the `amazon` owner alias (Amazon Linux images), as `aws ec2 describe-images --owners amazon`
# reports it; other aliases are left without an account id.
_OWNER_ACCOUNTS = {"amazon": "137112412989"}


def _ami_ids(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    image_id = _ami(args, context)["imageId"]
    return {
        "id": context.region,
        "ids": [image_id],
        "owners": args.get("owners"),
        "filters": args.get("filters"),
    }


def _vpc(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    if args.get("id"):
        vpc_id = args["id"]
    elif args.get("default"):
        vpc_id = default_vpc_id(context)
    else:
        vpc_id = f"vpc-{digest(context.region, json.dumps([args.get('filters'), args.get('tags')], sort_keys=True))}"
    # Default VPCs are 172.31.0.0/16 (https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html).
    cidr = "172.31.0.0/16" if args.get("default") else (args.get("cidrBlock") or "10.0.0.0/16")
    return {
        "id": vpc_id,
        "arn": f"arn:aws:ec2:{context.region}:{context.account_id}:vpc/{vpc_id}",
        "cidrBlock": cidr,
        "default": bool(args.get("default")),
        "state": "available",
        "ownerId": context.account_id,
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "instanceTenancy": "default",
        "mainRouteTableId": f"rtb-{digest(vpc_id, 'main')}",
        "dhcpOptionsId": f"dopt-{digest(vpc_id)}",
        "cidrBlockAssociations": [],
        "tags": args.get("tags") or {},
    }


def _subnets(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    # A default VPC has one default subnet per zone; a filtered query gets one subnet per zone of the VPC asked for.
    vpc = (_filters(args).get("vpc-id") or [default_vpc_id(context)])[0]
    ids = [f"subnet-{digest(vpc, zone)}" for zone in zone_names(context.region)]
    return {"id": context.region, "ids": ids, "filters": args.get("filters"), "tags": args.get("tags")}


def _subnet(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    subnet_id = (
        args.get("id") or f"subnet-{digest(context.region, json.dumps(args, sort_keys=True, default=str))}"
    )
    zone = args.get("availabilityZone") or zone_names(context.region)[0]
    return {
        "id": subnet_id,
        "arn": f"arn:aws:ec2:{context.region}:{context.account_id}:subnet/{subnet_id}",
        "availabilityZone": zone,
        "vpcId": args.get("vpcId") or default_vpc_id(context),
        "cidrBlock": args.get("cidrBlock") or "172.31.0.0/20",
        "state": "available",
        "ownerId": context.account_id,
        "mapPublicIpOnLaunch": True,
        "defaultForAz": bool(args.get("defaultForAz")),
        "tags": args.get("tags") or {},
    }


def _security_group(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    name = args.get("name") or (_filters(args).get("group-name") or ["default"])[0]
    vpc_id = args.get("vpcId") or (_filters(args).get("vpc-id") or [default_vpc_id(context)])[0]
    group_id = args.get("id") or f"sg-{digest(vpc_id, name)}"
    return {
        "id": group_id,
        "arn": f"arn:aws:ec2:{context.region}:{context.account_id}:security-group/{group_id}",
        "name": name,
        "vpcId": vpc_id,
        "description": f"{name} security group",
        "tags": args.get("tags") or {},
    }


def _prefix_list(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    name = (
        args.get("name")
        or (_filters(args).get("prefix-list-name") or [f"com.amazonaws.{context.region}.s3"])[0]
    )
    prefix_list_id = args.get("prefixListId") or f"pl-{digest(name, length=8)}"
    return {
        "id": prefix_list_id,
        "prefixListId": prefix_list_id,
        "name": name,
        "cidrBlocks": ["52.216.0.0/15"],
    }


def _ecr_authorization_token(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    registry = args.get("registryId") or context.account_id
    password = f"offline-plan-token-{digest(registry, context.region)}"
    return {
        "id": context.region,
        "registryId": registry,
        "userName": "AWS",
        "password": password,
        "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
        "proxyEndpoint": f"https://{registry}.dkr.ecr.{context.region}.amazonaws.com",
        "expiresAt": "2026-12-07T00:00:00Z",
    }


def _eks_cluster_auth(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    name = args.get("name") or ""
    return {"id": name, "name": name, "token": f"k8s-aws-v1.offline-plan-{digest(context.region, name)}"}


def _policy_document_answer(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements += _statements_of(source)
    rendered = _policy_document(args.get("statements") or [])["Statement"]
    overrides = [
        statement
        for source in args.get("overridePolicyDocuments") or []
        for statement in _statements_of(source)
    ]
    merged = _merge_by_sid(statements + rendered, overrides)
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17", "Statement": merged}
    if args.get("policyId"):
        document = {"Version": document["Version"], "Id": args["policyId"], "Statement": merged}
    text = json.dumps(document, indent=2)
    return {
        "json": text,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
        "id": digest(text, length=10),
    }


def _statements_of(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) and document.strip() else {}
    statements = parsed.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _merge_by_sid(statements: list[dict[str, Any]], overrides: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Later statements replace earlier ones with the same Sid, as the provider documents for source and
    override documents (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document)."""
    merged: list[dict[str, Any]] = []
    for statement in statements + overrides:
        sid = statement.get("Sid")
        index = next((i for i, kept in enumerate(merged) if sid and kept.get("Sid") == sid), None)
        if index is None:
            merged.append(statement)
        else:
            merged[index] = statement
    return merged


def _policy_document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """Render aws.iam.get_policy_document statements as the provider does (terraform-provider-aws
    `internal/service/iam/policy_document_data_source.go`): keys in its struct order (Sid, Effect, Action,
    NotAction, Resource, NotResource, Principal, NotPrincipal, Condition), a single value as a string, `json`
    indented by two spaces and `minifiedJson` compact."""
    rendered = []
    for statement in statements:
        item: dict[str, Any] = {}
        if statement.get("sid"):
            item["Sid"] = statement["sid"]
        item["Effect"] = statement.get("effect") or "Allow"
        for key, name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = statement.get(key)
            if values:
                item[name] = values[0] if len(values) == 1 else values
        for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if statement.get(key):
                principal: dict[str, Any] = {}
                for entry in statement[key]:
                    ids = entry.get("identifiers") or []
                    principal[entry.get("type")] = ids[0] if len(ids) == 1 else ids
                item[name] = "*" if principal == {"*": "*"} else principal
        if statement.get("conditions"):
            condition: dict[str, dict[str, Any]] = {}
            for entry in statement["conditions"]:
                values = entry.get("values") or []
                condition.setdefault(entry["test"], {})[entry["variable"]] = (
                    values[0] if len(values) == 1 else values
                )
            item["Condition"] = condition
        rendered.append(item)
    return {"Version": "2012-10-17", "Statement": rendered}


def _vpc_endpoint_service(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    # By full name (`serviceName`, e.g. SageMaker MLflow's aws.sagemaker.<region>.experiments) or common name.
    name = args.get("serviceName") or f"com.amazonaws.{context.region}.{args.get('service')}"
    return {
        "serviceName": name,
        "serviceType": args.get("serviceType") or "Interface",
        "id": name,
        "availabilityZones": zone_names(context.region),
    }


def _open_id_connect_provider(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    host = (
        str(args.get("url") or "").removeprefix("https://")
        or str(args.get("arn")).split("oidc-provider/")[-1]
    )
    arn = f"arn:aws:iam::{context.account_id}:oidc-provider/{host}"
    return {"arn": arn, "url": host, "id": arn, "clientIdLists": ["sts.amazonaws.com"], "thumbprintLists": []}


def _yaml_decode(args: dict[str, Any], context: InvokeContext) -> dict[str, Any]:
    """pulumi_kubernetes' yaml.ConfigFile parses manifests through this invoke; it needs no cluster."""
    try:
        documents = [document for document in yaml.safe_load_all(args.get("text") or "") if document]
    except yaml.YAMLError as error:
        raise InvokeError(f"kubernetes:yaml:decode: the manifest is not valid YAML ({error})") from None
    return {"result": documents}


_ANSWERS: dict[str, Callable[[dict[str, Any], InvokeContext], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:ec2/getAmiIds:getAmiIds": _ami_ids,
    "aws:ec2/getVpc:getVpc": _vpc,
    "aws:ec2/getSubnets:getSubnets": _subnets,
    "aws:ec2/getSubnet:getSubnet": _subnet,
    "aws:ec2/getSecurityGroup:getSecurityGroup": _security_group,
    "aws:ec2/getPrefixList:getPrefixList": _prefix_list,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_authorization_token,
    # The same ECR GetAuthorizationToken call for one registry, with the same result fields
    # (pulumi_aws/ecr/get_credentials.py GetCredentialsResult).
    "aws:ecr/getCredentials:getCredentials": _ecr_authorization_token,
    "aws:eks/getClusterAuth:getClusterAuth": _eks_cluster_auth,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document_answer,
    "aws:ec2/getVpcEndpointService:getVpcEndpointService": _vpc_endpoint_service,
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": _open_id_connect_provider,
    "kubernetes:yaml:decode": _yaml_decode,
}


def _as_bool(value: Any) -> bool:
    """A boolean argument as the provider coerces it (programs pass "true" as often as True)."""
    return value.strip().lower() == "true" if isinstance(value, str) else bool(value)
