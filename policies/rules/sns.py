"""SNS rules: topics encrypted with a customer-managed KMS key that alarm publishers can use."""

from __future__ import annotations

from modelyard.policies.resources import Resource
from modelyard.policies.rule import MANDATORY, ResourceRule
from modelyard.policies.values import ABSENT, lookup

TOPIC_TYPES = frozenset({"aws:sns/topic:Topic"})
AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def _topic_encrypted(topic: Resource) -> list[str]:
    key = lookup(topic.inputs, "kmsMasterKeyId")
    if key is ABSENT or key == "":
        return ["kmsMasterKeyId is not set, so messages are stored unencrypted"]
    # CloudWatch (and other AWS service publishers) cannot use the AWS managed key: its policy is fixed.
    if isinstance(key, str) and key.endswith(AWS_MANAGED_SNS_KEY):
        return [
            f"kmsMasterKeyId is the AWS managed key {AWS_MANAGED_SNS_KEY}, which CloudWatch alarms cannot publish through"
        ]
    return []


TOPIC_KMS = ResourceRule(
    id="MY-SNS-001",
    description="SNS topics are encrypted with a customer-managed KMS key.",
    severity="medium",
    anchors=("CKV_AWS_26", "AwsSolutions-SNS2", "SecurityHub SNS.1"),
    levels=MANDATORY,
    resource_types=TOPIC_TYPES,
    check=_topic_encrypted,
)


RULES = (TOPIC_KMS,)
