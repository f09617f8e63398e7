"""The GPU inference endpoint: SageMaker model, endpoint config with data capture, blue/green endpoint with auto-rollback, autoscaling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from modelyard.catalog.instance_types import INFERENCE_GPU_FAMILIES, family, has_local_storage
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:inference:InferenceEndpoint"

BOOTSTRAP_MODEL_KEY = "bootstrap/model.tar.gz"
CAPTURE_PREFIX = "datacapture"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SAGEMAKER_NAMESPACE = "AWS/SageMaker"

# SageMaker's WaitIntervalInSeconds and TerminationWaitInSeconds go up to 3600 (botocore's sagemaker model).
MAX_WAIT_MINUTES = 60
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_SCHEDULE = re.compile(r"^(cron|rate|at)\(.+\)$")


@dataclass(kw_only=True)
class ScaleSchedule:
    """Scheduled capacity for off hours (e.g. a dev endpoint at night)."""

    scale_down_cron: str = "cron(0 19 ? * MON-FRI *)"
    """When capacity drops to off_hours_capacity. Default 19:00 on weekdays."""
    scale_up_cron: str = "cron(0 7 ? * MON-FRI *)"
    """When the normal min/max capacity returns. Default 07:00 on weekdays."""
    off_hours_capacity: int = 1
    """Instances (min and max) outside working hours; variant endpoints cannot go below 1. Default 1."""
    timezone: str = "UTC"
    """IANA time zone the cron expressions are read in. Default "UTC"."""


@dataclass(kw_only=True)
class InferenceEndpointArgs:
    """Inputs of an InferenceEndpoint; plain names, ARNs and ids so any program can supply them."""

    endpoint_name: str
    """Name of the SageMaker endpoint (alarms and scaling refer to it before it exists). Required."""
    execution_role_arn: pulumi.Input[str]
    """Role SageMaker runs the model with (pulls the image, reads the model data). Required."""
    image_uri: pulumi.Input[str]
    """Serving image, `<ECR serving repository URL>@sha256:<digest>` (e.g. ContainerImages' ref); it must exist
    before the model is created. Required."""
    artifact_bucket_name: pulumi.Input[str]
    """Bucket holding model artifacts, including the bootstrap model. Required."""
    capture_bucket_name: pulumi.Input[str]
    """Bucket receiving data capture (under datacapture/). Required."""
    kms_key_arn: pulumi.Input[str]
    """KMS key for data capture and, on instances without instance storage, the ML volume. Required."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets the model containers run in. Required."""
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of the model containers. Required."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic the rollback alarms also notify. Required."""
    model_data_url: pulumi.Input[str] | None = None
    """s3:// URI of the model artifact; None serves s3://<artifact bucket>/bootstrap/model.tar.gz. Default None."""
    bootstrap_model_archive: pulumi.Asset | None = None
    """Local model.tar.gz uploaded as the bootstrap model (only without model_data_url); None expects it in place. Default None."""
    variant_name: str = "primary"
    """Production variant name; the pipeline's endpoint configs must reuse it. Default "primary"."""
    instance_type: str = "ml.g5.xlarge"
    """Instance type of the production variant (g5/g6/g6e/p4d/p5/inf2 families). Default "ml.g5.xlarge"."""
    instance_count: int = 1
    """Instances at creation. Default 1."""
    min_capacity: int = 1
    """Autoscaling minimum (SageMaker variants need at least 1). Default 1."""
    max_capacity: int = 2
    """Autoscaling maximum. Default 2."""
    target_invocations_per_instance: int = 200
    """Target-tracking set point, invocations per instance per minute. Default 200."""
    deployment_strategy: Literal["canary", "linear"] = "canary"
    """Blue/green traffic shifting for updates. Default "canary"."""
    traffic_step_percent: int = 10
    """Capacity share of the canary, or of each linear step, in percent. Default 10."""
    bake_minutes: int = 10
    """Wait after each traffic shift with rollback alarms armed (at most 60). Default 10."""
    termination_wait_minutes: int = 5
    """Wait before the old fleet is terminated once all traffic has moved (at most 60). Default 5."""
    latency_alarm_ms: int = 250
    """p99 model latency that rolls a deployment back, in ms. Default 250."""
    error_alarm_count: int = 1
    """5xx responses within a minute that roll a deployment back. Default 1."""
    data_capture_percent: int = 20
    """Share of requests captured for drift monitoring, in percent (0 turns capture off). Default 20."""
    shadow_instance_type: str | None = None
    """Instance type of a shadow variant mirroring traffic to the same model; None has no shadow. Default None."""
    schedule: ScaleSchedule | None = None
    """Scheduled off-hours capacity; None keeps min/max around the clock. Default None."""
    execution_role_policies: list[pulumi.Resource] = field(default_factory=list)
    """Every policy of the execution role; the model waits for them (CreateModel checks image and VPC access).
    Default []."""
    endpoint_log_group: pulumi.Resource | None = None
    """The log group SageMaker writes the endpoint's logs to (/aws/sagemaker/Endpoints/<name>); the endpoint waits
    for it, so SageMaker does not create its own without our retention and key. Default None."""
    tags: dict[str, str]
    """Tags on every AWS resource that takes them: project, environment, owner, cost-center. Required."""

    def problems(self) -> list[str]:
        """Every invalid field, each with its path; empty when the args are usable."""
        found = tag_problems(self.tags)
        if not _ENDPOINT_NAME.match(self.endpoint_name):
            found.append(f"endpoint_name: {self.endpoint_name!r} must be 1-63 letters, digits or dashes")
        if not _ENDPOINT_NAME.match(self.variant_name):
            found.append(f"variant_name: {self.variant_name!r} must be 1-63 letters, digits or dashes")
        for key in ("instance_type", "shadow_instance_type"):
            value = getattr(self, key)
            if value is not None and (
                not value.startswith("ml.") or family(value) not in INFERENCE_GPU_FAMILIES
            ):
                found.append(
                    f"{key}: {value!r} is not an ml.* type in the GPU families {', '.join(INFERENCE_GPU_FAMILIES)}"
                )
        if self.min_capacity < 1:
            found.append(
                f"min_capacity: SageMaker endpoint variants cannot scale below 1 instance (got {self.min_capacity})"
            )
        if not self.min_capacity <= self.instance_count <= self.max_capacity:
            found.append(
                "instance_count: capacities must satisfy min_capacity <= instance_count <= max_capacity "
                f"(got {self.min_capacity}, {self.instance_count}, {self.max_capacity})"
            )
        if self.target_invocations_per_instance < 1:
            found.append(
                f"target_invocations_per_instance: must be >= 1 (got {self.target_invocations_per_instance})"
            )
        if self.deployment_strategy not in ("canary", "linear"):
            found.append(f"deployment_strategy: {self.deployment_strategy!r} is not 'canary' or 'linear'")
        if not 1 <= self.traffic_step_percent <= 50:
            found.append(f"traffic_step_percent: must be in [1, 50] (got {self.traffic_step_percent})")
        for key in ("bake_minutes", "termination_wait_minutes"):
            if not 0 <= getattr(self, key) <= MAX_WAIT_MINUTES:
                found.append(f"{key}: must be in [0, {MAX_WAIT_MINUTES}] (got {getattr(self, key)})")
        if self.latency_alarm_ms < 1:
            found.append(f"latency_alarm_ms: must be >= 1 (got {self.latency_alarm_ms})")
        if self.error_alarm_count < 1:
            found.append(f"error_alarm_count: must be >= 1 (got {self.error_alarm_count})")
        if not 0 <= self.data_capture_percent <= 100:
            found.append(f"data_capture_percent: must be in [0, 100] (got {self.data_capture_percent})")
        if self.model_data_url is not None and self.bootstrap_model_archive is not None:
            found.append("bootstrap_model_archive: only applies without model_data_url")
        if isinstance(self.model_data_url, str) and not self.model_data_url.startswith("s3://"):
            found.append(f"model_data_url: {self.model_data_url!r} is not an s3:// URI")
        if self.schedule is not None:
            schedule = self.schedule
            for key in ("scale_down_cron", "scale_up_cron"):
                if not _SCHEDULE.match(getattr(schedule, key)):
                    found.append(
                        f"schedule.{key}: {getattr(schedule, key)!r} is not a cron(), rate() or at() expression"
                    )
            if not 1 <= schedule.off_hours_capacity <= self.max_capacity:
                found.append(
                    "schedule.off_hours_capacity: must be between 1 (SageMaker variants cannot scale to zero) and "
                    f"max_capacity {self.max_capacity} (got {schedule.off_hours_capacity})"
                )
        return found


class InferenceEndpoint(pulumi.ComponentResource):
    """A SageMaker GPU endpoint that updates blue/green with auto-rollback and scales on invocations.

    Bootstrap: the stack comes up before the first model is trained. Without `model_data_url` the
    endpoint serves the bootstrap model at s3://<artifact bucket>/bootstrap/model.tar.gz (uploaded from
    `bootstrap_model_archive` when given). The training pipeline's deploy step then rolls out each
    approved model by creating a new endpoint config (a copy of `endpoint_config_name` with its model
    swapped) and calling UpdateEndpoint, which applies the blue/green policy and rollback alarms set here.
    The endpoint ignores changes to its endpoint config name, so `pulumi up` never reverts a pipeline
    deployment; an IaC change to the endpoint config reaches the live endpoint with the next deployment.
    """

    endpoint_name: pulumi.Output[str]
    """Name of the endpoint."""
    endpoint_config_name: pulumi.Output[str]
    """Name of the endpoint config this stack defines (the template the deploy step copies)."""
    model_name: pulumi.Output[str]
    """Name of the model the endpoint was created with."""
    model_data_url: pulumi.Output[str]
    """Model artifact the endpoint was created with (the bootstrap model unless configured)."""
    variant_name: str
    """Production variant name."""
    capture_s3_uri: pulumi.Output[str]
    """Prefix data capture writes under: s3://<capture bucket>/datacapture."""
    volume_kms_encrypted: bool
    """Whether the ML volume uses kms_key_arn (False on instance-storage types, hardware-encrypted instead)."""
    rollback_alarm_names: dict[str, pulumi.Output[str]]
    """Names of the alarms that roll a deployment back, by role: 5xx, latency."""
    rollback_alarm_arns: dict[str, pulumi.Output[str]]
    """ARNs of the rollback alarms, by role."""
    scaling_resource_id: pulumi.Output[str]
    """Application Auto Scaling resource id of the variant."""

    def __init__(self, name: str, args: InferenceEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("InferenceEndpoint", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        model_after: list[pulumi.Resource] = []
        if args.model_data_url is not None:
            self.model_data_url = pulumi.Output.from_input(args.model_data_url)
        else:
            self.model_data_url = pulumi.Output.concat(
                "s3://", args.artifact_bucket_name, f"/{BOOTSTRAP_MODEL_KEY}"
            )
            if args.bootstrap_model_archive is not None:
                model_after.append(
                    aws.s3.BucketObjectv2(
                        f"{name}-bootstrap-model",
                        aws.s3.BucketObjectv2Args(
                            bucket=args.artifact_bucket_name,
                            key=BOOTSTRAP_MODEL_KEY,
                            source=args.bootstrap_model_archive,
                            server_side_encryption="aws:kms",
                            kms_key_id=args.kms_key_arn,
                            tags=args.tags,
                        ),
                        child,
                    )
                )

        model = aws.sagemaker.Model(
            f"{name}-model",
            aws.sagemaker.ModelArgs(
                execution_role_arn=args.execution_role_arn,
                primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
                    image=args.image_uri, model_data_url=self.model_data_url, mode="SingleModel"
                ),
                enable_network_isolation=True,
                vpc_config=aws.sagemaker.ModelVpcConfigArgs(
                    subnets=args.subnet_ids, security_group_ids=args.security_group_ids
                ),
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[*model_after, *args.execution_role_policies]),
        )

        variant_types = [args.instance_type] + (
            [args.shadow_instance_type] if args.shadow_instance_type else []
        )
        self.volume_kms_encrypted = not any(has_local_storage(t) for t in variant_types)
        self.capture_s3_uri = pulumi.Output.concat("s3://", args.capture_bucket_name, f"/{CAPTURE_PREFIX}")
        endpoint_config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            aws.sagemaker.EndpointConfigurationArgs(
                production_variants=[
                    aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                        variant_name=args.variant_name,
                        model_name=model.name,
                        instance_type=args.instance_type,
                        initial_instance_count=args.instance_count,
                        initial_variant_weight=1.0,
                    )
                ],
                shadow_production_variants=(
                    [
                        aws.sagemaker.EndpointConfigurationShadowProductionVariantArgs(
                            variant_name=f"{args.variant_name}-shadow",
                            model_name=model.name,
                            instance_type=args.shadow_instance_type,
                            initial_instance_count=1,
                            initial_variant_weight=1.0,
                        )
                    ]
                    if args.shadow_instance_type
                    else None
                ),
                kms_key_arn=args.kms_key_arn if self.volume_kms_encrypted else None,
                data_capture_config=aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
                    enable_capture=args.data_capture_percent > 0,
                    initial_sampling_percentage=args.data_capture_percent,
                    destination_s3_uri=self.capture_s3_uri,
                    kms_key_id=args.kms_key_arn,
                    capture_options=[
                        aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(
                            capture_mode=mode
                        )
                        for mode in ("Input", "Output")
                    ],
                    capture_content_type_header=aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs(
                        json_content_types=["application/json"], csv_content_types=["text/csv"]
                    ),
                ),
                tags=args.tags,
            ),
            child,
        )

        alarms = self._rollback_alarms()
        self.rollback_alarm_names = {role: alarm.name for role, alarm in alarms.items()}
        self.rollback_alarm_arns = {role: alarm.arn for role, alarm in alarms.items()}
        endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            aws.sagemaker.EndpointArgs(
                name=args.endpoint_name,
                endpoint_config_name=endpoint_config.name,
                deployment_config=aws.sagemaker.EndpointDeploymentConfigArgs(
                    blue_green_update_policy=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs(
                        traffic_routing_configuration=self._traffic_routing(),
                        termination_wait_in_seconds=args.termination_wait_minutes * 60,
                    ),
                    auto_rollback_configuration=aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationArgs(
                        alarms=[
                            aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs(
                                alarm_name=alarm.name
                            )
                            for alarm in alarms.values()
                        ]
                    ),
                ),
                tags=args.tags,
            ),
            # The pipeline's deploy step owns which endpoint config is live (see the class docstring).
            pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["endpointConfigName"],
                depends_on=[args.endpoint_log_group] if args.endpoint_log_group else None,
            ),
        )

        self.scaling_resource_id = self._autoscaling(endpoint)
        self.endpoint_name = endpoint.name
        self.endpoint_config_name = endpoint_config.name
        self.model_name = model.name
        self.variant_name = args.variant_name
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_config_name": self.endpoint_config_name,
                "model_name": self.model_name,
                "model_data_url": self.model_data_url,
                "variant_name": self.variant_name,
                "capture_s3_uri": self.capture_s3_uri,
                "volume_kms_encrypted": self.volume_kms_encrypted,
                "rollback_alarm_names": self.rollback_alarm_names,
                "rollback_alarm_arns": self.rollback_alarm_arns,
                "scaling_resource_id": self.scaling_resource_id,
            }
        )

    def _rollback_alarms(self) -> dict[str, aws.cloudwatch.MetricAlarm]:
        args = self._args
        dimensions = {"EndpointName": args.endpoint_name, "VariantName": args.variant_name}
        common = {
            "namespace": SAGEMAKER_NAMESPACE,
            "dimensions": dimensions,
            "period": 60,
            "alarm_actions": [args.alarm_topic_arn],
            "ok_actions": [args.alarm_topic_arn],
            # Quiet minutes during a bake must not count as failures.
            "treat_missing_data": "notBreaching",
            "tags": args.tags,
        }
        specs = {
            "5xx": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-rollback-5xx",
                alarm_description=f"Rolls back an update of {args.endpoint_name}: {args.error_alarm_count}+ 5xx in a minute",
                metric_name="Invocation5XXErrors",
                statistic="Sum",
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=args.error_alarm_count,
                **common,
            ),
            "latency": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-rollback-latency",
                alarm_description=f"Rolls back an update of {args.endpoint_name}: p99 model latency above {args.latency_alarm_ms} ms",
                metric_name="ModelLatency",
                extended_statistic="p99",
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator="GreaterThanThreshold",
                threshold=args.latency_alarm_ms * 1000,  # ModelLatency is reported in microseconds
                **common,
            ),
        }
        return {
            role: aws.cloudwatch.MetricAlarm(
                f"{self._name}-rollback-{role}", spec, pulumi.ResourceOptions(parent=self)
            )
            for role, spec in specs.items()
        }

    def _traffic_routing(
        self,
    ) -> aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs:
        args = self._args
        wait = args.bake_minutes * 60
        if args.deployment_strategy == "linear":
            return aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs(
                type="LINEAR",
                wait_interval_in_seconds=wait,
                linear_step_size=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationLinearStepSizeArgs(
                    type="CAPACITY_PERCENT", value=args.traffic_step_percent
                ),
            )
        return aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs(
            type="CANARY",
            wait_interval_in_seconds=wait,
            canary_size=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySizeArgs(
                type="CAPACITY_PERCENT", value=args.traffic_step_percent
            ),
        )

    def _autoscaling(self, endpoint: aws.sagemaker.Endpoint) -> pulumi.Output[str]:
        args = self._args
        target = aws.appautoscaling.Target(
            f"{self._name}-scaling-target",
            aws.appautoscaling.TargetArgs(
                service_namespace="sagemaker",
                resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{args.variant_name}"),
                scalable_dimension=SCALABLE_DIMENSION,
                min_capacity=args.min_capacity,
                max_capacity=args.max_capacity,
                tags=args.tags,
            ),
            # With a schedule, the scheduled actions move min/max; `pulumi up` at night must not undo them.
            pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["minCapacity", "maxCapacity"] if args.schedule is not None else None,
            ),
        )
        aws.appautoscaling.Policy(
            f"{self._name}-scaling-policy",
            aws.appautoscaling.PolicyArgs(
                name=f"{args.endpoint_name}-invocations-per-instance",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=float(args.target_invocations_per_instance),
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                    ),
                    # GPU instances take minutes to come up: add fast, remove slowly.
                    scale_out_cooldown=60,
                    scale_in_cooldown=600,
                ),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        if args.schedule is not None:
            schedule = args.schedule
            scale_down = self._scheduled_action(
                target,
                "scale-down",
                schedule,
                schedule.scale_down_cron,
                (schedule.off_hours_capacity,) * 2,
                [],
            )
            # Application Auto Scaling rejects concurrent changes to one target's scheduled actions.
            self._scheduled_action(
                target,
                "scale-up",
                schedule,
                schedule.scale_up_cron,
                (args.min_capacity, args.max_capacity),
                [scale_down],
            )
        return target.resource_id

    def _scheduled_action(
        self,
        target: aws.appautoscaling.Target,
        role: str,
        schedule: ScaleSchedule,
        cron: str,
        capacity: tuple[int, int],
        after: list[pulumi.Resource],
    ) -> aws.appautoscaling.ScheduledAction:
        """A scheduled action setting the variant's (min, max) `capacity` at `cron`."""
        args = self._args
        return aws.appautoscaling.ScheduledAction(
            f"{self._name}-{role}",
            aws.appautoscaling.ScheduledActionArgs(
                name=f"{args.endpoint_name}-{role}",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                schedule=cron,
                timezone=schedule.timezone,
                scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                    min_capacity=capacity[0], max_capacity=capacity[1]
                ),
            ),
            pulumi.ResourceOptions(parent=self, depends_on=after),
        )
