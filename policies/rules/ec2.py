"""EC2/VPC rules: IMDSv2 with hop limit 1, encrypted volumes, no public IPs, described and closed security groups, flow logs."""

from __future__ import annotations

from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, ResourceRule, StackRule
from modelyard.policies.values import ABSENT, UNKNOWN, items_of, lookup, number, shown

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
SUBNET_TYPES = frozenset({"aws:ec2/subnet:Subnet"})
VPC_TYPES = frozenset({"aws:ec2/vpc:Vpc"})
FLOW_LOG_TYPES = frozenset({"aws:ec2/flowLog:FlowLog"})
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

# The provider's default description says nothing about what the group is for.
PROVIDER_DEFAULT_DESCRIPTION = "Managed by Pulumi"
WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"


def _metadata_options(resource: Resource):
    return lookup(resource.inputs, "metadataOptions")


def _imds_disabled(options) -> bool:
    return lookup(options, "httpEndpoint") == "disabled"


def _imdsv2_required(resource: Resource) -> list[str]:
    options = _metadata_options(resource)
    if options == UNKNOWN or _imds_disabled(options):
        return []
    tokens = lookup(options, "httpTokens")
    if tokens in ("required", UNKNOWN):
        return []
    if tokens is ABSENT:
        return ["metadataOptions.httpTokens is not set, so IMDSv1 (no session token) stays enabled"]
    return [f"metadataOptions.httpTokens is {shown(tokens)}, not required"]


IMDSV2_REQUIRED = ResourceRule(
    id="MY-EC2-001",
    description="Launch templates and instances require IMDSv2 session tokens.",
    severity="high",
    anchors=(
        "CKV_AWS_79",
        "aws-ec2-launchtemplate-enforce-imdsv2",
        "SecurityHub EC2.170",
        "SecurityHub EC2.8",
    ),
    levels=MANDATORY,
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE}),
    check=_imdsv2_required,
)


def _hop_limit_one(resource: Resource) -> list[str]:
    options = _metadata_options(resource)
    if options == UNKNOWN or _imds_disabled(options):
        return []
    hops = lookup(options, "httpPutResponseHopLimit")
    if hops == UNKNOWN or (number(hops) is not None and number(hops) <= 1):
        return []
    if hops is ABSENT:
        # AMIs registered with ImdsSupport v2.0 (AL2023, current EKS AMIs) default the hop limit to 2.
        return [
            (
                "metadataOptions.httpPutResponseHopLimit is not set, so the AMI default (2 on IMDSv2-only AMIs) "
                "lets containers reach the instance role's credentials"
            )
        ]
    return [
        (
            f"metadataOptions.httpPutResponseHopLimit is {shown(hops)}, so containers can reach the instance role's "
            "credentials"
        )
    ]


HOP_LIMIT_ONE = ResourceRule(
    id="MY-EC2-002",
    description="Launch templates and instances keep the IMDS hop limit at 1 (pods use Pod Identity, not the node role).",
    severity="medium",
    anchors=("CKV_AWS_341",),
    levels=MANDATORY,
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE}),
    check=_hop_limit_one,
)


def _volumes_encrypted(template: Resource) -> list[str]:
    mappings = lookup(template.inputs, "blockDeviceMappings")
    if mappings == UNKNOWN:
        return []
    if not items_of(mappings):
        return [
            "declares no blockDeviceMappings, so volume encryption depends on the AMI and the account default"
        ]
    problems = []
    for position, mapping in enumerate(items_of(mappings)):
        ebs = lookup(mapping, "ebs")
        if ebs in (ABSENT, UNKNOWN):
            continue
        encrypted = lookup(ebs, "encrypted")
        # The wire format carries this flag as a string ("true"/"false").
        if encrypted not in (True, "true", UNKNOWN):
            problems.append(f"blockDeviceMappings[{position}].ebs.encrypted is {shown(encrypted)}, not true")
    return problems


VOLUMES_ENCRYPTED = ResourceRule(
    id="MY-EC2-003",
    description="Launch templates declare their EBS volumes encrypted.",
    severity="high",
    anchors=("CKV_AWS_8", "AwsSolutions-EC26", "aws-ec2-launchtemplate-disallow-unencrypted-block-device"),
    levels=MANDATORY,
    resource_types=frozenset({LAUNCH_TEMPLATE}),
    check=_volumes_encrypted,
)


def _no_public_ip(resource: Resource) -> list[str]:
    if resource.type == INSTANCE:
        flag = lookup(resource.inputs, "associatePublicIpAddress")
        return ["associatePublicIpAddress is true"] if flag in (True, "true") else []
    return [
        f"networkInterfaces[{position}].associatePublicIpAddress is true"
        for position, interface in enumerate(items_of(lookup(resource.inputs, "networkInterfaces")))
        if lookup(interface, "associatePublicIpAddress") in (True, "true")
    ]


NO_PUBLIC_IP = ResourceRule(
    id="MY-EC2-004",
    description="Launch templates and instances do not assign public IP addresses.",
    severity="high",
    anchors=(
        "CKV_AWS_88",
        "aws-ec2-launchtemplate-disallow-public-ip",
        "SecurityHub EC2.25",
        "SecurityHub EC2.9",
    ),
    levels=MANDATORY,
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE}),
    check=_no_public_ip,
)


def _subnet_private_by_default(subnet: Resource) -> list[str]:
    if lookup(subnet.inputs, "mapPublicIpOnLaunch") is True:
        return ["mapPublicIpOnLaunch is true, so every instance launched here gets a public IP"]
    return []


SUBNET_NO_AUTO_PUBLIC_IP = ResourceRule(
    id="MY-EC2-005",
    description="Subnets do not give instances public IPs automatically (NAT gateways use Elastic IPs).",
    severity="medium",
    anchors=("CKV_AWS_130", "SecurityHub EC2.15"),
    levels=MANDATORY,
    resource_types=SUBNET_TYPES,
    check=_subnet_private_by_default,
)


def _description_problem(value) -> str | None:
    if value is ABSENT or value == "":
        return "is not set"
    if value == PROVIDER_DEFAULT_DESCRIPTION:
        return f"is the provider default {PROVIDER_DEFAULT_DESCRIPTION!r}"
    return None


def _described(resource: Resource) -> list[str]:
    problems = []
    if problem := _description_problem(lookup(resource.inputs, "description")):
        problems.append(f"description {problem}")
    if resource.type == SECURITY_GROUP:
        for direction in ("ingress", "egress"):
            for position, rule in enumerate(items_of(lookup(resource.inputs, direction))):
                if problem := _description_problem(lookup(rule, "description")):
                    problems.append(f"{direction}[{position}].description {problem}")
    return problems


SECURITY_GROUPS_DESCRIBED = ResourceRule(
    id="MY-EC2-006",
    description="Security groups and their rules say what they are for.",
    severity="low",
    anchors=(
        "CKV_AWS_23",
        "aws-ec2-securitygroup-missing-description",
        "aws-ec2-securitygroup-missing-ingress-rule-description",
    ),
    levels=MANDATORY,
    resource_types=frozenset({SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE, LEGACY_RULE}),
    check=_described,
)


def _ports(rule) -> str:
    protocol = lookup(rule, "protocol")
    if protocol is ABSENT:
        protocol = lookup(rule, "ipProtocol")
    if str(protocol) == "-1":
        return "all traffic"
    return f"{protocol} {shown(lookup(rule, 'fromPort'))}-{shown(lookup(rule, 'toPort'))}"


def _world_sources(rule, ipv4_key: str, ipv6_key: str) -> list[str]:
    sources = []
    for key, world in ((ipv4_key, WORLD_IPV4), (ipv6_key, WORLD_IPV6)):
        value = lookup(rule, key)
        if value == world or world in items_of(value):
            sources.append(world)
    return sources


def _no_world_ingress(resource: Resource) -> list[str]:
    if resource.type == SECURITY_GROUP:
        return [
            f"ingress[{position}] allows {_ports(rule)} from {', '.join(sources)}"
            for position, rule in enumerate(items_of(lookup(resource.inputs, "ingress")))
            if (sources := _world_sources(rule, "cidrBlocks", "ipv6CidrBlocks"))
        ]
    if resource.type == INGRESS_RULE:
        sources = _world_sources(resource.inputs, "cidrIpv4", "cidrIpv6")
    elif lookup(resource.inputs, "type") == "ingress":
        sources = _world_sources(resource.inputs, "cidrBlocks", "ipv6CidrBlocks")
    else:
        return NotApplicable("an egress rule")
    return [f"allows {_ports(resource.inputs)} from {', '.join(sources)}"] if sources else []


NO_WORLD_INGRESS = ResourceRule(
    id="MY-EC2-007",
    description="No security group allows ingress from 0.0.0.0/0 or ::/0.",
    severity="high",
    anchors=(
        "CKV_AWS_24",
        "CKV_AWS_25",
        "CKV_AWS_260",
        "AwsSolutions-EC23",
        "aws-ec2-securitygroup-disallow-public-internet-ingress",
        "SecurityHub EC2.18",
        "SecurityHub EC2.19",
    ),
    levels=MANDATORY,
    resource_types=frozenset({SECURITY_GROUP, INGRESS_RULE, LEGACY_RULE}),
    check=_no_world_ingress,
)


def _every_vpc_has_flow_logs(stack: StackResources) -> list[Finding] | NotApplicable:
    vpcs = stack.of_types(VPC_TYPES)
    if not vpcs:
        return NotApplicable("the stack creates no VPC")
    return [
        Finding(vpc.urn, "no aws.ec2.FlowLog captures this VPC's traffic")
        for vpc in vpcs
        if not stack.referencing(vpc, FLOW_LOG_TYPES, "vpcId")
    ]


VPC_FLOW_LOGS = StackRule(
    id="MY-EC2-008",
    description="Every VPC the stack creates has flow logs.",
    severity="medium",
    anchors=("CKV2_AWS_11", "AwsSolutions-VPC7", "SecurityHub EC2.6"),
    levels=MANDATORY,
    check=_every_vpc_has_flow_logs,
)


RULES = (
    IMDSV2_REQUIRED,
    HOP_LIMIT_ONE,
    VOLUMES_ENCRYPTED,
    NO_PUBLIC_IP,
    SUBNET_NO_AUTO_PUBLIC_IP,
    SECURITY_GROUPS_DESCRIBED,
    NO_WORLD_INGRESS,
    VPC_FLOW_LOGS,
)
