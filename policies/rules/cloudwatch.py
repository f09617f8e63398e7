"""CloudWatch rules: log groups encrypted with KMS and with a retention period; alarms that notify someone."""

from __future__ import annotations

from modelyard.policies.resources import Resource
from modelyard.policies.rule import MANDATORY, ResourceRule
from modelyard.policies.values import UNKNOWN, is_set, items_of, lookup, number, shown

LOG_GROUP_TYPES = frozenset({"aws:cloudwatch/logGroup:LogGroup"})
METRIC_ALARM_TYPES = frozenset({"aws:cloudwatch/metricAlarm:MetricAlarm"})


def _log_group_encrypted(log_group: Resource) -> list[str]:
    if is_set(lookup(log_group.inputs, "kmsKeyId")):
        return []
    return ["kmsKeyId is not set, so log events are encrypted only with a CloudWatch-owned key"]


LOG_GROUP_KMS = ResourceRule(
    id="MY-CW-001",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity="medium",
    anchors=("CKV_AWS_158",),
    levels=MANDATORY,
    resource_types=LOG_GROUP_TYPES,
    check=_log_group_encrypted,
)


def _log_group_expires(log_group: Resource) -> list[str]:
    retention = lookup(log_group.inputs, "retentionInDays")
    days = number(retention)
    if retention == UNKNOWN or (days is not None and days > 0):
        return []
    return [f"retentionInDays is {shown(retention)}, so log events are kept (and billed) forever"]


LOG_GROUP_RETENTION = ResourceRule(
    id="MY-CW-002",
    description="CloudWatch log groups set a retention period.",
    severity="low",
    anchors=("CKV_AWS_66",),
    levels=MANDATORY,
    resource_types=LOG_GROUP_TYPES,
    check=_log_group_expires,
)


def _alarm_has_actions(alarm: Resource) -> list[str]:
    problems = []
    if lookup(alarm.inputs, "actionsEnabled") is False:
        problems.append("actionsEnabled is false, so the alarm notifies no one")
    actions = lookup(alarm.inputs, "alarmActions")
    if actions != UNKNOWN and not items_of(actions):
        problems.append("alarmActions is empty, so the alarm notifies no one")
    return problems


ALARM_ACTIONS = ResourceRule(
    id="MY-CW-003",
    description="CloudWatch alarms have enabled alarm actions.",
    severity="medium",
    anchors=("SecurityHub CloudWatch.15", "CKV_AWS_319"),
    levels=MANDATORY,
    resource_types=METRIC_ALARM_TYPES,
    check=_alarm_has_actions,
)


RULES = (LOG_GROUP_KMS, LOG_GROUP_RETENTION, ALARM_ACTIONS)
