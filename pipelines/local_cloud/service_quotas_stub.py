"""A stub of the Service Quotas API for SageMaker GPU instance quotas, which moto lacks (it knows only `vpc`).

Installed only in the local cloud's server process (and the integration tests' moto server). It answers
ListServiceQuotas, ListAWSDefaultServiceQuotas, GetServiceQuota and RequestServiceQuotaIncrease for service code
`sagemaker` with AWS's quota names ("ml.g5.xlarge for training job usage", "... for endpoint usage"). Every GPU
quota starts at 0, as in a new AWS account, and an increase request is granted at once (no one approves it
locally). Quota codes are derived from the names: real codes differ and must always be looked up by name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.responses import ServiceQuotasResponse

SERVICE_CODE = "sagemaker"
SERVICE_NAME = "Amazon SageMaker"
USAGES = ("training job usage", "spot training job usage", "endpoint usage")
# SageMaker GPU instance types of the families the stack config allows, by family.
GPU_INSTANCE_TYPES = (
    [
        f"ml.{family}.{size}"
        for family in ("g5", "g6", "g6e")
        for size in (
            "xlarge",
            "2xlarge",
            "4xlarge",
            "8xlarge",
            "12xlarge",
            "16xlarge",
            "24xlarge",
            "48xlarge",
        )
    ]
    + ["ml.p4d.24xlarge", "ml.p5.48xlarge"]
    + [f"ml.inf2.{size}" for size in ("xlarge", "8xlarge", "24xlarge", "48xlarge")]
)

_quotas: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
_originals: dict[str, Any] = {}


def quota_code(quota_name: str) -> str:
    return "L-" + hashlib.sha256(quota_name.encode()).hexdigest()[:8].upper()


def _table(account: str, region: str) -> dict[str, dict[str, Any]]:
    if (account, region) not in _quotas:
        table = {}
        for instance_type in GPU_INSTANCE_TYPES:
            for usage in USAGES:
                name = f"{instance_type} for {usage}"
                code = quota_code(name)
                table[code] = {
                    "ServiceCode": SERVICE_CODE,
                    "ServiceName": SERVICE_NAME,
                    "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{SERVICE_CODE}/{code}",
                    "QuotaCode": code,
                    "QuotaName": name,
                    "Value": 0.0,
                    "Unit": "None",
                    "Adjustable": True,
                    "GlobalQuota": False,
                }
        _quotas[(account, region)] = table
    return _quotas[(account, region)]


def install() -> None:
    """Patch moto's Service Quotas handler in this process (idempotent)."""
    if _originals:
        return
    _originals.update(
        list_aws_default_service_quotas=ServiceQuotasResponse.list_aws_default_service_quotas,
        get_service_quota=ServiceQuotasResponse.get_service_quota,
    )
    ServiceQuotasResponse.list_service_quotas = _list_service_quotas
    ServiceQuotasResponse.list_aws_default_service_quotas = _list_aws_default_service_quotas
    ServiceQuotasResponse.get_service_quota = _get_service_quota
    ServiceQuotasResponse.request_service_quota_increase = _request_service_quota_increase


def _params(response: ServiceQuotasResponse) -> dict[str, Any]:
    return json.loads(response.body or "{}")


def _list_service_quotas(self: ServiceQuotasResponse) -> str:
    if _params(self).get("ServiceCode") != SERVICE_CODE:
        raise NoSuchResource
    return json.dumps({"Quotas": list(_table(self.current_account, self.region).values())})


def _list_aws_default_service_quotas(self: ServiceQuotasResponse) -> str:
    if _params(self).get("ServiceCode") != SERVICE_CODE:
        return _originals["list_aws_default_service_quotas"](self)
    defaults = [{**quota, "Value": 0.0} for quota in _table(self.current_account, self.region).values()]
    return json.dumps({"Quotas": defaults})


def _get_service_quota(self: ServiceQuotasResponse) -> str:
    params = _params(self)
    if params.get("ServiceCode") != SERVICE_CODE:
        return _originals["get_service_quota"](self)
    quota = _table(self.current_account, self.region).get(params.get("QuotaCode", ""))
    if quota is None:
        raise NoSuchResource
    return json.dumps({"Quota": quota})


def _request_service_quota_increase(self: ServiceQuotasResponse) -> str:
    params = _params(self)
    quota = _table(self.current_account, self.region).get(params.get("QuotaCode", ""))
    if params.get("ServiceCode") != SERVICE_CODE or quota is None:
        raise NoSuchResource
    quota["Value"] = float(params["DesiredValue"])
    return json.dumps(
        {
            "RequestedQuota": {
                "Id": hashlib.sha256(f"{quota['QuotaCode']}:{quota['Value']}".encode()).hexdigest()[:32],
                "ServiceCode": SERVICE_CODE,
                "ServiceName": SERVICE_NAME,
                "QuotaCode": quota["QuotaCode"],
                "QuotaName": quota["QuotaName"],
                "DesiredValue": quota["Value"],
                "Status": "APPROVED",
                "QuotaArn": quota["QuotaArn"],
                "GlobalQuota": False,
                "Unit": "None",
            }
        }
    )
