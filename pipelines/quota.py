"""GPU quota pre-flight: before a SageMaker job or endpoint on GPU instances, check the account's Service Quotas."""

from __future__ import annotations

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


def check_gpu_quota(clients: AwsClients, instance_type: str, instance_count: int, usage: Usage) -> dict[str, Any]:
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
        raise QuotaError(f"cannot read the Service Quotas of SageMaker in {clients.region} to check {name!r}: "
                         f"{error} (the caller needs servicequotas:ListServiceQuotas and "
                         "servicequotas:ListAWSDefaultServiceQuotas)") from None
    if quota is None:
        raise QuotaError(f"Service Quotas has no quota named {name!r} in {clients.region}: SageMaker does not "
                         f"offer {instance_type} there; pick another instance type or region")
    value = float(quota["Value"])
    result = {"checked": True, "quota_name": name, "quota_code": quota["QuotaCode"], "value": value,
              "required": instance_count}
    if value < instance_count:
        raise QuotaError(
            f"quota {name!r} ({quota['QuotaCode']}) is {value:g} in {clients.region}, but {instance_count} "
            f"instance(s) are needed. Request an increase with:\n  aws service-quotas "
            f"request-service-quota-increase --service-code sagemaker --quota-code {quota['QuotaCode']} "
            f"--desired-value {instance_count} --region {clients.region}")
    return result
