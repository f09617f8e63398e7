"""Where compute runs: a private VPC with NAT egress, flow logs, endpoints and SageMaker security groups."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.policy_documents import attach_policy, service_trust_policy
from modelyard.components.monitoring import LOG_RETENTION_DAYS
from modelyard.components.tagging import named_tags, tag_problems
from modelyard.components.validation import ComponentArgsError, raise_for_problems

MAX_AZS = 3
# AWS's smallest subnet; a public subnet holds only a NAT gateway.
SMALLEST_SUBNET_PREFIX = 28
# Interface endpoints that keep image pulls, SageMaker control/runtime calls, credentials, logs, metrics
# and MLflow inside the VPC (S3 gets a free gateway endpoint instead): each maps a short name to its
# service name, `{region}` filled in. "monitoring" is CloudWatch's API (PutMetricData of the drift monitor);
# "servicequotas" serves the deploy step's GPU quota pre-flight.
# SageMaker managed MLflow's endpoint service is not under com.amazonaws: "aws.sagemaker.<region>.experiments"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/mlflow-interface-endpoint-create.html).
INTERFACE_ENDPOINT_SERVICE_NAMES = {
    "ecr.api": "com.amazonaws.{region}.ecr.api",
    "ecr.dkr": "com.amazonaws.{region}.ecr.dkr",
    "sagemaker.api": "com.amazonaws.{region}.sagemaker.api",
    "sagemaker.runtime": "com.amazonaws.{region}.sagemaker.runtime",
    "sts": "com.amazonaws.{region}.sts",
    "logs": "com.amazonaws.{region}.logs",
    "monitoring": "com.amazonaws.{region}.monitoring",
    "servicequotas": "com.amazonaws.{region}.servicequotas",
    "sagemaker.experiments": "aws.sagemaker.{region}.experiments",
}
INTERFACE_ENDPOINT_SERVICES = tuple(INTERFACE_ENDPOINT_SERVICE_NAMES)
# Zone ids (the same physical zone in every account, unlike zone names) where EKS refuses control-plane subnets
# with UnsupportedAvailabilityZoneException: the EKS user guide's subnet requirements
# (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-subnets) and eksctl's
# zone denylist (pkg/az/az.go).
EKS_UNSUPPORTED_ZONE_IDS = ("use1-az3", "usw1-az2", "cac1-az3")
ALL_IPV4 = "0.0.0.0/0"

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8,17}$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
# An existing VPC needs private subnets in at least this many AZs.
MIN_EXISTING_SUBNETS = 2
_VPC_ID = re.compile(VPC_ID_PATTERN)
_SUBNET_ID = re.compile(SUBNET_ID_PATTERN)


def endpoint_service_name(template: str, region: pulumi.Input[str]) -> pulumi.Output[str]:
    """An INTERFACE_ENDPOINT_SERVICE_NAMES template with the region filled in (the zone lookup and the endpoint share it)."""
    return pulumi.Output.from_input(region).apply(lambda value: template.format(region=value))


@dataclass(frozen=True)
class SubnetLayout:
    """CIDR blocks per AZ: large private subnets for compute, small public ones for NAT gateways."""

    private: tuple[str, ...]
    public: tuple[str, ...]


def subnet_layout(cidr: str, az_count: int) -> SubnetLayout:
    """Split a VPC CIDR (/16-/24) into quarters: one private quarter per AZ (up to three), and the
    last quarter cut into sixteenths of the VPC for the public subnets.

    For 10.20.0.0/16 and 2 AZs: private 10.20.0.0/18, 10.20.64.0/18; public 10.20.192.0/20, 10.20.208.0/20.
    """
    network = ipaddress.IPv4Network(cidr, strict=True)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be between 1 and {MAX_AZS}, got {az_count}")
    if network.prefixlen + 4 > SMALLEST_SUBNET_PREFIX:
        raise ValueError(f"{cidr} is too small: the layout needs at least a /{SMALLEST_SUBNET_PREFIX - 4}")
    quarters = list(network.subnets(prefixlen_diff=2))
    public_block = list(quarters[MAX_AZS].subnets(prefixlen_diff=2))
    return SubnetLayout(
        private=tuple(str(subnet) for subnet in quarters[:az_count]),
        public=tuple(str(subnet) for subnet in public_block[:az_count]),
    )


@dataclass
class NetworkArgs:
    """A new VPC's shape, or an existing VPC to place compute in."""

    tags: dict[str, str]
    """Tags on every resource (project, environment, owner, cost-center). Required."""
    flow_log_key_arn: pulumi.Input[str] | None = None
    """KMS key for the flow log group; its policy must admit the `logs` service. Required for a new VPC."""
    cidr: str = "10.20.0.0/16"
    """VPC CIDR block, a private /16 to /24. Default 10.20.0.0/16."""
    az_count: int = 2
    """Availability zones to spread subnets over (2 or 3). Default 2."""
    nat_per_az: bool = False
    """One NAT gateway per AZ (survives an AZ outage) instead of one shared. Default False."""
    flow_log_retention_days: int = 30
    """Retention of the flow log group, in days (a CloudWatch-accepted value). Default 30."""
    allow_internet_egress: bool = False
    """Let training and inference security groups reach the internet on 443 through NAT. Default False."""
    existing_vpc_id: str | None = None
    """Place compute in this VPC instead of creating one (only security groups are created). Default None."""
    existing_private_subnet_ids: list[str] = field(default_factory=list)
    """Private subnets of existing_vpc_id (at least 2). Default []."""

    def problems(self) -> list[str]:
        found = tag_problems(self.tags)
        if self.existing_vpc_id is None:
            found += self._new_vpc_problems()
        else:
            found += self._existing_vpc_problems()
        return found

    def _new_vpc_problems(self) -> list[str]:
        found = []
        if self.existing_private_subnet_ids:
            found.append("existing_private_subnet_ids: given without existing_vpc_id")
        try:
            network = ipaddress.ip_network(self.cidr, strict=True)
        except ValueError as error:
            found.append(f"cidr: {self.cidr!r} is not a valid CIDR block ({error})")
        else:
            if not isinstance(network, ipaddress.IPv4Network) or not network.is_private:
                found.append(f"cidr: {self.cidr!r} must be a private IPv4 range")
            elif not 16 <= network.prefixlen <= SMALLEST_SUBNET_PREFIX - 4:
                found.append(f"cidr: {self.cidr!r} must be between /16 and /{SMALLEST_SUBNET_PREFIX - 4}")
        if not 2 <= self.az_count <= MAX_AZS:
            found.append(f"az_count: {self.az_count} must be 2 or 3")
        if self.flow_log_key_arn is None:
            found.append("flow_log_key_arn: required for a new VPC (flow logs are KMS-encrypted)")
        if self.flow_log_retention_days not in LOG_RETENTION_DAYS:
            found.append(
                f"flow_log_retention_days: {self.flow_log_retention_days} is not a CloudWatch period "
                f"(one of {', '.join(map(str, sorted(LOG_RETENTION_DAYS)))})"
            )
        return found

    def _existing_vpc_problems(self) -> list[str]:
        found = []
        if not _VPC_ID.match(self.existing_vpc_id or ""):
            found.append(f"existing_vpc_id: {self.existing_vpc_id!r} is not a VPC id (vpc-...)")
        if len(self.existing_private_subnet_ids) < MIN_EXISTING_SUBNETS:
            found.append(
                f"existing_private_subnet_ids: at least {MIN_EXISTING_SUBNETS} subnets (in different AZs) "
                "are required"
            )
        for index, subnet in enumerate(self.existing_private_subnet_ids):
            if not _SUBNET_ID.match(subnet):
                found.append(
                    f"existing_private_subnet_ids[{index}]: {subnet!r} is not a subnet id (subnet-...)"
                )
        return found


class Network(pulumi.ComponentResource):
    """A VPC whose compute lives in private subnets, or security groups in an existing VPC.

    New VPC: private subnets (compute) and public subnets (only NAT gateways, no public IPs on launch)
    per AZ; one NAT, or one per AZ; the default security group stripped of rules; VPC flow logs to a
    KMS-encrypted log group; an S3 gateway endpoint; interface endpoints for ECR, SageMaker, STS,
    Logs, CloudWatch metrics and SageMaker MLflow with private DNS, reachable on 443 from the VPC only.

    Existing VPC: only the training and inference security groups. Endpoints, routes and flow logs
    belong to whoever owns that VPC (a second endpoint with private DNS for a service would clash with
    theirs), so no endpoint security group is created (`endpoint_security_group_id` is None).

    Both: no security group admits traffic from 0.0.0.0/0. The training group admits all traffic from
    itself (multi-node DDP, NCCL/gloo, inter-container encryption); the inference group admits nothing
    (SageMaker delivers invocations without entering the VPC). Egress is HTTPS to the VPC (endpoints)
    and to S3 (its managed prefix list), plus the internet on 443 only with `allow_internet_egress`.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    availability_zones: pulumi.Output[list[str]]
    training_security_group_id: pulumi.Output[str]
    inference_security_group_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str] | None
    flow_log_group_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if not _NAME.match(name):
            problems.insert(0, f"name: {name!r} must be 2-40 lowercase letters, digits or hyphens")
        raise_for_problems("Network", name, problems)
        super().__init__("modelyard:network:Network", name, None, opts)
        self._tags = args.tags
        self._account = AccountContext.lookup(self)
        self.endpoint_security_group_id = None
        self.flow_log_group_name = None
        if args.existing_vpc_id is None:
            self._new_vpc(name, args)
        else:
            vpc = aws.ec2.get_vpc_output(
                id=args.existing_vpc_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.vpc_id = pulumi.Output.from_input(args.existing_vpc_id)
            self.vpc_cidr_block = vpc.cidr_block
            self.private_subnet_ids = pulumi.Output.from_input(args.existing_private_subnet_ids)
            self.public_subnet_ids = pulumi.Output.from_input([])
            self.availability_zones = pulumi.Output.from_input([])
        self._compute_security_groups(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "training_security_group_id": self.training_security_group_id,
                "inference_security_group_id": self.inference_security_group_id,
            }
        )

    def _usable_zones(self, name: str, count: int) -> list[pulumi.Output[str]]:
        """The first `count` zones where EKS runs and every interface endpoint service is offered."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        zones = aws.get_availability_zones_output(
            state="available",
            exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS),
            # Skip Local and Wavelength Zones: SageMaker and NAT gateways are not offered there.
            filters=[
                aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
            ],
            opts=invoke,
        ).names
        # An interface endpoint can only have subnets in zones its service supports (CreateVpcEndpoint refuses
        # the others); each service lists its zones.
        # By full service name: SageMaker MLflow's is not com.amazonaws.<region>.<service>.
        offered = [
            aws.ec2.get_vpc_endpoint_service_output(
                service_name=endpoint_service_name(template, self._account.region),
                service_type="Interface",
                opts=invoke,
            ).availability_zones
            for template in INTERFACE_ENDPOINT_SERVICE_NAMES.values()
        ]

        def usable(values: list[list[str]]) -> list[str]:
            names, *per_service = values
            found = [name for name in names if all(name in service_zones for service_zones in per_service)]
            if len(found) < count:
                # Known only once the provider answers, so raised from here rather than by args.problems().
                raise ComponentArgsError(
                    "Network",
                    name,
                    [
                        f"az_count: {count} zones are needed, but only {found} support EKS and the interface endpoints "
                        f"({', '.join(INTERFACE_ENDPOINT_SERVICES)}) here"
                    ],
                )
            return found

        chosen = pulumi.Output.all(zones, *offered).apply(usable)
        return [chosen.apply(lambda names, i=index: names[i]) for index in range(count)]

    def _opts(self, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    # -- a new VPC ---------------------------------------------------------------------------------
    def _new_vpc(self, name: str, args: NetworkArgs) -> None:
        layout = subnet_layout(args.cidr, args.az_count)
        tags = args.tags
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            aws.ec2.VpcArgs(
                cidr_block=args.cidr,
                # Interface endpoints with private DNS need both.
                enable_dns_support=True,
                enable_dns_hostnames=True,
                tags=named_tags(tags, f"{name}-vpc"),
            ),
            opts=self._opts(),
        )
        # Adopting the default security group removes its allow-all rules; nothing may fall back on it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            aws.ec2.DefaultSecurityGroupArgs(vpc_id=vpc.id, tags=named_tags(tags, f"{name}-default-unused")),
            opts=self._opts(),
        )
        zone_names = self._usable_zones(name, args.az_count)

        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw",
            aws.ec2.InternetGatewayArgs(vpc_id=vpc.id, tags=named_tags(tags, f"{name}-igw")),
            opts=self._opts(),
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            aws.ec2.RouteTableArgs(vpc_id=vpc.id, tags=named_tags(tags, f"{name}-public")),
            opts=self._opts(),
        )
        aws.ec2.Route(
            f"{name}-public-default-route",
            aws.ec2.RouteArgs(
                route_table_id=public_routes.id,
                destination_cidr_block=ALL_IPV4,
                gateway_id=internet_gateway.id,
            ),
            opts=self._opts(),
        )

        private_subnets: list[aws.ec2.Subnet] = []
        public_subnets: list[aws.ec2.Subnet] = []
        for index in range(args.az_count):
            zone_label = chr(ord("a") + index)
            public = aws.ec2.Subnet(
                f"{name}-public-{zone_label}",
                aws.ec2.SubnetArgs(
                    vpc_id=vpc.id,
                    cidr_block=layout.public[index],
                    availability_zone=zone_names[index],
                    # Only NAT gateways live here, and they get an Elastic IP of their own.
                    map_public_ip_on_launch=False,
                    tags=named_tags(tags, f"{name}-public-{zone_label}"),
                ),
                opts=self._opts(),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone_label}-rta",
                aws.ec2.RouteTableAssociationArgs(route_table_id=public_routes.id, subnet_id=public.id),
                opts=self._opts(),
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{zone_label}",
                aws.ec2.SubnetArgs(
                    vpc_id=vpc.id,
                    cidr_block=layout.private[index],
                    availability_zone=zone_names[index],
                    map_public_ip_on_launch=False,
                    # Lets EKS place internal load balancers here.
                    tags={
                        **named_tags(tags, f"{name}-private-{zone_label}"),
                        "kubernetes.io/role/internal-elb": "1",
                    },
                ),
                opts=self._opts(),
            )
            public_subnets.append(public)
            private_subnets.append(private)

        nat_gateways = []
        for index in range(args.az_count if args.nat_per_az else 1):
            zone_label = chr(ord("a") + index)
            address = aws.ec2.Eip(
                f"{name}-nat-{zone_label}-eip",
                aws.ec2.EipArgs(domain="vpc", tags=named_tags(tags, f"{name}-nat-{zone_label}")),
                opts=self._opts(depends_on=[internet_gateway]),
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone_label}",
                    aws.ec2.NatGatewayArgs(
                        allocation_id=address.id,
                        subnet_id=public_subnets[index].id,
                        connectivity_type="public",
                        tags=named_tags(tags, f"{name}-nat-{zone_label}"),
                    ),
                    opts=self._opts(depends_on=[internet_gateway]),
                )
            )

        private_route_tables = []
        for index, private in enumerate(private_subnets):
            zone_label = chr(ord("a") + index)
            routes = aws.ec2.RouteTable(
                f"{name}-private-{zone_label}-rt",
                aws.ec2.RouteTableArgs(vpc_id=vpc.id, tags=named_tags(tags, f"{name}-private-{zone_label}")),
                opts=self._opts(),
            )
            aws.ec2.Route(
                f"{name}-private-{zone_label}-default-route",
                aws.ec2.RouteArgs(
                    route_table_id=routes.id,
                    destination_cidr_block=ALL_IPV4,
                    nat_gateway_id=nat_gateways[index if args.nat_per_az else 0].id,
                ),
                opts=self._opts(),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone_label}-rta",
                aws.ec2.RouteTableAssociationArgs(route_table_id=routes.id, subnet_id=private.id),
                opts=self._opts(),
            )
            private_route_tables.append(routes)

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.availability_zones = pulumi.Output.all(*zone_names)
        self._flow_logs(name, args, vpc)
        self._endpoints(name, private_route_tables)

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            aws.cloudwatch.LogGroupArgs(
                name=f"/modelyard/{name}/vpc-flow-logs",
                retention_in_days=args.flow_log_retention_days,
                kms_key_id=args.flow_log_key_arn,
                tags=args.tags,
            ),
            opts=self._opts(),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            aws.iam.RoleArgs(
                description=f"VPC flow logs of {name} deliver to their log group",
                assume_role_policy=service_trust_policy(
                    "vpc-flow-logs.amazonaws.com", self._account, self._account.arn("ec2", "vpc-flow-log/*")
                ),
                tags=args.tags,
            ),
            opts=self._opts(),
        )
        delivery = attach_policy(
            f"{name}-flow-logs-delivery",
            role,
            [
                {
                    "Sid": "DeliverToOneGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [log_group.arn, pulumi.Output.concat(log_group.arn, ":log-stream:*")],
                },
                {
                    "Sid": "FindGroup",
                    "Effect": "Allow",
                    "Action": "logs:DescribeLogGroups",
                    "Resource": self._account.arn("logs", "log-group:*"),
                },
            ],
            self,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            aws.ec2.FlowLogArgs(
                vpc_id=vpc.id,
                traffic_type="ALL",
                log_destination_type="cloud-watch-logs",
                log_destination=log_group.arn,
                iam_role_arn=role.arn,
                max_aggregation_interval=60,
                tags=named_tags(args.tags, f"{name}-flow-log"),
            ),
            opts=self._opts(depends_on=[delivery]),
        )
        self.flow_log_group_name = log_group.name

    def _endpoints(self, name: str, private_route_tables: list[aws.ec2.RouteTable]) -> None:
        region = self._account.region
        endpoint_group = self._security_group(
            f"{name}-endpoints", "Interface VPC endpoints: HTTPS from inside the VPC only"
        )
        self._ingress(
            f"{name}-endpoints-https-from-vpc",
            endpoint_group,
            "HTTPS from the VPC to AWS service endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=self.vpc_cidr_block,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-endpoint-s3",
            aws.ec2.VpcEndpointArgs(
                vpc_id=self.vpc_id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, ".s3"),
                vpc_endpoint_type="Gateway",
                route_table_ids=[table.id for table in private_route_tables],
                # No endpoint policy: ECR stores image layers in AWS-owned S3 buckets that a policy
                # listing only our buckets would cut off.
                tags=named_tags(self._tags, f"{name}-s3"),
            ),
            opts=self._opts(),
        )
        for service, service_name in INTERFACE_ENDPOINT_SERVICE_NAMES.items():
            aws.ec2.VpcEndpoint(
                f"{name}-endpoint-{service.replace('.', '-')}",
                aws.ec2.VpcEndpointArgs(
                    vpc_id=self.vpc_id,
                    service_name=endpoint_service_name(service_name, region),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.private_subnet_ids,
                    security_group_ids=[endpoint_group.id],
                    tags=named_tags(self._tags, f"{name}-{service}"),
                ),
                opts=self._opts(),
            )
        self.endpoint_security_group_id = endpoint_group.id

    # -- security groups (both modes) ------------------------------------------------------------
    def _compute_security_groups(self, name: str, args: NetworkArgs) -> None:
        s3_prefix_list = aws.ec2.get_prefix_list_output(
            name=pulumi.Output.concat("com.amazonaws.", self._account.region, ".s3"),
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).id
        training = self._security_group(
            f"{name}-training", "SageMaker training jobs: inter-node traffic within the group, HTTPS egress"
        )
        inference = self._security_group(
            f"{name}-inference", "SageMaker inference endpoints: no ingress, HTTPS egress"
        )
        self._ingress(
            f"{name}-training-from-self",
            training,
            "Inter-node traffic of distributed training (NCCL, gloo, IPsec)",
            ip_protocol="-1",
            referenced_security_group_id=training.id,
        )
        self._egress(
            f"{name}-training-to-self",
            training,
            "Inter-node traffic of distributed training (NCCL, gloo, IPsec)",
            ip_protocol="-1",
            referenced_security_group_id=training.id,
        )
        for role, group in (("training", training), ("inference", inference)):
            self._egress(
                f"{name}-{role}-https-to-vpc",
                group,
                "HTTPS to VPC endpoints",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=self.vpc_cidr_block,
            )
            self._egress(
                f"{name}-{role}-https-to-s3",
                group,
                "HTTPS to S3 (its managed prefix list)",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                prefix_list_id=s3_prefix_list,
            )
            if args.allow_internet_egress:
                self._egress(
                    f"{name}-{role}-https-to-internet",
                    group,
                    "HTTPS to the internet through NAT (allow_internet_egress)",
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_ipv4=ALL_IPV4,
                )
        self.training_security_group_id = training.id
        self.inference_security_group_id = inference.id

    def _security_group(self, logical_name: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            logical_name,
            aws.ec2.SecurityGroupArgs(
                vpc_id=self.vpc_id,
                description=description,
                # Rules are separate resources so other components can add their own without conflicts.
                revoke_rules_on_delete=True,
                tags=named_tags(self._tags, logical_name),
            ),
            opts=self._opts(),
        )

    def _ingress(self, logical_name: str, group: aws.ec2.SecurityGroup, description: str, **rule) -> None:
        aws.vpc.SecurityGroupIngressRule(
            logical_name,
            aws.vpc.SecurityGroupIngressRuleArgs(
                security_group_id=group.id, description=description, tags=self._tags, **rule
            ),
            opts=self._opts(),
        )

    def _egress(self, logical_name: str, group: aws.ec2.SecurityGroup, description: str, **rule) -> None:
        aws.vpc.SecurityGroupEgressRule(
            logical_name,
            aws.vpc.SecurityGroupEgressRuleArgs(
                security_group_id=group.id, description=description, tags=self._tags, **rule
            ),
            opts=self._opts(),
        )
