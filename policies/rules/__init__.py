"""The registry: every rule of the pack, in a stable order, by id."""

from __future__ import annotations

from modelyard.policies.rule import ResourceRule, StackRule
from modelyard.policies.rules import (
    account_singletons,
    autoscaling_key_access,
    cloudwatch,
    cost,
    ec2,
    ecr,
    eks,
    eks_standard_support,
    iam,
    images_pinned,
    job_execution_roles,
    kms,
    kubernetes_api_reachable,
    role_policies_first,
    s3,
    sagemaker,
    sns,
    tagging,
    vpc_reach,
)

RULES: tuple[ResourceRule | StackRule, ...] = (
    *s3.RULES,
    *ecr.RULES,
    *iam.RULES,
    *kms.RULES,
    *eks.RULES,
    *ec2.RULES,
    *cloudwatch.RULES,
    *sns.RULES,
    *sagemaker.RULES,
    *job_execution_roles.RULES,
    *vpc_reach.RULES,
    *tagging.RULES,
    *cost.RULES,
    *eks_standard_support.RULES,
    *images_pinned.RULES,
    *autoscaling_key_access.RULES,
    *role_policies_first.RULES,
    *kubernetes_api_reachable.RULES,
    *account_singletons.RULES,
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
if len(RULES_BY_ID) != len(RULES):
    duplicated = sorted({rule.id for rule in RULES if sum(other.id == rule.id for other in RULES) > 1})
    raise RuntimeError(f"duplicate policy rule ids: {', '.join(duplicated)}")
