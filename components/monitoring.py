"""Operational monitoring of the inference endpoint and GPU fleet: logs, dashboard, alarms to SNS, and a budget."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.policy_documents import policy_document
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:monitoring:Monitoring"

# The only retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
# AWS Budgets: up to 5 notifications per budget; thresholds here are percentages of the limit, up to 1000.
MAX_BUDGET_NOTIFICATIONS = 5
BUDGET_PERCENT_RANGE = (1, 1000)
SAGEMAKER_NAMESPACE = "AWS/SageMaker"
ENDPOINT_INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DCGM_NAMESPACE = "ContainerInsights/Prometheus"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(kw_only=True)
class MonitoringArgs:
    """Inputs of a Monitoring component; plain names and ARNs so any program can supply them."""

    endpoint_name: str
    """Name of the SageMaker endpoint to watch (known before the endpoint exists). Required."""
    kms_key_arn: pulumi.Input[str]
    """KMS key for the log groups and the alarm topic; its policy must let CloudWatch and Budgets use it. Required."""
    variant_name: str = "primary"
    """Production variant of the endpoint. Default "primary"."""
    cluster_name: pulumi.Input[str] | None = None
    """EKS cluster whose DCGM GPU metrics join the dashboard; None leaves them out. Default None."""
    log_retention_days: int = 365
    """Retention of every log group, in days (a CloudWatch-allowed value). Default 365."""
    alarm_email: str | None = None
    """E-mail subscribed to the alarm topic and the budget alerts. Default None."""
    alarm_webhook_url: pulumi.Input[str] | None = None
    """HTTPS endpoint (e.g. a chat webhook) subscribed to the alarm topic; kept secret in state and outputs. Default None."""
    latency_alarm_ms: int = 250
    """Model latency p99 above which the latency alarm fires, in ms. Default 250."""
    error_rate_alarm_percent: float = 1.0
    """Share of invocations answered with 5xx above which the error-rate alarm fires, in percent. Default 1."""
    failure_alarm_count: int = 5
    """5xx responses within five minutes that count as endpoint failures. Default 5."""
    gpu_memory_alarm_percent: int = 90
    """Endpoint GPU memory utilization above which the GPU memory alarm fires, in percent. Default 90."""
    monthly_budget_usd: float = 1000.0
    """AWS Budgets monthly cost limit, in USD. Default 1000."""
    budget_alert_percents: list[int] = field(default_factory=lambda: [80, 100])
    """Actual spend, in percent of the limit, that notifies the topic (and the e-mail). Default [80, 100]."""
    budget_scope_tag: tuple[str, str] | None = None
    """Cost-allocation tag (key, value) the budget counts; None counts the whole account. Default None."""
    tags: dict[str, str]
    """Tags on every AWS resource that takes them: project, environment, owner, cost-center. Required."""

    def problems(self) -> list[str]:
        """Every invalid field, each with its path; empty when the args are usable."""
        found = tag_problems(self.tags)
        if not self.endpoint_name:
            found.append("endpoint_name: must not be empty")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            found.append(
                f"log_retention_days: {self.log_retention_days} is not a CloudWatch retention period"
            )
        if self.alarm_email is not None and not _EMAIL.match(self.alarm_email):
            found.append(f"alarm_email: {self.alarm_email!r} is not an e-mail address")
        if self.latency_alarm_ms < 1:
            found.append(f"latency_alarm_ms: must be >= 1 (got {self.latency_alarm_ms})")
        if not 0 < self.error_rate_alarm_percent <= 100:
            found.append(
                f"error_rate_alarm_percent: must be in (0, 100] (got {self.error_rate_alarm_percent})"
            )
        if self.failure_alarm_count < 1:
            found.append(f"failure_alarm_count: must be >= 1 (got {self.failure_alarm_count})")
        if not 1 <= self.gpu_memory_alarm_percent <= 100:
            found.append(
                f"gpu_memory_alarm_percent: must be in [1, 100] (got {self.gpu_memory_alarm_percent})"
            )
        if self.monthly_budget_usd <= 0:
            found.append(f"monthly_budget_usd: must be > 0 (got {self.monthly_budget_usd})")
        if not 1 <= len(self.budget_alert_percents) <= MAX_BUDGET_NOTIFICATIONS:
            found.append(
                f"budget_alert_percents: AWS Budgets takes 1 to {MAX_BUDGET_NOTIFICATIONS} notifications "
                "per budget"
            )
        low, high = BUDGET_PERCENT_RANGE
        for index, percent in enumerate(self.budget_alert_percents):
            if not low <= percent <= high:
                found.append(f"budget_alert_percents[{index}]: must be in [{low}, {high}] (got {percent})")
        if len(set(self.budget_alert_percents)) != len(self.budget_alert_percents):
            found.append("budget_alert_percents: thresholds must be distinct")
        if self.budget_scope_tag is not None and not all(self.budget_scope_tag):
            found.append("budget_scope_tag: key and value must both be non-empty")
        return found


class Monitoring(pulumi.ComponentResource):
    """Log groups, a dashboard, alarms that notify an encrypted SNS topic, and a monthly budget."""

    topic_arn: pulumi.Output[str]
    """SNS topic every alarm and budget alert notifies."""
    dashboard_name: pulumi.Output[str]
    """Name of the CloudWatch dashboard."""
    alarm_names: dict[str, pulumi.Output[str]]
    """Alarm names by role: latency, error-rate, gpu-memory, failures."""
    alarm_arns: dict[str, pulumi.Output[str]]
    """Alarm ARNs by role."""
    log_group_names: list[pulumi.Output[str]]
    """Names of the log groups this component owns."""
    endpoint_log_group: aws.cloudwatch.LogGroup
    """The endpoint's log group (the endpoint must wait for it)."""
    budget_name: pulumi.Output[str]
    """Name of the AWS Budgets budget."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("Monitoring", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        # SageMaker writes endpoint logs here; owning the group sets retention and KMS before it does.
        log_groups = {
            "endpoint-logs": pulumi.Output.from_input(f"{ENDPOINT_INSTANCE_NAMESPACE}/{args.endpoint_name}")
        }
        if args.cluster_name is not None:
            # Where the CloudWatch agent writes the Prometheus (DCGM) metrics it scrapes from the cluster.
            log_groups["gpu-metrics-logs"] = pulumi.Output.concat(
                "/aws/containerinsights/", args.cluster_name, "/prometheus"
            )
        groups = {
            role: aws.cloudwatch.LogGroup(
                f"{name}-{role}",
                aws.cloudwatch.LogGroupArgs(
                    name=group_name,
                    retention_in_days=args.log_retention_days,
                    kms_key_id=args.kms_key_arn,
                    tags=args.tags,
                ),
                child,
            )
            for role, group_name in log_groups.items()
        }
        self.log_group_names = [group.name for group in groups.values()]
        self.endpoint_log_group = groups["endpoint-logs"]

        topic = aws.sns.Topic(
            f"{name}-alarms",
            aws.sns.TopicArgs(kms_master_key_id=args.kms_key_arn, tags=args.tags),
            child,
        )
        account_id = aws.get_caller_identity_output().account_id
        publishers = policy_document(
            [
                {
                    "Sid": "AlarmsAndBudgetsPublish",
                    "Effect": "Allow",
                    "Action": ["sns:Publish"],
                    "Resource": [topic.arn],
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ]
        )
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alarms-policy", aws.sns.TopicPolicyArgs(arn=topic.arn, policy=publishers), child
        )
        if args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                aws.sns.TopicSubscriptionArgs(topic=topic.arn, protocol="email", endpoint=args.alarm_email),
                child,
            )
        if args.alarm_webhook_url is not None:
            aws.sns.TopicSubscription(
                f"{name}-alarms-webhook",
                aws.sns.TopicSubscriptionArgs(
                    topic=topic.arn, protocol="https", endpoint=pulumi.Output.secret(args.alarm_webhook_url)
                ),
                child,
            )
        self.topic_arn = topic.arn

        alarms = self._alarms()
        self.alarm_names = {role: alarm.name for role, alarm in alarms.items()}
        self.alarm_arns = {role: alarm.arn for role, alarm in alarms.items()}

        region = aws.get_region_output().region
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            aws.cloudwatch.DashboardArgs(
                dashboard_name=f"{args.endpoint_name}-operations",
                dashboard_body=pulumi.Output.all(
                    region, pulumi.Output.from_input(args.cluster_name), *self.alarm_arns.values()
                ).apply(lambda values: json.dumps(_dashboard(args, values[0], values[1], values[2:]))),
            ),
            child,
        )
        self.dashboard_name = dashboard.dashboard_name

        budget = aws.budgets.Budget(
            f"{name}-budget",
            aws.budgets.BudgetArgs(
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=f"{args.monthly_budget_usd:.2f}",
                limit_unit="USD",
                cost_filters=(
                    [
                        aws.budgets.BudgetCostFilterArgs(
                            name="TagKeyValue",
                            values=[f"user:{args.budget_scope_tag[0]}${args.budget_scope_tag[1]}"],
                        )
                    ]
                    if args.budget_scope_tag
                    else None
                ),
                notifications=[
                    aws.budgets.BudgetNotificationArgs(
                        comparison_operator="GREATER_THAN",
                        notification_type="ACTUAL",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                        subscriber_sns_topic_arns=[topic.arn],
                        subscriber_email_addresses=[args.alarm_email] if args.alarm_email else None,
                    )
                    for percent in sorted(args.budget_alert_percents)
                ],
                tags=args.tags,
            ),
            # Budgets checks it may publish when the notification is created.
            pulumi.ResourceOptions(parent=self, depends_on=[topic_policy]),
        )
        self.budget_name = budget.name
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "dashboard_name": self.dashboard_name,
                "alarm_names": self.alarm_names,
                "alarm_arns": self.alarm_arns,
                "log_group_names": self.log_group_names,
                "budget_name": self.budget_name,
            }
        )

    def _alarms(self) -> dict[str, aws.cloudwatch.MetricAlarm]:
        args = self._args
        endpoint = {"EndpointName": args.endpoint_name, "VariantName": args.variant_name}
        common = {
            "alarm_actions": [self.topic_arn],
            "ok_actions": [self.topic_arn],
            # No traffic is not an incident; an idle dev endpoint stays OK.
            "treat_missing_data": "notBreaching",
            "tags": args.tags,
        }
        specs = {
            "latency": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-latency",
                alarm_description=f"p99 model latency of {args.endpoint_name} above {args.latency_alarm_ms} ms",
                namespace=SAGEMAKER_NAMESPACE,
                metric_name="ModelLatency",
                dimensions=endpoint,
                extended_statistic="p99",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="GreaterThanThreshold",
                threshold=args.latency_alarm_ms * 1000,  # ModelLatency is reported in microseconds
                **common,
            ),
            "error-rate": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-error-rate",
                alarm_description=f"5xx share of {args.endpoint_name} invocations above {args.error_rate_alarm_percent}%",
                metric_queries=[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="errors",
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace=SAGEMAKER_NAMESPACE,
                            metric_name="Invocation5XXErrors",
                            dimensions=endpoint,
                            stat="Sum",
                            period=300,
                        ),
                    ),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="invocations",
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace=SAGEMAKER_NAMESPACE,
                            metric_name="Invocations",
                            dimensions=endpoint,
                            stat="Sum",
                            period=300,
                        ),
                    ),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="error_rate",
                        expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                        label="5xx error rate (%)",
                        return_data=True,
                    ),
                ],
                evaluation_periods=2,
                comparison_operator="GreaterThanThreshold",
                threshold=args.error_rate_alarm_percent,
                **common,
            ),
            "gpu-memory": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-gpu-memory",
                alarm_description=f"GPU memory utilization of {args.endpoint_name} above {args.gpu_memory_alarm_percent}%",
                namespace=ENDPOINT_INSTANCE_NAMESPACE,
                metric_name="GPUMemoryUtilization",
                dimensions=endpoint,
                statistic="Average",
                period=300,
                evaluation_periods=3,
                comparison_operator="GreaterThanThreshold",
                threshold=args.gpu_memory_alarm_percent,
                **common,
            ),
            "failures": aws.cloudwatch.MetricAlarmArgs(
                name=f"{args.endpoint_name}-failures",
                alarm_description=f"{args.endpoint_name} failed {args.failure_alarm_count}+ requests with 5xx in 5 minutes",
                namespace=SAGEMAKER_NAMESPACE,
                metric_name="Invocation5XXErrors",
                dimensions=endpoint,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=args.failure_alarm_count,
                **common,
            ),
        }
        return {
            role: aws.cloudwatch.MetricAlarm(
                f"{self._name}-{role}", spec, pulumi.ResourceOptions(parent=self)
            )
            for role, spec in specs.items()
        }


def _dashboard(
    args: MonitoringArgs, region: str, cluster_name: str | None, alarm_arns: list[str]
) -> dict[str, Any]:
    """The dashboard body: endpoint traffic, latency, errors, instance utilization, node GPUs, alarm states."""
    endpoint = ["EndpointName", args.endpoint_name, "VariantName", args.variant_name]

    def graph(
        title: str, metrics: list[list[Any]], y: int, x: int, unit: str | None = None
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "period": 60,
            "metrics": metrics,
        }
        if unit:
            properties["yAxis"] = {"left": {"label": unit, "showUnits": False}}
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": properties}

    widgets = [
        graph("Invocations", [[SAGEMAKER_NAMESPACE, "Invocations", *endpoint, {"stat": "Sum"}]], 0, 0),
        graph(
            "Model latency (microseconds)",
            [
                [SAGEMAKER_NAMESPACE, "ModelLatency", *endpoint, {"stat": "p50", "label": "p50"}],
                [SAGEMAKER_NAMESPACE, "ModelLatency", *endpoint, {"stat": "p99", "label": "p99"}],
            ],
            0,
            12,
            "µs",
        ),
        graph(
            "Errors",
            [
                [SAGEMAKER_NAMESPACE, "Invocation4XXErrors", *endpoint, {"stat": "Sum", "label": "4xx"}],
                [SAGEMAKER_NAMESPACE, "Invocation5XXErrors", *endpoint, {"stat": "Sum", "label": "5xx"}],
            ],
            6,
            0,
        ),
        graph(
            "Endpoint instance utilization",
            [
                [ENDPOINT_INSTANCE_NAMESPACE, metric, *endpoint, {"stat": "Average", "label": label}]
                for metric, label in (
                    ("GPUUtilization", "GPU"),
                    ("GPUMemoryUtilization", "GPU memory"),
                    ("CPUUtilization", "CPU"),
                    ("MemoryUtilization", "memory"),
                )
            ],
            6,
            12,
            "%",
        ),
    ]
    if cluster_name:
        # Present once a Prometheus scraper ships DCGM exporter metrics to CloudWatch; SEARCH copes with
        # whatever extra dimensions (node, GPU index) the scraper adds.
        search = f"SEARCH('{{{DCGM_NAMESPACE},ClusterName}} MetricName=\"DCGM_FI_DEV_GPU_UTIL\" ClusterName=\"{cluster_name}\"', 'Average', 300)"
        widgets.append(
            graph(
                "Training node GPU utilization (DCGM)",
                [[{"expression": search, "id": "gpu", "label": ""}]],
                12,
                0,
                "%",
            )
        )
    widgets.append(
        {
            "type": "alarm",
            "x": 12,
            "y": 12,
            "width": 12,
            "height": 6,
            "properties": {"title": "Alarms", "alarms": list(alarm_arns)},
        }
    )
    return {"widgets": widgets}
