"""Monthly cost estimate of a plan's recorded resources from the shipped on-demand price table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelyard.costing.assumptions import CostAssumptions
from modelyard.costing.price_table import CostError, PriceTable, RegionPrices, load_price_table
from modelyard.costing.schedule import CapacityProfile, ScheduledCapacity, ScheduleError, capacity_profile

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# EKS launches managed nodes on this type when neither the group nor its launch template names one.
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
EKS_DEFAULT_DISK_GB = 20
# A log group that never expires is costed with a year of accumulated logs.
NEVER_EXPIRING_LOG_DAYS = 365
DAYS_PER_MONTH = 365 / 12

NOT_INCLUDED = (
    "not included: data transfer, NAT gateway and endpoint data processing, API requests, SageMaker "
    "training/processing jobs, ECR storage, EBS snapshots, support plans, free tiers and taxes"
)


@dataclass
class _Estimate:
    """Line items, unpriced resources and the assumptions actually used, collected while pricing."""

    region: str
    prices: RegionPrices
    table: PriceTable
    assumptions: CostAssumptions
    by_type: dict[str, list[dict[str, Any]]]
    items: list[dict[str, Any]] = field(default_factory=list)
    unpriced: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.assumptions.hours_per_month

    @property
    def spot_discount(self) -> float:
        if self.assumptions.spot_discount is not None:
            return self.assumptions.spot_discount
        return self.table.spot_discount

    def add(
        self,
        resource: dict[str, Any] | None,
        monthly: float,
        quantity: float,
        unit: str,
        detail: str,
        *,
        name: str | None = None,
        resource_type: str | None = None,
    ) -> None:
        self.items.append(
            {
                "urn": resource["urn"] if resource else None,
                "type": resource_type or resource["type"],
                "name": name or resource["name"],
                "monthly_usd": monthly,  # rounded once the total is taken
                "quantity": round(quantity, 3),
                "unit": unit,
                "detail": detail,
            }
        )

    def skip(self, resource: dict[str, Any], reason: str) -> None:
        self.unpriced.append(
            {"urn": resource["urn"], "type": resource["type"], "name": resource["name"], "reason": reason}
        )

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def hourly(self, table: dict[str, float], key: str, resource: dict[str, Any], what: str) -> float | None:
        price = table.get(key)
        if price is None:
            self.skip(resource, f"no {what} price for {key!r} in {self.region}")
        return price


def estimate_cost_or_error(resources: list[dict], region: str, assumptions: CostAssumptions) -> dict:
    """`estimate_cost`, or where no estimate can be made (no prices for the region) `{"error", "region",
    "ceiling_usd"}`: the ceiling stays on record, so the cost-ceiling rule fails closed instead of passing."""
    try:
        return estimate_cost(resources, region, assumptions)
    except CostError as error:
        return {"error": str(error), "region": region, "ceiling_usd": assumptions.ceiling_usd}


def estimate_cost(resources: list[dict], region: str, assumptions: CostAssumptions) -> dict:
    """Monthly on-demand estimate of `resources` (plan JSON records: urn, type, name, parent, inputs,
    and optionally dependencies) in `region`, with every assumption it made.

    Raises CostError when the region has no prices or the price table is malformed.
    """
    table = load_price_table()
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        by_type[resource["type"]].append(resource)
    estimate = _Estimate(
        region=region,
        prices=table.region(region),
        table=table,
        assumptions=assumptions,
        by_type=by_type,
    )
    for resource in resources:
        pricer = _PRICERS.get(resource["type"])
        if pricer:
            pricer(estimate, resource)
    _price_bucket_storage(estimate)
    _price_log_groups(estimate)

    total = float(sum(item["monthly_usd"] for item in estimate.items))
    for item in estimate.items:
        item["monthly_usd"] = round(item["monthly_usd"], 2)
    return {
        "currency": table.currency,
        "region": region,
        "total_monthly_usd": round(total, 2),
        "items": estimate.items,
        "unpriced": estimate.unpriced,
        "assumptions": [
            f"{estimate.hours:g} hours per month; on-demand list prices for {region} unless stated",
            *estimate.notes,
            NOT_INCLUDED,
        ],
        "price_source": table.description,
        "ceiling_usd": assumptions.ceiling_usd,
    }


# -- SageMaker endpoints ---------------------------------------------------------------------------------


def _price_endpoint(estimate: _Estimate, endpoint: dict[str, Any]) -> None:
    config = _endpoint_config(estimate, endpoint)
    if config is None:
        estimate.skip(endpoint, "its endpoint configuration is not in the plan")
        return
    estimate.note(
        "SageMaker endpoints run at their autoscaling minimum capacity (their initial instance count "
        "without autoscaling); traffic-driven scale-out is not included"
    )
    inputs = config["inputs"]
    variants = [("production", v) for v in inputs.get("productionVariants") or []]
    variants += [("shadow", v) for v in inputs.get("shadowProductionVariants") or []]
    for role, variant in variants:
        variant_name = variant.get("variantName") or "AllTraffic"
        name = f"{endpoint['name']}/{variant_name}"
        instance_type = variant.get("instanceType")
        if not instance_type:
            if variant.get("serverlessConfig"):
                estimate.note("serverless endpoint variants are billed per request and are not estimated")
            estimate.skip(endpoint, f"variant {variant_name!r} has no instance type (serverless)")
            continue
        price = estimate.hourly(
            estimate.prices.sagemaker_hourly, instance_type, endpoint, "SageMaker hosting"
        )
        if price is None:
            continue
        instances, how = _variant_instances(
            estimate, endpoint, variant_name, int(variant.get("initialInstanceCount") or 1)
        )
        hours = instances * estimate.hours
        estimate.add(
            endpoint,
            hours * price,
            hours,
            "instance-hours",
            f"{role} variant: {instances:.3g} x {instance_type} at ${price}/h x {estimate.hours:g} h ({how})",
            name=name,
        )


def _endpoint_config(estimate: _Estimate, endpoint: dict[str, Any]) -> dict[str, Any] | None:
    configs = estimate.by_type.get(ENDPOINT_CONFIG, [])
    wanted = endpoint["inputs"].get("endpointConfigName")
    named = [c for c in configs if wanted and c["inputs"].get("name") == wanted]
    return (
        _one(named)
        or _one(_depended_on(endpoint, configs))
        or (_one(configs) if len(estimate.by_type.get(ENDPOINT, [])) == 1 else None)
    )


def _variant_instances(
    estimate: _Estimate, endpoint: dict[str, Any], variant: str, initial: int
) -> tuple[float, str]:
    target = _scaling_target(estimate, endpoint, variant)
    if target is None:
        return float(initial), "initial instance count, no autoscaling"
    base_min = int(target["inputs"].get("minCapacity") or 0)
    max_capacity = target["inputs"].get("maxCapacity")
    base_max = int(max_capacity) if max_capacity is not None else None
    actions = _scheduled_actions(estimate, target)
    if not actions:
        return float(base_min), f"autoscaling minimum {base_min}"
    scheduled = [_scheduled_capacity(action) for action in actions]
    try:
        profile = capacity_profile(base_min, base_max, scheduled)
    except ScheduleError as error:
        return _schedule_fallback(estimate, base_min, scheduled, error)
    estimate.note(
        "scheduled endpoint capacity is replayed from the scheduled actions' cron expressions over 52 weeks"
    )
    return profile.average, f"{len(actions)} scheduled actions: {_describe_profile(profile)}"


def _schedule_fallback(
    estimate: _Estimate, base_min: int, scheduled: list[ScheduledCapacity], error: ScheduleError
) -> tuple[float, str]:
    fraction = estimate.assumptions.off_hours_fraction
    if fraction is None:
        estimate.note(
            f"a schedule could not be replayed ({error}); that endpoint is costed at its minimum all month"
        )
        return float(base_min), f"autoscaling minimum {base_min}; schedule not replayed"
    off_min = min((a.min_capacity for a in scheduled if a.min_capacity is not None), default=base_min)
    estimate.note(
        f"a schedule could not be replayed ({error}); that endpoint is taken to be scaled down to its "
        f"scheduled minimum for {fraction:.0%} of the month (config inference.schedule.offHoursFraction)"
    )
    average = (1 - fraction) * base_min + fraction * off_min
    return average, f"{base_min} on-hours, {off_min} for an assumed {fraction:.0%} off-hours"


def _scaling_target(estimate: _Estimate, endpoint: dict[str, Any], variant: str) -> dict[str, Any] | None:
    endpoint_name = endpoint["inputs"].get("name")
    endpoints = estimate.by_type.get(ENDPOINT, [])
    matches = []
    for target in estimate.by_type.get(SCALING_TARGET, []):
        inputs = target["inputs"]
        parts = str(inputs.get("resourceId", "")).split("/")
        if inputs.get("serviceNamespace") != "sagemaker" or len(parts) != 4 or parts[3] != variant:
            continue
        if endpoint_name:
            belongs = parts[1] == endpoint_name
        else:
            # An auto-named endpoint's name is an output; the target then depends on the endpoint.
            belongs = endpoint["urn"] in target.get("dependencies", []) or len(endpoints) == 1
        if belongs:
            matches.append(target)
    return _one(matches)


def _scheduled_actions(estimate: _Estimate, target: dict[str, Any]) -> list[dict[str, Any]]:
    resource_id = target["inputs"].get("resourceId")
    return [
        action
        for action in estimate.by_type.get(SCHEDULED_ACTION, [])
        if action["inputs"].get("resourceId") == resource_id
        or target["urn"] in action.get("dependencies", [])
    ]


def _scheduled_capacity(action: dict[str, Any]) -> ScheduledCapacity:
    capacity = action["inputs"].get("scalableTargetAction") or {}
    return ScheduledCapacity(
        schedule=str(action["inputs"].get("schedule", "")),
        min_capacity=_optional_int(capacity.get("minCapacity")),
        max_capacity=_optional_int(capacity.get("maxCapacity")),
    )


def _describe_profile(profile: CapacityProfile) -> str:
    return ", ".join(
        f"{capacity} for {share:.1%} of hours" for capacity, share in profile.share_by_capacity.items()
    )


# -- EC2 capacity: node groups and instances -------------------------------------------------------------


def _price_node_group(estimate: _Estimate, group: dict[str, Any]) -> None:
    inputs = group["inputs"]
    scaling = inputs.get("scalingConfig") or {}
    size = scaling.get("desiredSize", scaling.get("minSize"))
    if size is None:
        estimate.skip(group, "no scalingConfig.desiredSize or minSize")
        return
    nodes = int(size)
    template = _launch_template(estimate, group)
    template_inputs = template["inputs"] if template else {}
    instance_types = inputs.get("instanceTypes") or []
    instance_type = instance_types[0] if instance_types else template_inputs.get("instanceType")
    if not instance_type:
        instance_type = EKS_DEFAULT_INSTANCE_TYPE
        estimate.note(
            f"a node group that names no instance type is priced as {instance_type} (EKS's default)"
        )
    price = estimate.hourly(estimate.prices.ec2_hourly, instance_type, group, "EC2")
    if price is None:
        return
    estimate.note(
        "EKS node groups run scalingConfig.desiredSize nodes all month (cluster autoscaling is not "
        "modelled); a group with several instance types is priced at its first"
    )
    spot = inputs.get("capacityType") == "SPOT"
    hourly = price * (1 - estimate.spot_discount) if spot else price
    if spot:
        estimate.note(
            f"spot capacity is priced at a {estimate.spot_discount:.0%} discount off on-demand "
            "(an assumption)"
        )
    disk_gb = _node_disk_gb(inputs, template_inputs)
    node_hours = nodes * estimate.hours
    disk_monthly = nodes * disk_gb * estimate.prices.ebs_gp3_gb_month
    pricing = f"${price}/h less {estimate.spot_discount:.0%} spot" if spot else f"${price}/h on-demand"
    estimate.add(
        group,
        node_hours * hourly + disk_monthly,
        node_hours,
        "node-hours",
        f"{nodes} x {instance_type} at {pricing} x {estimate.hours:g} h + {disk_gb} GB gp3 per node",
    )


def _launch_template(estimate: _Estimate, group: dict[str, Any]) -> dict[str, Any] | None:
    reference = group["inputs"].get("launchTemplate")
    if not reference:
        return None
    templates = estimate.by_type.get(LAUNCH_TEMPLATE, [])
    named = [
        t for t in templates if reference.get("name") and t["inputs"].get("name") == reference.get("name")
    ]
    return _one(named) or _one(_depended_on(group, templates))


def _node_disk_gb(inputs: dict[str, Any], template_inputs: dict[str, Any]) -> int:
    volumes = [
        int((mapping.get("ebs") or {}).get("volumeSize") or 0)
        for mapping in template_inputs.get("blockDeviceMappings") or []
    ]
    return sum(volumes) or int(inputs.get("diskSize") or EKS_DEFAULT_DISK_GB)


def _price_instance(estimate: _Estimate, instance: dict[str, Any]) -> None:
    instance_type = instance["inputs"].get("instanceType")
    price = estimate.hourly(estimate.prices.ec2_hourly, str(instance_type), instance, "EC2")
    if price is not None:
        estimate.add(
            instance,
            price * estimate.hours,
            estimate.hours,
            "instance-hours",
            f"{instance_type} at ${price}/h x {estimate.hours:g} h",
        )


def _price_mlflow_server(estimate: _Estimate, server: dict[str, Any]) -> None:
    size = server["inputs"].get("trackingServerSize") or "Small"
    price = estimate.hourly(
        estimate.prices.mlflow_tracking_server_hourly, size, server, "MLflow tracking server"
    )
    if price is not None:
        estimate.add(
            server,
            price * estimate.hours,
            estimate.hours,
            "hours",
            f"{size} tracking server at ${price}/h x {estimate.hours:g} h",
        )


# -- Network, keys, control plane, observability -----------------------------------------------------------


def _price_vpc_endpoint(estimate: _Estimate, endpoint: dict[str, Any]) -> None:
    inputs = endpoint["inputs"]
    if (inputs.get("vpcEndpointType") or "Gateway") != "Interface":
        return  # gateway endpoints (S3, DynamoDB) are free
    zones = len(inputs.get("subnetIds") or inputs.get("subnetConfigurations") or [])
    if not zones:
        zones = 1
        estimate.note("an interface endpoint without subnets is costed in one availability zone")
    price = estimate.prices.interface_endpoint_az_hourly
    az_hours = zones * estimate.hours
    service = str(inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    estimate.add(
        endpoint,
        az_hours * price,
        az_hours,
        "AZ-hours",
        f"interface endpoint ({service}) in {zones} AZs at ${price}/h per AZ (data processing not included)",
    )


def _hourly_flat(price_of: Callable[[RegionPrices], float], what: str):
    def price(estimate: _Estimate, resource: dict[str, Any]) -> None:
        hourly = price_of(estimate.prices)
        estimate.add(
            resource,
            hourly * estimate.hours,
            estimate.hours,
            "hours",
            f"{what} at ${hourly:g}/h x {estimate.hours:g} h",
        )

    return price


def _monthly_flat(price_of: Callable[[RegionPrices], float], unit: str, what: str):
    def price(estimate: _Estimate, resource: dict[str, Any]) -> None:
        monthly = price_of(estimate.prices)
        estimate.add(resource, monthly, 1, unit, f"{what}: ${monthly:g}/month")

    return price


def _price_bucket_storage(estimate: _Estimate) -> None:
    buckets = [bucket for token in BUCKET_TYPES for bucket in estimate.by_type.get(token, [])]
    if not buckets:
        return
    gb = estimate.assumptions.storage_gb
    price = estimate.prices.s3_standard_gb_month
    estimate.note(f"S3 Standard storage: {gb:g} GB across all {len(buckets)} buckets (requests not included)")
    estimate.add(
        None,
        gb * price,
        gb,
        "GB-months",
        f"{gb:g} GB Standard at ${price}/GB-month across {len(buckets)} buckets",
        name="s3-storage",
        resource_type=BUCKET_TYPES[0],
    )


def _price_log_groups(estimate: _Estimate) -> None:
    groups = estimate.by_type.get(LOG_GROUP, [])
    if not groups:
        return
    share = estimate.assumptions.log_gb_per_month / len(groups)
    ingestion, storage = estimate.prices.logs_ingestion_gb, estimate.prices.logs_storage_gb_month
    estimate.note(
        f"CloudWatch Logs: {estimate.assumptions.log_gb_per_month:g} GB/month ingested, split evenly over "
        f"{len(groups)} log groups, each stored for its retention (a year when it never expires)"
    )
    for group in groups:
        days = int(group["inputs"].get("retentionInDays") or 0) or NEVER_EXPIRING_LOG_DAYS
        stored_gb = share * days / DAYS_PER_MONTH
        estimate.add(
            group,
            share * ingestion + stored_gb * storage,
            share,
            "GB ingested",
            f"{share:.3g} GB/month at ${ingestion}/GB + {stored_gb:.3g} GB stored ({days} days) "
            f"at ${storage}/GB-month",
        )


def _one(candidates: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The single candidate, or None when there are none or several (ambiguous)."""
    candidates = list(candidates)
    return candidates[0] if len(candidates) == 1 else None


def _depended_on(resource: dict[str, Any], candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dependencies = set(resource.get("dependencies") or [])
    return [candidate for candidate in candidates if candidate["urn"] in dependencies]


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


_PRICERS: dict[str, Callable[[_Estimate, dict[str, Any]], None]] = {
    ENDPOINT: _price_endpoint,
    NODE_GROUP: _price_node_group,
    "aws:ec2/instance:Instance": _price_instance,
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": _price_mlflow_server,
    "aws:ec2/natGateway:NatGateway": _hourly_flat(
        lambda prices: prices.nat_gateway_hourly, "NAT gateway (data processing not included)"
    ),
    "aws:ec2/eip:Eip": _hourly_flat(lambda prices: prices.public_ipv4_hourly, "public IPv4 address"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _price_vpc_endpoint,
    "aws:kms/key:Key": _monthly_flat(
        lambda prices: prices.kms_key_monthly, "key-months", "customer-managed key (requests not included)"
    ),
    "aws:kms/replicaKey:ReplicaKey": _monthly_flat(
        lambda prices: prices.kms_key_monthly, "key-months", "replica key (requests not included)"
    ),
    "aws:eks/cluster:Cluster": _hourly_flat(
        lambda prices: prices.eks_cluster_hourly, "EKS control plane (standard support)"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _monthly_flat(
        lambda prices: prices.cloudwatch_alarm_monthly, "alarm-months", "standard-resolution alarm"
    ),
    "aws:cloudwatch/dashboard:Dashboard": _monthly_flat(
        lambda prices: prices.cloudwatch_dashboard_monthly,
        "dashboard-months",
        "dashboard (free tier not applied)",
    ),
    "aws:secretsmanager/secret:Secret": _monthly_flat(
        lambda prices: prices.secret_monthly, "secret-months", "secret"
    ),
}
