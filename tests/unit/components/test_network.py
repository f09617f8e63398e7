"""Network: the subnet arithmetic (property-tested), private-by-default VPC, endpoints and security groups."""

from __future__ import annotations

import ipaddress
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelyard.components import ComponentArgsError, Network, NetworkArgs
from modelyard.components.network import INTERFACE_ENDPOINT_SERVICES, SubnetLayout, subnet_layout

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
PRIVATE_RANGES = [ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
SG_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)


@st.composite
def vpc_cidrs(draw) -> str:
    """Any private IPv4 block from /16 to /24."""
    private_range = draw(st.sampled_from(PRIVATE_RANGES))
    prefix = draw(st.integers(min_value=16, max_value=24))
    offset = draw(st.integers(min_value=0, max_value=private_range.num_addresses - 1))
    address = int(private_range.network_address) + offset
    return str(ipaddress.IPv4Network((address >> (32 - prefix) << (32 - prefix), prefix)))


@given(cidr=vpc_cidrs(), az_count=st.integers(min_value=1, max_value=3))
def test_layout_subnets_are_inside_the_vpc_and_never_overlap(cidr, az_count):
    layout = subnet_layout(cidr, az_count)
    vpc = ipaddress.IPv4Network(cidr)
    private = [ipaddress.IPv4Network(block) for block in layout.private]
    public = [ipaddress.IPv4Network(block) for block in layout.public]

    assert len(private) == len(public) == az_count
    for subnet in private + public:
        assert subnet.subnet_of(vpc)
        assert subnet.prefixlen <= 28  # AWS's smallest subnet
    for first, second in itertools.combinations(private + public, 2):
        assert not first.overlaps(second)
    # Compute gets the room: each private subnet is four times a public one.
    assert {subnet.num_addresses for subnet in private} == {4 * public[0].num_addresses}


def test_layout_of_the_default_cidr():
    assert subnet_layout("10.20.0.0/16", 2) == SubnetLayout(
        private=("10.20.0.0/18", "10.20.64.0/18"), public=("10.20.192.0/20", "10.20.208.0/20")
    )


@pytest.mark.parametrize(
    ("cidr", "az_count"), [("10.0.0.0/25", 2), ("10.0.0.0/16", 0), ("10.0.0.0/16", 4), ("10.0.0.1/16", 2)]
)
def test_layout_rejects_what_it_cannot_split(cidr, az_count):
    with pytest.raises(ValueError):
        subnet_layout(cidr, az_count)


def _network(tags, **overrides) -> Network:
    return Network("net", NetworkArgs(tags=tags, flow_log_key_arn=KEY_ARN, **overrides))


def test_new_vpc_puts_compute_in_private_subnets(program, tags):
    def build():
        network = _network(tags, cidr="10.30.0.0/16", az_count=3)
        pulumi.export("private", network.private_subnet_ids)
        pulumi.export("zones", network.availability_zones)

    run = program(build)
    assert run.error is None
    component = run.one("modelyard:network:Network")
    assert all(resource.parent == component.urn for resource in run.resources if resource is not component)
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.30.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    layout = subnet_layout("10.30.0.0/16", 3)
    subnets = {subnet.name: subnet for subnet in run.of_type("aws:ec2/subnet:Subnet")}
    assert [subnets[f"net-private-{zone}"].inputs["cidrBlock"] for zone in "abc"] == list(layout.private)
    assert [subnets[f"net-public-{zone}"].inputs["cidrBlock"] for zone in "abc"] == list(layout.public)
    assert all(subnet.inputs["mapPublicIpOnLaunch"] is False for subnet in subnets.values())
    assert run.outputs["private"] == [subnets[f"net-private-{zone}"].id for zone in "abc"]
    # The plan's zones map a..f to use1-az1..6: us-east-1c is use1-az3, where EKS refuses cluster subnets.
    assert run.outputs["zones"] == ["us-east-1a", "us-east-1b", "us-east-1d"]
    assert all(subnet.inputs["tags"]["cost-center"] == tags["cost-center"] for subnet in subnets.values())
    assert run.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs.get("ingress") in (None, [])


@pytest.mark.parametrize(("nat_per_az", "nat_count"), [(False, 1), (True, 2)])
def test_private_subnets_route_through_one_nat_or_one_per_az(program, tags, nat_per_az, nat_count):
    run = program(lambda: _network(tags, nat_per_az=nat_per_az))

    nats = {nat.name: nat for nat in run.of_type("aws:ec2/natGateway:NatGateway")}
    assert sorted(nats) == [f"net-nat-{zone}" for zone in "ab"[:nat_count]]
    for zone in "ab"[:nat_count]:
        assert (
            nats[f"net-nat-{zone}"].inputs["subnetId"]
            == run.one("aws:ec2/subnet:Subnet", f"net-public-{zone}").id
        )
    for zone in "ab":
        route = run.one("aws:ec2/route:Route", f"net-private-{zone}-default-route")
        expected = nats[f"net-nat-{zone if nat_per_az else 'a'}"].id
        assert (
            route.inputs["natGatewayId"] == expected and route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        )
    public_route = run.one("aws:ec2/route:Route", "net-public-default-route")
    assert public_route.inputs["gatewayId"] == run.one("aws:ec2/internetGateway:InternetGateway").id


def test_flow_logs_go_to_an_encrypted_log_group_through_a_narrow_role(program, tags):
    run = program(lambda: _network(tags, flow_log_retention_days=90))

    group = run.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == KEY_ARN and group.inputs["retentionInDays"] == 90
    flow_log = run.one("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").id
    assert (
        flow_log.inputs["logDestination"]
        == f"arn:aws:logs:us-east-1:123456789012:log-group:{group.inputs['name']}"
    )
    (trust,) = run.statements(run.one("aws:iam/role:Role"), "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"},
    }
    delivery, find = run.statements(run.one("aws:iam/rolePolicy:RolePolicy"))
    assert all(resource.startswith(flow_log.inputs["logDestination"]) for resource in delivery["Resource"])
    assert find["Resource"] == ["arn:aws:logs:us-east-1:123456789012:log-group:*"]


def test_endpoints_keep_aws_traffic_inside_the_vpc(program, tags):
    run = program(lambda: _network(tags), region="eu-central-1")

    endpoints = {e.inputs["serviceName"]: e.inputs for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    interface = {
        f"com.amazonaws.eu-central-1.{s}"
        for s in (
            "ecr.api",
            "ecr.dkr",
            "sagemaker.api",
            "sagemaker.runtime",
            "sts",
            "logs",
            "monitoring",
            "servicequotas",
        )
    }
    # The drift monitor's PutMetricData (CloudWatch) and the register/deploy steps' MLflow calls stay in the VPC;
    # MLflow's endpoint service lives under aws.sagemaker, not com.amazonaws.
    interface.add("aws.sagemaker.eu-central-1.experiments")
    assert set(endpoints) == interface | {"com.amazonaws.eu-central-1.s3"}
    assert len(INTERFACE_ENDPOINT_SERVICES) == len(interface)
    private_subnets = [run.one("aws:ec2/subnet:Subnet", f"net-private-{zone}").id for zone in "ab"]
    endpoint_group = run.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints").id
    for service_name in interface:
        inputs = endpoints[service_name]
        assert inputs["vpcEndpointType"] == "Interface" and inputs["privateDnsEnabled"] is True
        assert inputs["subnetIds"] == private_subnets
        assert inputs["securityGroupIds"] == [endpoint_group]
    s3 = endpoints["com.amazonaws.eu-central-1.s3"]
    assert s3["vpcEndpointType"] == "Gateway"
    assert s3["routeTableIds"] == [
        run.one("aws:ec2/routeTable:RouteTable", f"net-private-{z}-rt").id for z in "ab"
    ]
    (https_in,) = [r for r in run.of_type(SG_RULES[0]) if r.inputs["securityGroupId"] == endpoint_group]
    assert (https_in.inputs["fromPort"], https_in.inputs["toPort"], https_in.inputs["cidrIpv4"]) == (
        443,
        443,
        "10.20.0.0/16",
    )


@pytest.mark.parametrize("allow_internet_egress", [False, True])
def test_security_groups_have_descriptions_and_no_world_ingress(program, tags, allow_internet_egress):
    run = program(lambda: _network(tags, allow_internet_egress=allow_internet_egress))

    groups = {group.name: group for group in run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    assert set(groups) == {"net-training", "net-inference", "net-endpoints"}
    assert all(group.inputs["description"] for group in groups.values())
    rules = [rule for token in SG_RULES for rule in run.of_type(token)]
    assert all(rule.inputs["description"] for rule in rules)
    ingress = run.of_type(SG_RULES[0])
    assert not any(
        rule.inputs.get("cidrIpv4") == "0.0.0.0/0" or rule.inputs.get("cidrIpv6") == "::/0"
        for rule in ingress
    )
    training, inference = groups["net-training"].id, groups["net-inference"].id
    (self_ingress,) = [rule for rule in ingress if rule.inputs["securityGroupId"] == training]
    assert (
        self_ingress.inputs["referencedSecurityGroupId"] == training
        and self_ingress.inputs["ipProtocol"] == "-1"
    )
    assert not [rule for rule in ingress if rule.inputs["securityGroupId"] == inference]
    world_egress = [rule for rule in run.of_type(SG_RULES[1]) if rule.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert len(world_egress) == (2 if allow_internet_egress else 0)
    assert all(rule.inputs["fromPort"] == rule.inputs["toPort"] == 443 for rule in world_egress)


def test_existing_vpc_gets_only_security_groups(program, tags):
    subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]

    def build():
        network = Network(
            "net",
            NetworkArgs(
                tags=tags, existing_vpc_id="vpc-0123456789abcdef0", existing_private_subnet_ids=subnets
            ),
        )
        assert network.endpoint_security_group_id is None and network.flow_log_group_name is None
        pulumi.export("vpc", network.vpc_id)
        pulumi.export("private", network.private_subnet_ids)
        pulumi.export("training", network.training_security_group_id)

    run = program(build)
    assert run.error is None
    assert {r.type for r in run.resources} == {
        "modelyard:network:Network",
        "aws:ec2/securityGroup:SecurityGroup",
        *SG_RULES,
    }
    assert all(
        g.inputs["vpcId"] == "vpc-0123456789abcdef0"
        for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")
    )
    assert run.outputs["vpc"] == "vpc-0123456789abcdef0"
    assert run.outputs["private"] == subnets
    assert run.outputs["training"] == run.one("aws:ec2/securityGroup:SecurityGroup", "net-training").id


def test_invalid_new_vpc_args_list_every_problem_before_any_resource(program):
    args = NetworkArgs(
        tags={"project": "modelyard"}, cidr="8.8.0.0/16", az_count=4, flow_log_retention_days=13
    )
    run = program(lambda: Network("net", args))

    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for path in (
        "cidr: '8.8.0.0/16'",
        "az_count: 4",
        "flow_log_key_arn: required",
        "flow_log_retention_days: 13",
        "tags: missing required tag 'owner'",
    ):
        assert path in message
    assert run.resources == []


def test_invalid_existing_vpc_args_name_each_bad_id(program, tags):
    args = NetworkArgs(
        tags=tags,
        existing_vpc_id="vpc-nope",
        existing_private_subnet_ids=["subnet-0123456789abcdef0", "sn-2"],
    )
    run = program(lambda: Network("net", args))

    assert isinstance(run.error, ComponentArgsError)
    assert run.error.problems == [
        "existing_vpc_id: 'vpc-nope' is not a VPC id (vpc-...)",
        "existing_private_subnet_ids[1]: 'sn-2' is not a subnet id (subnet-...)",
    ]
    assert run.resources == []


def _offer_service_in(monkeypatch, service: str, zones: list[str]) -> None:
    """Make the plan's AWS answer that one interface endpoint service is offered only in `zones`."""
    from modelyard.planning.mocks import PlanMocks

    answer = PlanMocks.call

    def call(self, args):
        result = answer(self, args)
        # The component asks by full service name (com.amazonaws.<region>.<service>).
        if args.token == "aws:ec2/getVpcEndpointService:getVpcEndpointService" and str(
            args.args.get("serviceName")
        ).endswith(f".{service}"):
            result = {**result, "availabilityZones": zones}
        return result

    monkeypatch.setattr(PlanMocks, "call", call)


def test_zones_are_those_every_interface_endpoint_service_offers(program, tags, monkeypatch):
    _offer_service_in(monkeypatch, "sagemaker.runtime", ["us-east-1b", "us-east-1d", "us-east-1e"])

    def build():
        network = _network(tags, az_count=2)
        pulumi.export("zones", network.availability_zones)

    run = program(build)
    assert run.error is None, run.error
    # us-east-1a lacks the SageMaker runtime endpoint; us-east-1c is use1-az3, which EKS refuses.
    assert run.outputs["zones"] == ["us-east-1b", "us-east-1d"]


def test_too_few_usable_zones_is_an_error_naming_them():
    # In a process of its own: a program that fails inside an apply leaves Pulumi runtime state behind that
    # breaks the next mocked run in the same process.
    script = textwrap.dedent("""
        from conftest import TAGS, run_program
        from test_network import KEY_ARN, _offer_service_in
        from modelyard.components import Network, NetworkArgs
        import pytest

        with pytest.MonkeyPatch.context() as monkeypatch:
            _offer_service_in(monkeypatch, "sts", ["us-east-1a", "us-east-1b"])
            run = run_program(lambda: Network("net", NetworkArgs(tags=TAGS, flow_log_key_arn=KEY_ARN, az_count=3)))
        print(run.error)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    assert (
        "az_count: 3 zones are needed, but only ['us-east-1a', 'us-east-1b'] support EKS and the interface "
        "endpoints" in result.stdout
    )
