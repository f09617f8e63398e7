"""Monitoring: encrypted log groups and topic, alarms with actions, a dashboard of the right metrics, the budget."""

from __future__ import annotations

import json

import pulumi
import pytest

from modelyard.components.monitoring import Monitoring, MonitoringArgs
from modelyard.components.validation import ComponentArgsError

KEY = "arn:aws:kms:us-east-1:123456789012:key/0b0c0d0e-1111-2222-3333-444455556666"


def monitoring_args(tags, **overrides) -> MonitoringArgs:
    values = {"endpoint_name": "unit-endpoint", "kms_key_arn": KEY, "tags": tags}
    values.update(overrides)
    return MonitoringArgs(**values)


def run_monitoring(program, args: MonitoringArgs):
    def build():
        monitoring = Monitoring("mon", args)
        pulumi.export("topic_arn", monitoring.topic_arn)
        pulumi.export("alarm_names", monitoring.alarm_names)
        pulumi.export("dashboard_name", monitoring.dashboard_name)

    run = program(build)
    assert run.error is None, run.error
    return run


@pytest.fixture
def full_run(program, tags):
    args = monitoring_args(
        tags,
        cluster_name="unit-gpu",
        alarm_email="oncall@example.com",
        monthly_budget_usd=2500,
        budget_alert_percents=[100, 80],
        budget_scope_tag=("environment", "unit"),
        log_retention_days=14,
    )
    return run_monitoring(program, args)


def test_log_groups_have_retention_and_kms(full_run, tags):
    groups = {g.inputs["name"]: g.inputs for g in full_run.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {
        "/aws/sagemaker/Endpoints/unit-endpoint",
        "/aws/containerinsights/unit-gpu/prometheus",
    }
    for inputs in groups.values():
        assert inputs["retentionInDays"] == 14
        assert inputs["kmsKeyId"] == KEY
        assert inputs["tags"] == tags


def test_topic_is_encrypted_and_only_cloudwatch_and_budgets_publish(full_run):
    topic = full_run.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == KEY
    [statement] = full_run.statements(full_run.one("aws:sns/topicPolicy:TopicPolicy"))
    assert statement["Action"] == ["sns:Publish"]
    assert statement["Resource"] == [full_run.outputs["topic_arn"]]
    assert statement["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    subscription = full_run.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.com")


def test_every_alarm_notifies_the_topic(full_run):
    alarms = {
        a.name.removeprefix("mon-"): a.inputs
        for a in full_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert set(alarms) == {"latency", "error-rate", "gpu-memory", "failures"}
    topic = full_run.outputs["topic_arn"]
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic]
        assert alarm["okActions"] == [topic]
    assert alarms["latency"]["metricName"] == "ModelLatency"
    assert alarms["latency"]["threshold"] == 250_000
    assert alarms["gpu-memory"]["namespace"] == "/aws/sagemaker/Endpoints"
    assert alarms["gpu-memory"]["metricName"] == "GPUMemoryUtilization"
    assert alarms["gpu-memory"]["threshold"] == 90
    assert alarms["failures"]["metricName"] == "Invocation5XXErrors"
    [rate] = [query for query in alarms["error-rate"]["metricQueries"] if query.get("returnData")]
    assert rate["expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"
    assert alarms["error-rate"]["threshold"] == 1.0
    assert sorted(full_run.outputs["alarm_names"].values()) == sorted(a["name"] for a in alarms.values())


def test_dashboard_shows_endpoint_metrics_node_gpus_and_alarms(full_run):
    body = json.loads(full_run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metrics = {
        (line[0], line[1], line[-1].get("stat"))
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
        if isinstance(line[0], str)
    }
    for expected in (
        ("AWS/SageMaker", "Invocations", "Sum"),
        ("AWS/SageMaker", "ModelLatency", "p50"),
        ("AWS/SageMaker", "ModelLatency", "p99"),
        ("AWS/SageMaker", "Invocation4XXErrors", "Sum"),
        ("AWS/SageMaker", "Invocation5XXErrors", "Sum"),
        ("/aws/sagemaker/Endpoints", "GPUUtilization", "Average"),
        ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average"),
        ("/aws/sagemaker/Endpoints", "CPUUtilization", "Average"),
        ("/aws/sagemaker/Endpoints", "MemoryUtilization", "Average"),
    ):
        assert expected in metrics, expected
    assert all(w["properties"].get("region", "us-east-1") == "us-east-1" for w in body["widgets"])
    expressions = [
        line[0]["expression"]
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
        if isinstance(line[0], dict)
    ]
    assert any("DCGM_FI_DEV_GPU_UTIL" in e and 'ClusterName="unit-gpu"' in e for e in expressions)
    [alarm_widget] = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == 4


def test_budget_notifies_the_topic_and_email_at_each_percent(full_run, tags):
    budget = full_run.one("aws:budgets/budget:Budget")
    inputs = budget.inputs
    assert (inputs["budgetType"], inputs["timeUnit"], inputs["limitAmount"], inputs["limitUnit"]) == (
        "COST",
        "MONTHLY",
        "2500.00",
        "USD",
    )
    assert [n["threshold"] for n in inputs["notifications"]] == [80, 100]
    for notification in inputs["notifications"]:
        assert notification["subscriberSnsTopicArns"] == [full_run.outputs["topic_arn"]]
        assert notification["subscriberEmailAddresses"] == ["oncall@example.com"]
        assert notification["thresholdType"] == "PERCENTAGE"
    assert inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:environment$unit"]}]
    assert inputs["tags"] == tags
    assert full_run.one("aws:sns/topicPolicy:TopicPolicy").urn in budget.dependencies


def test_minimal_monitoring_has_no_email_no_gpu_panel_and_an_account_budget(program, tags):
    run = run_monitoring(program, monitoring_args(tags))
    assert run.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert len(run.of_type("aws:cloudwatch/logGroup:LogGroup")) == 1
    assert "DCGM" not in run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]
    budget = run.one("aws:budgets/budget:Budget").inputs
    assert "costFilters" not in budget
    assert all("subscriberEmailAddresses" not in n for n in budget["notifications"])


def test_invalid_args_fail_with_every_problem_before_anything_is_created(program, tags):
    args = monitoring_args(
        tags,
        log_retention_days=45,
        alarm_email="not-an-email",
        error_rate_alarm_percent=0,
        gpu_memory_alarm_percent=120,
        monthly_budget_usd=-1,
        budget_alert_percents=[50, 50],
    )
    run = program(lambda: Monitoring("mon", args))
    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for expected in (
        "log_retention_days: 45 is not a CloudWatch retention period",
        "alarm_email: 'not-an-email' is not an e-mail address",
        "error_rate_alarm_percent: must be in (0, 100] (got 0)",
        "gpu_memory_alarm_percent: must be in [1, 100] (got 120)",
        "monthly_budget_usd: must be > 0 (got -1)",
        "budget_alert_percents: thresholds must be distinct",
    ):
        assert expected in message, f"{expected!r} not in {message}"
    assert run.resources == []
