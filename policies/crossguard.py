"""The CrossGuard host: the registry's rules as pulumi_policy policies, with enforcement per environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from modelyard.costing import CostAssumptions, estimate_cost_or_error
from modelyard.policies.aws_api import validate_api_inputs
from modelyard.policies.aws_api.validation import RULE_ID as API_RULE_ID
from modelyard.policies.evaluation import checked_cost
from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import NotApplicable, ResourceRule, StackRule
from modelyard.policies.rules import RULES
from modelyard.policies.values import UNKNOWN

ENVIRONMENT_VARIABLE = "MODELYARD_ENVIRONMENT"
DEFAULT_ENVIRONMENT = "prod"

CostEstimator = Callable[[list[dict[str, Any]]], Mapping[str, Any] | None]

_ENFORCEMENT = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}
_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


COST_CEILING_VARIABLE = "MODELYARD_COST_CEILING_USD"


def environment_from(variables: Mapping[str, str]) -> str:
    """The environment whose enforcement levels apply: MODELYARD_ENVIRONMENT, else prod."""
    return variables.get(ENVIRONMENT_VARIABLE) or DEFAULT_ENVIRONMENT


def cost_estimator_from(variables: Mapping[str, str]) -> CostEstimator | None:
    """MY-COST-001 under CrossGuard: the cost model on the previewed resources, in AWS_REGION (or
    AWS_DEFAULT_REGION), against MODELYARD_COST_CEILING_USD; None (rule not applicable) without a ceiling."""
    ceiling = variables.get(COST_CEILING_VARIABLE)
    if not ceiling:
        return None
    region = variables.get("AWS_REGION") or variables.get("AWS_DEFAULT_REGION") or "us-east-1"
    assumptions = CostAssumptions(ceiling_usd=float(ceiling))
    return lambda records: estimate_cost_or_error(records, region, assumptions)


def plain(value: Any) -> Any:
    """CrossGuard's property proxies as plain dicts/lists, with unknown values as the offline plan writes them."""
    if isinstance(value, Mapping):
        return {key: _item(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_item(value, index) for index in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    # The proxies raise on access to a value that is not known during preview.
    try:
        return plain(container[key])
    except UnknownValueError:
        return UNKNOWN


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    return Resource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        inputs=plain(args.props),
        parent=args.opts.parent if args.opts else None,
        provider_inputs=plain(args.provider.props) if args.provider else {},
    )


def resource_from_policy_resource(resource: PolicyResource) -> Resource:
    return Resource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        inputs=plain(resource.props),
        parent=resource.parent.urn if resource.parent else None,
        dependencies=frozenset(dependency.urn for dependency in resource.dependencies),
        property_dependencies={
            key: frozenset(dependency.urn for dependency in dependencies)
            for key, dependencies in resource.property_dependencies.items()
        },
        provider_inputs=plain(resource.provider.props) if resource.provider else {},
    )


def _record(resource: Resource) -> dict[str, Any]:
    """The offline plan's record shape, which the cost model reads."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "inputs": dict(resource.inputs),
        "dependencies": sorted(resource.dependencies),
    }


def _resource_policy(rule: ResourceRule, enforcement: EnforcementLevel) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        verdict = rule.check(resource_from_args(args))
        if isinstance(verdict, NotApplicable):
            args.not_applicable(verdict.reason)
        for message in verdict:
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=enforcement,
        severity=_SEVERITY[rule.severity],
        tags=list(rule.anchors),
    )


def _stack_policy(
    rule: StackRule, enforcement: EnforcementLevel, estimate_cost: CostEstimator | None
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [resource_from_policy_resource(resource) for resource in args.resources]
        cost = None
        if rule.needs_cost and estimate_cost:
            cost = checked_cost(estimate_cost([_record(resource) for resource in resources]))
        verdict = rule.check(StackResources(resources, cost))
        if isinstance(verdict, NotApplicable):
            args.not_applicable(verdict.reason)
        for finding in verdict:
            report_violation(finding.message, finding.urn)

    return StackValidationPolicy(
        name=rule.id,
        description=rule.description,
        validate=validate,
        enforcement_level=enforcement,
        severity=_SEVERITY[rule.severity],
        tags=list(rule.anchors),
    )


def _api_policy() -> ResourceValidationPolicy:
    """The plan's AWS API validation under `pulumi preview`: each AWS resource's inputs against botocore's model of
    the request the provider sends, mandatory everywhere as in `modelyard plan`."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not args.resource_type.startswith("aws:"):
            return
        # CrossGuard validates provider resources one by one: each is a custom resource of the plan's record shape.
        record = {**_record(resource_from_args(args)), "custom": True}
        for violation in validate_api_inputs([record])["violations"]:
            report_violation(violation["message"], None)

    return ResourceValidationPolicy(
        name=API_RULE_ID,
        description="Inputs AWS's API would reject: enum, pattern, length and range from botocore's service models.",
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        tags=["botocore service-2.json"],
    )


def build_policies(
    environment: str, estimate_cost: CostEstimator | None = None
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """One CrossGuard policy per rule, named by rule id, at the environment's enforcement level, then the AWS API
    validation (mandatory).

    `estimate_cost` turns the stack's resource records into the cost dict MY-COST-001 reads
    ({"total_monthly_usd", "ceiling_usd"}); without it that rule is not applicable.
    """
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = []
    for rule in RULES:
        enforcement = _ENFORCEMENT[rule.levels.for_stack(environment)]
        if isinstance(rule, ResourceRule):
            policies.append(_resource_policy(rule, enforcement))
        else:
            policies.append(_stack_policy(rule, enforcement, estimate_cost))
    policies.append(_api_policy())
    return policies
