"""The training pipeline on SageMaker Pipelines: the pipeline, its schedule, its drift trigger and its deploy Lambda."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from modelyard.catalog.drift_metrics import DRIFT_METRIC_NAMESPACE, MAX_FEATURE_PSI_METRIC
from modelyard.components.iam.policy_documents import policy_document
from modelyard.components.monitoring import LOG_RETENTION_DAYS
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:pipeline:TrainingPipeline"
DEFAULT_DEPLOY_HANDLER = "modelyard.pipelines.steps.deploy.lambda_handler"
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# At most 50 characters so the derived schedule and rule names stay within EventBridge's 64.
_PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,49}$")
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_SCHEDULE = re.compile(r"^(cron|rate|at)\(.+\)$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")


@dataclass(kw_only=True)
class TrainingPipelineArgs:
    """Inputs of a TrainingPipeline; plain names, ARNs and ids so any program can supply them."""

    pipeline_name: str
    """Name of the SageMaker pipeline (also prefixes its schedule, alarm and rule). Required."""
    definition: pulumi.Input[str]
    """The compiled pipeline definition, JSON ("Version": "2020-12-01"). Required."""
    role_arn: pulumi.Input[str]
    """Role SageMaker runs the pipeline's steps with. Required."""
    kms_key_arn: pulumi.Input[str]
    """KMS key for the schedule, the deploy function's environment and its log group. Required."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic the drift alarm notifies besides starting the pipeline. Required."""
    deploy_function_name: str
    """Name of the deploy Lambda the pipeline's Lambda step invokes. Required."""
    deploy_image_uri: pulumi.Input[str]
    """Image of the deploy Lambda (our training image, which has awslambdaric). Required."""
    deploy_role_arn: pulumi.Input[str]
    """Execution role of the deploy Lambda (needs VPC ENI access and SageMaker endpoint updates). Required."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets the deploy Lambda runs in. Required."""
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of the deploy Lambda. Required."""
    schedule_expression: str | None = "rate(7 days)"
    """EventBridge Scheduler expression that starts the pipeline; None means no schedule. Default "rate(7 days)"."""
    schedule_timezone: str = "UTC"
    """IANA time zone of a cron() schedule. Default "UTC"."""
    schedule_parameters: dict[str, str] = field(default_factory=dict)
    """Pipeline parameters of scheduled executions. Default {}."""
    drift_metric_namespace: str = DRIFT_METRIC_NAMESPACE
    """CloudWatch namespace the drift monitor publishes to. Default "Modelyard/Drift"."""
    drift_metric_name: str = MAX_FEATURE_PSI_METRIC
    """Drift metric the alarm watches. Default "MaxFeaturePSI"."""
    drift_metric_dimensions: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Dimensions the monitor publishes the drift metric with. Default {} (none)."""
    drift_threshold: float = 0.2
    """Drift metric value above which the pipeline retrains. Default 0.2."""
    drift_period_seconds: int = 3600
    """Period the drift alarm takes the metric's maximum over (cover the monitor's interval). Default 3600."""
    drift_parameters: dict[str, str] = field(default_factory=dict)
    """Pipeline parameters of drift-triggered executions. Default {}."""
    deploy_handler: str = DEFAULT_DEPLOY_HANDLER
    """Handler awslambdaric runs in the deploy image. Default "modelyard.pipelines.steps.deploy.lambda_handler"."""
    deploy_environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables of the deploy Lambda. Default {}."""
    role_policies: list[pulumi.Resource] = field(default_factory=list)
    """Every policy of `role_arn`'s role; the pipeline waits for them (CreatePipeline checks the role). Default []."""
    deploy_role_policies: list[pulumi.Resource] = field(default_factory=list)
    """Every policy of `deploy_role_arn`'s role; the Lambda waits for them (CreateFunction checks its VPC ENI
    permissions). Default []."""
    deploy_memory_mb: int = 1024
    """Memory of the deploy Lambda, in MB. Default 1024."""
    deploy_timeout_seconds: int = LAMBDA_MAX_TIMEOUT_SECONDS
    """Timeout of the deploy Lambda, in seconds (at most 900). Default 900."""
    log_retention_days: int = 365
    """Retention of the deploy Lambda's log group, in days (a CloudWatch-allowed value). Default 365."""
    tags: dict[str, str]
    """Tags on every AWS resource that takes them: project, environment, owner, cost-center. Required."""

    def problems(self) -> list[str]:
        """Every invalid field, each with its path; empty when the args are usable."""
        found = tag_problems(self.tags)
        if not _PIPELINE_NAME.match(self.pipeline_name):
            found.append(f"pipeline_name: {self.pipeline_name!r} must be 1-50 letters, digits or dashes")
        if isinstance(self.definition, str):
            try:
                document = json.loads(self.definition)
            except json.JSONDecodeError as error:
                found.append(f"definition: not valid JSON ({error})")
            else:
                if not isinstance(document, dict) or "Steps" not in document:
                    found.append('definition: a SageMaker pipeline definition needs a top-level "Steps" list')
        if not _FUNCTION_NAME.match(self.deploy_function_name):
            found.append(
                f"deploy_function_name: {self.deploy_function_name!r} must be 1-64 letters, digits, dashes or underscores"
            )
        if self.schedule_expression is not None and not _SCHEDULE.match(self.schedule_expression):
            found.append(
                f"schedule_expression: {self.schedule_expression!r} is not a cron(), rate() or at() expression"
            )
        for key in ("schedule_parameters", "drift_parameters"):
            for parameter in getattr(self, key):
                if not _PARAMETER_NAME.match(parameter):
                    found.append(f"{key}.{parameter}: not a pipeline parameter name")
        if not self.drift_metric_namespace or not self.drift_metric_name:
            found.append("drift_metric_namespace/drift_metric_name: must not be empty")
        if self.drift_period_seconds < 60 or self.drift_period_seconds % 60:
            found.append(f"drift_period_seconds: must be a multiple of 60 (got {self.drift_period_seconds})")
        if self.drift_threshold <= 0:
            found.append(f"drift_threshold: must be > 0 (got {self.drift_threshold})")
        if not self.deploy_handler or "." not in self.deploy_handler:
            found.append(f"deploy_handler: {self.deploy_handler!r} is not a module.function handler")
        if not 128 <= self.deploy_memory_mb <= 10240:
            found.append(f"deploy_memory_mb: must be in [128, 10240] (got {self.deploy_memory_mb})")
        if not 1 <= self.deploy_timeout_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
            found.append(f"deploy_timeout_seconds: must be in [1, 900] (got {self.deploy_timeout_seconds})")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            found.append(
                f"log_retention_days: {self.log_retention_days} is not a CloudWatch retention period"
            )
        return found


class TrainingPipeline(pulumi.ComponentResource):
    """A SageMaker Pipeline started on a schedule and whenever the drift alarm fires, with its deploy Lambda.

    The pipeline's Lambda step must name the deploy function by ARN. Its name is an argument, so a program
    compiles the definition with `arn:aws:lambda:<region>:<account>:function:<deploy_function_name>`
    before this component exists; the pipeline is created after the function.
    """

    pipeline_name: pulumi.Output[str]
    """Name of the SageMaker pipeline."""
    pipeline_arn: pulumi.Output[str]
    """ARN of the SageMaker pipeline."""
    schedule_arn: pulumi.Output[str] | None
    """ARN of the EventBridge Scheduler schedule; None without a schedule."""
    drift_alarm_name: pulumi.Output[str]
    """Name of the alarm on the drift metric."""
    drift_alarm_arn: pulumi.Output[str]
    """ARN of the alarm on the drift metric."""
    drift_rule_arn: pulumi.Output[str]
    """ARN of the EventBridge rule that starts the pipeline when the drift alarm fires."""
    deploy_function_name: pulumi.Output[str]
    """Name of the deploy Lambda."""
    deploy_function_arn: pulumi.Output[str]
    """ARN of the deploy Lambda."""
    deploy_log_group_name: pulumi.Output[str]
    """Log group of the deploy Lambda."""

    def __init__(self, name: str, args: TrainingPipelineArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("TrainingPipeline", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        self._account_id = aws.get_caller_identity_output().account_id

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-deploy-logs",
            aws.cloudwatch.LogGroupArgs(
                name=f"/aws/lambda/{args.deploy_function_name}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
            ),
            child,
        )
        function = aws.lambda_.Function(
            f"{name}-deploy",
            aws.lambda_.FunctionArgs(
                name=args.deploy_function_name,
                package_type="Image",
                image_uri=args.deploy_image_uri,
                image_config=aws.lambda_.FunctionImageConfigArgs(
                    entry_points=["python", "-m", "awslambdaric"], commands=[args.deploy_handler]
                ),
                role=args.deploy_role_arn,
                vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                    subnet_ids=args.subnet_ids, security_group_ids=args.security_group_ids
                ),
                timeout=args.deploy_timeout_seconds,
                memory_size=args.deploy_memory_mb,
                # The key encrypts environment variables only; Lambda has nothing to encrypt without them.
                kms_key_arn=args.kms_key_arn if args.deploy_environment else None,
                # Traces each deployment (SageMaker calls, smoke test) in X-Ray; the deploy role may write them.
                tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
                environment=(
                    aws.lambda_.FunctionEnvironmentArgs(variables=args.deploy_environment)
                    if args.deploy_environment
                    else None
                ),
                logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                    log_format="JSON", log_group=log_group.name
                ),
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[log_group, *args.deploy_role_policies]),
        )

        pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            aws.sagemaker.PipelineArgs(
                pipeline_name=args.pipeline_name,
                pipeline_display_name=args.pipeline_name,
                pipeline_definition=args.definition,
                role_arn=args.role_arn,
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[function, *args.role_policies]),
        )

        self.schedule_arn = self._schedule(pipeline) if args.schedule_expression is not None else None
        alarm, rule = self._drift_trigger(pipeline)

        self.pipeline_name = pipeline.pipeline_name
        self.pipeline_arn = pipeline.arn
        self.drift_alarm_name = alarm.name
        self.drift_alarm_arn = alarm.arn
        self.drift_rule_arn = rule.arn
        self.deploy_function_name = function.name
        self.deploy_function_arn = function.arn
        self.deploy_log_group_name = log_group.name
        self.register_outputs(
            {
                "pipeline_name": self.pipeline_name,
                "pipeline_arn": self.pipeline_arn,
                "schedule_arn": self.schedule_arn,
                "drift_alarm_name": self.drift_alarm_name,
                "drift_alarm_arn": self.drift_alarm_arn,
                "drift_rule_arn": self.drift_rule_arn,
                "deploy_function_name": self.deploy_function_name,
                "deploy_function_arn": self.deploy_function_arn,
                "deploy_log_group_name": self.deploy_log_group_name,
            }
        )

    def _starter_role(
        self, role: str, service: str, pipeline: aws.sagemaker.Pipeline, with_key: bool
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """A role `service` assumes (for this account only) that may start this one pipeline and nothing else,
        and its policy (what uses the role waits for it)."""
        trust = policy_document(
            [
                {
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Principal": {"Service": service},
                    "Condition": {"StringEquals": {"aws:SourceAccount": self._account_id}},
                }
            ]
        )
        iam_role = aws.iam.Role(
            f"{self._name}-{role}",
            aws.iam.RoleArgs(assume_role_policy=trust, tags=self._args.tags),
            pulumi.ResourceOptions(parent=self),
        )
        statements = [
            {
                "Sid": "StartThisPipeline",
                "Effect": "Allow",
                "Action": ["sagemaker:StartPipelineExecution"],
                "Resource": [pipeline.arn],
            }
        ]
        if with_key:
            # EventBridge Scheduler decrypts the schedule's target with the execution role.
            statements.append(
                {
                    "Sid": "DecryptSchedule",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [self._args.kms_key_arn],
                }
            )
        policy = aws.iam.RolePolicy(
            f"{self._name}-{role}-policy",
            aws.iam.RolePolicyArgs(role=iam_role.name, policy=policy_document(statements)),
            pulumi.ResourceOptions(parent=self),
        )
        return iam_role, policy

    def _schedule(self, pipeline: aws.sagemaker.Pipeline) -> pulumi.Output[str]:
        args = self._args
        role, policy = self._starter_role(
            "scheduler-role", "scheduler.amazonaws.com", pipeline, with_key=True
        )
        schedule = aws.scheduler.Schedule(
            f"{self._name}-schedule",
            aws.scheduler.ScheduleArgs(
                name=f"{args.pipeline_name}-schedule",
                description=f"Starts SageMaker pipeline {args.pipeline_name}",
                schedule_expression=args.schedule_expression,
                schedule_expression_timezone=args.schedule_timezone,
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                kms_key_arn=args.kms_key_arn,
                target=aws.scheduler.ScheduleTargetArgs(
                    # A pipeline ARN makes this Scheduler's templated StartPipelineExecution target.
                    arn=pipeline.arn,
                    role_arn=role.arn,
                    sagemaker_pipeline_parameters=aws.scheduler.ScheduleTargetSagemakerPipelineParametersArgs(
                        pipeline_parameters=[
                            aws.scheduler.ScheduleTargetSagemakerPipelineParametersPipelineParameterArgs(
                                name=key, value=value
                            )
                            for key, value in sorted(args.schedule_parameters.items())
                        ]
                    )
                    if args.schedule_parameters
                    else None,
                    retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                        maximum_retry_attempts=3, maximum_event_age_in_seconds=3600
                    ),
                ),
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return schedule.arn

    def _drift_trigger(
        self, pipeline: aws.sagemaker.Pipeline
    ) -> tuple[aws.cloudwatch.MetricAlarm, aws.cloudwatch.EventRule]:
        args = self._args
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-drift-alarm",
            aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.pipeline_name}-drift",
                alarm_description=(
                    f"{args.drift_metric_namespace}/{args.drift_metric_name} above {args.drift_threshold}: "
                    f"retrain with pipeline {args.pipeline_name}"
                ),
                namespace=args.drift_metric_namespace,
                metric_name=args.drift_metric_name,
                dimensions=args.drift_metric_dimensions or None,
                statistic="Maximum",
                period=args.drift_period_seconds,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=args.drift_threshold,
                # Between monitor runs there is no data; that is not drift.
                treat_missing_data="notBreaching",
                alarm_actions=[args.alarm_topic_arn],
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-drift-rule",
            aws.cloudwatch.EventRuleArgs(
                name=f"{args.pipeline_name}-drift",
                description=f"Starts {args.pipeline_name} when its drift alarm enters ALARM",
                event_pattern=alarm.arn.apply(
                    lambda arn: json.dumps(
                        {
                            "source": ["aws.cloudwatch"],
                            "detail-type": ["CloudWatch Alarm State Change"],
                            "resources": [arn],
                            "detail": {"state": {"value": ["ALARM"]}},
                        }
                    )
                ),
                tags=args.tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        role, policy = self._starter_role("events-role", "events.amazonaws.com", pipeline, with_key=False)
        aws.cloudwatch.EventTarget(
            f"{self._name}-drift-target",
            aws.cloudwatch.EventTargetArgs(
                rule=rule.name,
                arn=pipeline.arn,
                role_arn=role.arn,
                sagemaker_pipeline_target=aws.cloudwatch.EventTargetSagemakerPipelineTargetArgs(
                    pipeline_parameter_lists=[
                        aws.cloudwatch.EventTargetSagemakerPipelineTargetPipelineParameterListArgs(
                            name=key, value=value
                        )
                        for key, value in sorted(args.drift_parameters.items())
                    ]
                    or None
                ),
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return alarm, rule
