"""The on-demand price table shipped with Modelyard (prices.json): typed, validated, looked up per region."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelyard.catalog.errors import InputError

PRICE_FILE = Path(__file__).resolve().parent / "prices.json"


class CostError(InputError):
    """No estimate can be made: no prices for the region, a malformed price table, bad assumptions."""


class _Prices(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionPrices(_Prices):
    """List prices of one region, in USD."""

    ec2_hourly: dict[str, float]
    """EC2 instance type -> USD per instance-hour (Linux, on-demand)."""
    sagemaker_hourly: dict[str, float]
    """SageMaker `ml.*` instance type -> USD per instance-hour (real-time hosting)."""
    mlflow_tracking_server_hourly: dict[str, float]
    """SageMaker managed MLflow tracking server size (Small/Medium/Large) -> USD per hour."""
    ebs_gp3_gb_month: float = Field(ge=0)
    """EBS gp3 storage, USD per GB-month."""
    nat_gateway_hourly: float = Field(ge=0)
    """NAT gateway, USD per gateway-hour (data processing not included)."""
    public_ipv4_hourly: float = Field(ge=0)
    """Public IPv4 address (Elastic IP), USD per address-hour."""
    interface_endpoint_az_hourly: float = Field(ge=0)
    """Interface VPC endpoint, USD per endpoint per AZ per hour."""
    kms_key_monthly: float = Field(ge=0)
    """Customer-managed KMS key, USD per key-month."""
    eks_cluster_hourly: float = Field(ge=0)
    """EKS control plane (standard support), USD per cluster-hour."""
    s3_standard_gb_month: float = Field(ge=0)
    """S3 Standard storage (first 50 TB), USD per GB-month."""
    logs_ingestion_gb: float = Field(ge=0)
    """CloudWatch Logs ingestion (standard class), USD per GB."""
    logs_storage_gb_month: float = Field(ge=0)
    """CloudWatch Logs storage, USD per GB-month."""
    cloudwatch_alarm_monthly: float = Field(ge=0)
    """Standard-resolution metric alarm, USD per alarm-month."""
    cloudwatch_dashboard_monthly: float = Field(ge=0)
    """CloudWatch dashboard, USD per dashboard-month (account free tier not applied)."""
    secret_monthly: float = Field(ge=0)
    """Secrets Manager secret, USD per secret-month."""


class PriceTable(_Prices):
    """Every region's prices plus where they come from."""

    currency: str
    """Currency of every price (USD)."""
    source: str
    """Where the prices come from, in words."""
    compiled: str
    """When the table was compiled (ISO date)."""
    spot_discount: float = Field(ge=0, lt=1)
    """Assumed spot discount off on-demand, as a fraction."""
    notes: list[str]
    """Which entries are estimates rather than list prices."""
    regions: dict[str, RegionPrices]
    """Region name -> its prices."""

    @property
    def description(self) -> str:
        """One line naming the source and date, for reports."""
        return f"{self.source} (compiled {self.compiled})"

    def region(self, name: str) -> RegionPrices:
        """The prices of region `name`, or a CostError naming the regions the table covers."""
        try:
            return self.regions[name]
        except KeyError:
            raise CostError(
                f"no prices for region {name!r} in {PRICE_FILE.name} "
                f"(it covers {', '.join(sorted(self.regions))})"
            ) from None


@lru_cache(maxsize=4)
def load_price_table(path: Path = PRICE_FILE) -> PriceTable:
    """Read and validate a price table (the shipped one by default); cached, the file is read-only data."""
    try:
        return PriceTable.model_validate_json(path.read_text())
    except OSError as error:
        raise CostError(f"cannot read the price table {path}: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise CostError(f"invalid price table {path}: {problems}") from None
