"""Quota pre-flights against the account's Service Quotas: SageMaker GPU instances before a job or endpoint, and
what the stacks' plans need (Elastic IPs, VPCs, NAT gateways, EKS node vCPUs) before their first `pulumi up`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelyard.catalog.errors import ModelyardError
from modelyard.catalog.instance_types import INFERENCE_GPU_FAMILIES, TRAINING_GPU_FAMILIES
from modelyard.pipelines.aws_clients import AwsClients

Usage = Literal["training job usage", "endpoint usage"]
GPU_FAMILIES = frozenset(TRAINING_GPU_FAMILIES + INFERENCE_GPU_FAMILIES)


class QuotaError(ModelyardError):
    """Not enough quota (or no way to read it); the message names the quota and how to raise it."""


def is_gpu_instance(instance_type: str) -> bool:
    return instance_type.startswith("ml.") and instance_type.split(".")[1] in GPU_FAMILIES


def quota_name(instance_type: str, usage: Usage) -> str:
    """AWS's name of the SageMaker quota, e.g. "ml.g5.xlarge for training job usage"."""
    return f"{instance_type} for {usage}"


def _find_quota(clients: AwsClients, name: str) -> dict[str, Any] | None:
    quotas = clients.service_quotas
    for operation in ("list_service_quotas", "list_aws_default_service_quotas"):
        for page in quotas.get_paginator(operation).paginate(ServiceCode="sagemaker"):
            for quota in page["Quotas"]:
                if quota["QuotaName"] == name:
                    return quota
    return None


def check_gpu_quota(
    clients: AwsClients, instance_type: str, instance_count: int, usage: Usage
) -> dict[str, Any]:
    """Raise QuotaError when the account's quota for `instance_type` is below `instance_count`.

    Returns what was checked; CPU instance types are not checked. The quota is the account's ceiling; instances
    other jobs or endpoints hold at the same time count against it too.
    """
    name = quota_name(instance_type, usage)
    if not is_gpu_instance(instance_type):
        return {"checked": False, "quota_name": name, "reason": "not a GPU instance type"}
    try:
        quota = _find_quota(clients, name)
    except clients.service_quotas.exceptions.ClientError as error:
        raise QuotaError(
            f"cannot read the Service Quotas of SageMaker in {clients.region} to check {name!r}: "
            f"{error} (the caller needs servicequotas:ListServiceQuotas and "
            "servicequotas:ListAWSDefaultServiceQuotas)"
        ) from None
    if quota is None:
        raise QuotaError(
            f"Service Quotas has no quota named {name!r} in {clients.region}: SageMaker does not "
            f"offer {instance_type} there; pick another instance type or region"
        )
    value = float(quota["Value"])
    result = {
        "checked": True,
        "quota_name": name,
        "quota_code": quota["QuotaCode"],
        "value": value,
        "required": instance_count,
    }
    if value < instance_count:
        raise QuotaError(
            f"quota {name!r} ({quota['QuotaCode']}) is {value:g} in {clients.region}, but {instance_count} "
            f"instance(s) are needed. Request an increase with:\n  aws service-quotas "
            f"request-service-quota-increase --service-code sagemaker --quota-code {quota['QuotaCode']} "
            f"--desired-value {instance_count} --region {clients.region}"
        )
    return result


# -- account quotas a stack's `pulumi up` needs --------------------------------------------------------------


@dataclass(frozen=True)
class AccountQuota:
    """One Service Quotas quota, by the codes AWS gives it (the same in every account and region)."""

    service_code: str
    quota_code: str
    name: str


ELASTIC_IPS = AccountQuota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
VPCS = AccountQuota("vpc", "L-F678F1CE", "VPCs per Region")
NAT_GATEWAYS_PER_AZ = AccountQuota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")
# Running-instance quotas count vCPUs per instance family group, separately for On-Demand and Spot (EC2 user
# guide, "Amazon EC2 service quotas": On-Demand Instance quotas; Spot Instance quotas).
VCPU_QUOTAS: tuple[tuple[re.Pattern[str], AccountQuota, AccountQuota], ...] = (
    (
        re.compile(r"^(g|vt)\d"),
        AccountQuota("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances"),
        AccountQuota("ec2", "L-3819A6DF", "All G and VT Spot Instance Requests"),
    ),
    (
        re.compile(r"^p\d"),
        AccountQuota("ec2", "L-417A185B", "Running On-Demand P instances"),
        AccountQuota("ec2", "L-7212CCBC", "All P Spot Instance Requests"),
    ),
    (
        re.compile(r"^[acdhimrtz]\d"),
        AccountQuota("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
        AccountQuota("ec2", "L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"),
    ),
)


@dataclass
class PlanNeeds:
    """What one or more stacks' plans ask of the account: counted resources and node-group instances at full scale."""

    counts: dict[AccountQuota, int] = field(default_factory=dict)
    instances: dict[tuple[str, bool], int] = field(default_factory=dict)
    """(EC2 instance type, spot) -> instances when every node group runs at its maximum size."""


def plan_needs(records: Iterable[Mapping[str, Any]]) -> PlanNeeds:
    """Count what the plans' resources (offline-plan records of any number of stacks) draw from account quotas."""
    records = list(records)
    by_urn = {record["urn"]: record for record in records}
    needs = PlanNeeds()
    nat_per_zone: Counter[str] = Counter()
    for record in records:
        kind, inputs = record["type"], record.get("inputs") or {}
        if kind == "aws:ec2/eip:Eip":
            needs.counts[ELASTIC_IPS] = needs.counts.get(ELASTIC_IPS, 0) + 1
        elif kind == "aws:ec2/vpc:Vpc":
            needs.counts[VPCS] = needs.counts.get(VPCS, 0) + 1
        elif kind == "aws:ec2/natGateway:NatGateway":
            subnet = next(
                (
                    by_urn[urn]
                    for urn in record.get("dependencies") or ()
                    if urn in by_urn and by_urn[urn]["type"] == "aws:ec2/subnet:Subnet"
                ),
                None,
            )
            zone = (subnet or {}).get("inputs", {}).get("availabilityZone")
            nat_per_zone[zone if isinstance(zone, str) else "an unknown zone"] += 1
        elif kind == "aws:eks/nodeGroup:NodeGroup":
            types = inputs.get("instanceTypes") or []
            size = (inputs.get("scalingConfig") or {}).get("maxSize")
            if types and isinstance(size, (int, float)):
                # A group with several types may launch any of them: count its first (the one priced and preferred).
                key = (str(types[0]), inputs.get("capacityType") == "SPOT")
                needs.instances[key] = needs.instances.get(key, 0) + int(size)
    if nat_per_zone:
        needs.counts[NAT_GATEWAYS_PER_AZ] = max(nat_per_zone.values())
    return needs


def _quota_value(clients: AwsClients, quota: AccountQuota) -> float:
    quotas = clients.service_quotas
    try:
        found = quotas.get_service_quota(ServiceCode=quota.service_code, QuotaCode=quota.quota_code)
    except quotas.exceptions.NoSuchResourceException:
        # Accounts that never raised a quota have only AWS's default value.
        found = quotas.get_aws_default_service_quota(
            ServiceCode=quota.service_code, QuotaCode=quota.quota_code
        )
    return float(found["Quota"]["Value"])


def _in_use(clients: AwsClients, quota: AccountQuota) -> int:
    """What the account already holds against a counted quota (EIPs and VPCs; NAT per zone is not summed)."""
    ec2 = clients.client("ec2")
    if quota == ELASTIC_IPS:
        return len(ec2.describe_addresses(Filters=[{"Name": "domain", "Values": ["vpc"]}])["Addresses"])
    if quota == VPCS:
        return sum(len(page["Vpcs"]) for page in ec2.get_paginator("describe_vpcs").paginate())
    return 0


def _vcpu_needs(clients: AwsClients, instances: Mapping[tuple[str, bool], int]) -> dict[AccountQuota, int]:
    if not instances:
        return {}
    types = sorted({instance_type for instance_type, _ in instances})
    described = clients.client("ec2").describe_instance_types(InstanceTypes=types)["InstanceTypes"]
    vcpus = {item["InstanceType"]: int(item["VCpuInfo"]["DefaultVCpus"]) for item in described}
    needs: dict[AccountQuota, int] = {}
    for (instance_type, spot), count in instances.items():
        for pattern, on_demand, spot_quota in VCPU_QUOTAS:
            if pattern.match(instance_type):
                quota = spot_quota if spot else on_demand
                needs[quota] = needs.get(quota, 0) + count * vcpus[instance_type]
                break
    return needs


def check_account_quotas(clients: AwsClients, needs: PlanNeeds) -> list[dict[str, Any]]:
    """Raise QuotaError naming every quota the plans exceed (with what is already in use); return what was checked.

    Run it before the first `pulumi up` of the stacks an account will hold, with all their plans' records.
    Running instances are not counted against the vCPU quotas: stop what you do not need first.
    """
    wanted: dict[AccountQuota, int] = {**needs.counts, **_vcpu_needs(clients, needs.instances)}
    checked, short = [], []
    for quota, amount in sorted(wanted.items(), key=lambda item: item[0].quota_code):
        value, used = _quota_value(clients, quota), _in_use(clients, quota)
        checked.append(
            {
                "quota_name": quota.name,
                "quota_code": quota.quota_code,
                "value": value,
                "in_use": used,
                "required": amount,
            }
        )
        if used + amount > value:
            short.append(
                f"{quota.name} ({quota.service_code} {quota.quota_code}) is {value:g} in {clients.region}; "
                f"{used} in use + {amount} planned = {used + amount}. Request an increase with:\n  aws service-quotas "
                f"request-service-quota-increase --service-code {quota.service_code} --quota-code {quota.quota_code} "
                f"--desired-value {used + amount} --region {clients.region}"
            )
    if short:
        raise QuotaError("not enough quota for the plan:\n" + "\n".join(short))
    return checked
