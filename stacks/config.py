"""The typed schema of a stack's config (Pulumi.<env>.yaml), with errors that name every bad key."""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from modelyard.catalog.errors import InputError
from modelyard.catalog.image_refs import DIGEST_REF_FORM, is_digest_ref
from modelyard.catalog.instance_types import INFERENCE_GPU_FAMILIES, TRAINING_GPU_FAMILIES, family
from modelyard.components.inference import MAX_WAIT_MINUTES
from modelyard.components.monitoring import BUDGET_PERCENT_RANGE, LOG_RETENTION_DAYS, MAX_BUDGET_NOTIFICATIONS
from modelyard.components.network import (
    MIN_EXISTING_SUBNETS,
    SMALLEST_SUBNET_PREFIX,
    SUBNET_ID_PATTERN,
    VPC_ID_PATTERN,
)
from modelyard.components.storage import MIN_INFREQUENT_ACCESS_DAYS
from modelyard.components.training_cluster.args import (
    MIN_NODE_DISK_SIZE_GB,
    NODE_GROUP_NAME_PATTERN,
    NodeGroupSpec,
    default_system_node_group,
)
from modelyard.components.training_cluster.autoscaler_images import autoscaler_image_problem
from modelyard.stacks.provider_config import provider_config_keys
from modelyard.stacks.schedule_expression import schedule_expression_problem
from modelyard.stacks.stack_files import read_stack_file

NAMESPACE = "modelyard"
# The provider namespace the program reads besides its own (aws:region); its keys come from the provider's SDK.
PROVIDER_NAMESPACE = "aws"

AWS_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "ap-south-1",
        "ap-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-east-1",
        "sa-east-1",
        "me-south-1",
        "me-central-1",
        "af-south-1",
        "il-central-1",
    }
)


class ConfigError(InputError):
    """Invalid stack config: every problem, each with its config key path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))


class _Section(BaseModel):
    # allow_inf_nan=False: a YAML 1e999 or .nan is refused, not a ceiling nothing exceeds.
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, allow_inf_nan=False
    )


def _retention_period(days: int) -> int:
    """The components' own list of CloudWatch Logs retention periods (components.monitoring)."""
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{days} is not a CloudWatch Logs retention period "
            f"(one of {', '.join(map(str, sorted(LOG_RETENTION_DAYS)))})"
        )
    return days


def _schedule_expression(expression: str | None) -> str | None:
    if expression is not None:
        problem = schedule_expression_problem(expression)
        if problem:
            raise ValueError(problem)
    return expression


class NetworkConfig(_Section):
    """Where compute runs."""

    cidr: str = "10.20.0.0/16"
    """VPC CIDR block (a /16 to /24 private range). Default 10.20.0.0/16."""
    az_count: int = Field(2, ge=2, le=3)
    """Availability zones to spread subnets over (2 or 3). Default 2."""
    nat_per_az: bool = False
    """One NAT gateway per AZ (HA) instead of a single shared one. Default False."""
    flow_log_retention_days: int = Field(30, ge=1)
    """Retention of the VPC flow log group, in days. Default 30."""
    existing_vpc_id: str | None = Field(None, pattern=VPC_ID_PATTERN)
    """Use this VPC (and its private subnets) instead of creating one. Default None."""
    existing_private_subnet_ids: list[Annotated[str, Field(pattern=SUBNET_ID_PATTERN)]] = []
    """Private subnets of existing_vpc_id to place compute in (at least two AZs). Default []."""

    @field_validator("cidr")
    @classmethod
    def _cidr_is_private_network(cls, value: str) -> str:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a valid CIDR block ({error})") from None
        if not isinstance(network, ipaddress.IPv4Network) or not network.is_private:
            raise ValueError(f"{value!r} must be a private IPv4 range")
        # Subnets down to /SMALLEST_SUBNET_PREFIX are carved from it (components.network).
        if not 16 <= network.prefixlen <= SMALLEST_SUBNET_PREFIX - 4:
            raise ValueError(f"{value!r} must be between /16 and /{SMALLEST_SUBNET_PREFIX - 4}")
        return value

    _flow_log_retention = field_validator("flow_log_retention_days")(_retention_period)

    @model_validator(mode="after")
    def _existing_vpc_has_subnets(self) -> NetworkConfig:
        if self.existing_vpc_id is None and self.existing_private_subnet_ids:
            raise ValueError("existingPrivateSubnetIds only applies with existingVpcId")
        if self.existing_vpc_id is not None and len(self.existing_private_subnet_ids) < MIN_EXISTING_SUBNETS:
            raise ValueError(
                f"existingVpcId needs at least {MIN_EXISTING_SUBNETS} existingPrivateSubnetIds "
                "(in different AZs)"
            )
        return self


class StorageConfig(_Section):
    """Buckets for datasets, model artifacts, data capture and access logs."""

    retain_on_delete: bool = False
    """Keep buckets when the stack is destroyed. Default False (prod sets True)."""
    noncurrent_version_days: int = Field(30, ge=1)
    """Days before noncurrent object versions expire. Default 30."""
    capture_transition_days: int = Field(30, ge=MIN_INFREQUENT_ACCESS_DAYS)
    """Days before endpoint data capture moves to infrequent access. Default 30."""
    expected_storage_gb: float = Field(100.0, ge=0)
    """Storage the cost estimate assumes across buckets, in GB. Default 100."""


class NodeGroupConfig(_Section):
    """One managed EKS node group: the config form (camelCase keys) of the TrainingCluster component's NodeGroupSpec,
    with its limits; the program builds the spec with to_spec()."""

    name: str = Field(pattern=NODE_GROUP_NAME_PATTERN)
    """Node group name suffix: 1-31 lowercase letters, digits or dashes."""
    instance_types: list[str] = Field(min_length=1)
    """EC2 instance types (GPU groups: g5/g6/g6e/p4d/p5 families)."""
    min_size: int = Field(0, ge=0)
    """Minimum nodes (0 lets the group scale to zero). Default 0."""
    max_size: int = Field(1, ge=1)
    """Maximum nodes. Default 1."""
    desired_size: int = Field(0, ge=0)
    """Nodes at creation. Default 0."""
    spot: bool = False
    """Use spot capacity. Default False."""
    disk_size_gb: int = Field(200, ge=MIN_NODE_DISK_SIZE_GB)
    """Root gp3 volume size, in GiB. Default 200."""

    @model_validator(mode="after")
    def _sizes_are_ordered(self) -> NodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy minSize <= desiredSize <= maxSize (got {self.min_size}, "
                f"{self.desired_size}, {self.max_size})"
            )
        return self

    @classmethod
    def from_spec(cls, spec: NodeGroupSpec) -> NodeGroupConfig:
        """The config form of a component spec (how the schema takes the component's defaults)."""
        return cls.model_validate(dataclasses.asdict(spec))

    def to_spec(self) -> NodeGroupSpec:
        """The component's NodeGroupSpec with these settings."""
        return NodeGroupSpec(**self.model_dump())


class TrainingConfig(_Section):
    """The GPU training cluster (EKS) and SageMaker training settings."""

    eks_version: str = Field("1.35", pattern=r"^1\.\d{2}$")
    """Kubernetes version of the EKS control plane (in standard support until 2027-03-27). Default 1.35."""
    public_endpoint: bool = False
    """Expose the EKS API endpoint publicly (needs public_access_cidrs). Default False."""
    public_access_cidrs: list[str] = []
    """CIDRs allowed to reach a public API endpoint. Default []."""
    system_node_group: NodeGroupConfig = NodeGroupConfig.from_spec(default_system_node_group())
    """CPU node group for cluster add-ons. Default the component's: 1-2 m6i.large."""
    gpu_node_groups: list[NodeGroupConfig] = Field(
        default_factory=lambda: [NodeGroupConfig(name="gpu", instance_types=["g5.xlarge"], max_size=1)],
        min_length=1,
    )
    """GPU node groups (at least one). Default one g5.xlarge group scaling 0-1."""
    sagemaker_instance_type: str = "ml.g5.xlarge"
    """Instance type of SageMaker training jobs. Default ml.g5.xlarge."""
    sagemaker_instance_count: int = Field(1, ge=1)
    """Instances per SageMaker training job (>1 runs multi-instance DDP). Default 1."""
    kubeflow_trainer: bool = True
    """Install Kubeflow Trainer (Helm chart kubeflow-trainer 2.3.0) on the cluster. Default True."""

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs_are_valid(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=True)
            except ValueError:
                raise ValueError(f"{value!r} is not a valid CIDR block") from None
            if value in ("0.0.0.0/0", "::/0"):
                raise ValueError(f"{value!r} opens the API endpoint to the world")
        return values

    @field_validator("eks_version")
    @classmethod
    def _cluster_autoscaler_pinned(cls, value: str) -> str:
        if problem := autoscaler_image_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("gpu_node_groups")
    @classmethod
    def _gpu_families_allowed(cls, groups: list[NodeGroupConfig]) -> list[NodeGroupConfig]:
        for group in groups:
            for instance_type in group.instance_types:
                if family(instance_type) not in TRAINING_GPU_FAMILIES:
                    raise ValueError(
                        f"instance type {instance_type!r} of node group {group.name!r} is not in the "
                        f"allowed GPU families {', '.join(TRAINING_GPU_FAMILIES)}"
                    )
        return groups

    @field_validator("sagemaker_instance_type")
    @classmethod
    def _sagemaker_gpu_family(cls, value: str) -> str:
        if not value.startswith("ml.") or family(value) not in TRAINING_GPU_FAMILIES:
            raise ValueError(
                f"instance type {value!r} is not an ml.* type in the allowed GPU families "
                f"{', '.join(TRAINING_GPU_FAMILIES)}"
            )
        return value

    @model_validator(mode="after")
    def _public_endpoint_needs_allow_list(self) -> TrainingConfig:
        if self.public_endpoint and not self.public_access_cidrs:
            raise ValueError("publicEndpoint requires a non-empty publicAccessCidrs allow-list")
        if self.public_access_cidrs and not self.public_endpoint:
            raise ValueError("publicAccessCidrs only applies with publicEndpoint: true")
        return self


class ScaleDownSchedule(_Section):
    """Scheduled scaling of a dev endpoint (cron in UTC)."""

    scale_down_cron: str = "cron(0 19 ? * MON-FRI *)"
    """When to drop to the scheduled minimum. Default 19:00 UTC on weekdays."""
    scale_up_cron: str = "cron(0 7 ? * MON-FRI *)"
    """When to restore the normal minimum. Default 07:00 UTC on weekdays."""
    off_hours_capacity: int = Field(1, ge=1)
    """Instances (min and max) outside working hours; an endpoint variant cannot go below 1. Default 1."""

    _crons = field_validator("scale_down_cron", "scale_up_cron")(_schedule_expression)


class InferenceConfig(_Section):
    """The GPU inference endpoint."""

    instance_type: str = "ml.g5.xlarge"
    """SageMaker instance type of the production variant. Default ml.g5.xlarge."""
    instance_count: int = Field(1, ge=1)
    """Initial instances. Default 1."""
    min_capacity: int = Field(1, ge=1)
    """Autoscaling minimum (an endpoint variant never goes below 1 instance). Default 1."""
    max_capacity: int = Field(2, ge=1)
    """Autoscaling maximum. Default 2."""
    target_invocations_per_instance: int = Field(200, ge=1)
    """Target-tracking set point (invocations per instance per minute). Default 200."""
    deployment_strategy: Literal["canary", "linear"] = "canary"
    """Blue/green traffic shifting. Default canary."""
    traffic_step_percent: int = Field(10, ge=1, le=50)
    """Traffic on the new fleet during the canary (or each linear step). Default 10."""
    bake_minutes: int = Field(10, ge=0, le=MAX_WAIT_MINUTES)
    """Wait after shifting traffic, with rollback alarms armed. Default 10."""
    data_capture_percent: int = Field(20, ge=0, le=100)
    """Share of requests captured for drift monitoring. Default 20."""
    shadow_instance_type: str | None = None
    """Instance type of an optional shadow variant. Default None (no shadow)."""
    model_artifact: str | None = None
    """s3:// URI of a model artifact; without it the endpoint serves the bootstrap model. Default None."""
    schedule: ScaleDownSchedule | None = None
    """Scheduled scale-down (dev). Default None."""
    latency_alarm_ms: int = Field(250, ge=1)
    """Model latency p99 that trips the rollback alarm, in ms. Default 250."""

    @field_validator("instance_type", "shadow_instance_type")
    @classmethod
    def _inference_gpu_family(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("ml.") or family(value) not in INFERENCE_GPU_FAMILIES):
            raise ValueError(
                f"instance type {value!r} is not an ml.* type in the allowed GPU families "
                f"{', '.join(INFERENCE_GPU_FAMILIES)}"
            )
        return value

    @model_validator(mode="after")
    def _capacity_is_ordered(self) -> InferenceConfig:
        if not self.min_capacity <= self.instance_count <= self.max_capacity:
            raise ValueError(
                f"capacities must satisfy minCapacity <= instanceCount <= maxCapacity (got "
                f"{self.min_capacity}, {self.instance_count}, {self.max_capacity})"
            )
        if self.schedule is not None and self.schedule.off_hours_capacity > self.max_capacity:
            raise ValueError(
                f"schedule.offHoursCapacity {self.schedule.off_hours_capacity} exceeds maxCapacity "
                f"{self.max_capacity}"
            )
        return self


class MonitoringConfig(_Section):
    """Logs, dashboards, alarms and the budget."""

    log_retention_days: int = Field(30, ge=1)
    """Retention of every log group, in days. Default 30."""
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """E-mail subscribed to the alarm topic. Default None."""
    monthly_budget_usd: float = Field(1000.0, gt=0)
    """AWS Budgets monthly limit. Default 1000."""
    budget_alert_percents: list[
        Annotated[int, Field(ge=BUDGET_PERCENT_RANGE[0], le=BUDGET_PERCENT_RANGE[1])]
    ] = Field([80, 100], min_length=1, max_length=MAX_BUDGET_NOTIFICATIONS)
    """Budget thresholds that notify, in percent of the limit (distinct). Default [80, 100]."""
    gpu_memory_alarm_percent: int = Field(90, ge=1, le=100)
    """Endpoint GPU memory utilization that alarms. Default 90."""
    error_rate_alarm_percent: float = Field(1.0, gt=0, le=100)
    """5xx share of invocations that alarms. Default 1."""

    _log_retention = field_validator("log_retention_days")(_retention_period)

    @field_validator("budget_alert_percents")
    @classmethod
    def _distinct_thresholds(cls, values: list[int]) -> list[int]:
        if len(set(values)) != len(values):
            raise ValueError(f"thresholds must be distinct (got {values})")
        return values


class PipelineConfig(_Section):
    """The training pipeline: schedule, gate and drift trigger."""

    schedule: str | None = "rate(7 days)"
    """EventBridge Scheduler expression that starts the pipeline. Default weekly."""
    min_accuracy: float = Field(0.90, ge=0, le=1)
    """Evaluation gate: minimum test accuracy. Default 0.90."""
    min_auc: float = Field(0.90, ge=0, le=1)
    """Evaluation gate: minimum test ROC AUC. Default 0.90."""
    max_regression: float = Field(0.01, ge=0, le=1)
    """Evaluation gate: largest allowed drop versus the champion. Default 0.01."""
    drift_psi_threshold: float = Field(0.2, gt=0)
    """Population stability index above which a feature has drifted. Default 0.2."""
    processing_instance_type: str = "ml.m5.large"
    """Instance type of processing steps. Default ml.m5.large."""

    _schedule = field_validator("schedule")(_schedule_expression)


class ImagesConfig(_Section):
    """The training and serving images: built and pushed by `pulumi up`, or digests a CI pipeline built."""

    training: str | None = None
    """`<ecr-repo-uri>@sha256:<64 hex>` of a prebuilt training image. Default None: `pulumi up` builds it."""
    serving: str | None = None
    """`<ecr-repo-uri>@sha256:<64 hex>` of a prebuilt serving image. Default None: `pulumi up` builds it."""

    @field_validator("training", "serving")
    @classmethod
    def _pinned_by_digest(cls, value: str | None) -> str | None:
        if value is not None and not is_digest_ref(value):
            raise ValueError(
                f"{value!r} is not an ECR image pinned by digest ({DIGEST_REF_FORM}); tags can move"
            )
        return value

    @property
    def prebuilt(self) -> dict[str, str]:
        """Image role -> digest reference, for the roles set here."""
        return {role: ref for role, ref in (("training", self.training), ("serving", self.serving)) if ref}


class AccountConfig(_Section):
    """Account-wide resources: when dev, staging and prod share an account, exactly one stack creates them."""

    create_github_oidc_provider: bool = False
    """This stack creates the account's GitHub OIDC provider; the others look it up. Default False."""
    create_auto_scaling_role: bool = False
    """This stack creates AWSServiceRoleForAutoScaling (only for an account that never ran an Auto Scaling group
    or EKS node group: `aws iam get-role --role-name AWSServiceRoleForAutoScaling` fails). Default False."""


class StackConfig(_Section):
    """Everything a stack is configured with, under the `modelyard:` namespace (plus `aws:region`)."""

    environment: Literal["dev", "staging", "prod"]
    """Which environment this stack is."""
    region: str = "us-east-1"
    """AWS region (from `aws:region`). Default us-east-1."""
    owner: str = Field(min_length=1)
    """Owner tag on every resource."""
    cost_center: str = Field(min_length=1)
    """Cost-center tag on every resource."""
    github_repository: str = Field("example-org/modelyard", pattern=r"^[\w.-]+/[\w.-]+$")
    """owner/name of the repository whose CI may assume the deploy role. Default example-org/modelyard."""
    deletion_protection: bool = False
    """Protect stateful resources against deletion. Default False (prod sets True)."""
    alarm_webhook_url: str | None = None
    """HTTPS webhook for alarms; set it with `pulumi config set --secret`. Default None."""
    monthly_cost_ceiling_usd: float = Field(5000.0, gt=0)
    """The cost-ceiling policy's limit for this stack's monthly estimate. Default 5000."""
    network: NetworkConfig = NetworkConfig()
    storage: StorageConfig = StorageConfig()
    training: TrainingConfig = TrainingConfig()
    inference: InferenceConfig = InferenceConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    pipeline: PipelineConfig = PipelineConfig()
    images: ImagesConfig = ImagesConfig()
    account: AccountConfig = AccountConfig()

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            close = [r for r in sorted(AWS_REGIONS) if _similar(r, value)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value!r} is not an AWS region{hint}")
        return value

    @model_validator(mode="after")
    def _prod_is_highly_available(self) -> StackConfig:
        if self.environment == "prod":
            problems = []
            if self.inference.min_capacity < 2:
                problems.append("prod needs inference.minCapacity >= 2 (instances across AZs)")
            if self.network.az_count < 3 and self.network.existing_vpc_id is None:
                problems.append("prod needs network.azCount = 3")
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @property
    def tags(self) -> dict[str, str]:
        """Tags every resource carries."""
        return {
            "project": "modelyard",
            "environment": self.environment,
            "owner": self.owner,
            "cost-center": self.cost_center,
        }


def _similar(a: str, b: str) -> bool:
    """True when two region names differ by at most one edit or a swapped pair (a typo)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) <= 1 or (
            len(diffs) == 2 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _did_you_mean(word: str, candidates: Any, prefix: str = "") -> str:
    """` (did you mean 'x'?)` for the closest candidate (difflib's ratio >= 0.6), else ""."""
    close = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f" (did you mean {prefix + close[0]!r}?)" if close else ""


def _section_keys(location: tuple[Any, ...]) -> list[str]:
    """The config keys the section at `location` (`('network',)`, `('training', 'gpuNodeGroups', 0)`) accepts."""
    model: Any = StackConfig
    for part in location:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        model = _model_in(field.annotation) if field else None
        if model is None:
            return []
    return [
        field.alias or name
        for name, field in model.model_fields.items()
        if model is not StackConfig or name != "region"
    ]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The config section class inside an annotation (`X`, `X | None`, `list[X]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((found for argument in get_args(annotation) if (found := _model_in(argument))), None)


def _key_path(location: tuple[Any, ...]) -> str:
    """`('inference', 'instanceType')` -> `modelyard:inference.instanceType`."""
    if not location:
        return NAMESPACE
    head, *rest = location
    if head == "region":
        path = "aws:region"
    else:
        path = f"{NAMESPACE}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_config(raw: dict[str, Any]) -> StackConfig:
    """Validate flat Pulumi config (`{"modelyard:network": ..., "aws:region": ...}`) into a StackConfig.

    Values may be JSON strings (how Pulumi stores structured config) or already-parsed objects.
    Raises ConfigError listing every problem. Keys of the namespaces the program reads (`modelyard:`, and
    `aws:`, whose keys are the provider's own) must be known, with a did-you-mean for a typo; other namespaces
    belong to other packages and are ignored.
    """
    problems: list[str] = []
    document: dict[str, Any] = {}
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if key == f"{PROVIDER_NAMESPACE}:region":
            document["region"] = value
        elif namespace == PROVIDER_NAMESPACE and name not in provider_config_keys(PROVIDER_NAMESPACE):
            suggestion = _did_you_mean(
                name, provider_config_keys(PROVIDER_NAMESPACE), f"{PROVIDER_NAMESPACE}:"
            )
            problems.append(f"{key}: unknown key{suggestion}")
        elif namespace == NAMESPACE:
            document[name] = _decode(value)
    try:
        config = StackConfig.model_validate(document)
    except ValidationError as error:
        for item in error.errors():
            location = item["loc"]
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key" + _did_you_mean(
                    str(location[-1]),
                    _section_keys(location[:-1]),
                    _key_path(location[:-1]) + ("." if len(location) > 1 else ":"),
                )
            problems.append(f"{_key_path(location)}: {message}")
    else:
        if not problems:
            return config
    raise ConfigError(problems)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def read_pulumi_config() -> dict[str, Any]:
    """All config the Pulumi language host gave this program (explicit values over PULUMI_CONFIG)."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_stack_config(stack: str, config_file: str | None = None) -> StackConfig:
    """Validate a shipped (or given) Pulumi.<stack>.yaml without running the program."""
    path = Path(config_file) if config_file else Path(__file__).resolve().parent / f"Pulumi.{stack}.yaml"
    return parse_config(read_stack_file(path, NAMESPACE).values)
