"""Every rule against its fixtures, in both hosts: the offline plan and CrossGuard's validate callbacks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from policy_rule_cases import CASES, STACK, Case
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from modelyard.policies.crossguard import build_policies
from modelyard.policies.resources import StackResources
from modelyard.policies.rule import ResourceRule
from modelyard.policies.rules import RULES, RULES_BY_ID
from modelyard.policies.values import UNKNOWN

POLICIES = {policy.name: policy for policy in build_policies("prod")}
UNRELATED = {
    "urn": "urn:pulumi:test::modelyard::random:index/randomPet:RandomPet::pet",
    "type": "random:index/randomPet:RandomPet",
    "name": "pet",
    "parent": None,
    "custom": True,
    "inputs": {"length": 2},
    "dependencies": [],
    "provider": None,
}


def _names(case: Case) -> dict[str | None, str]:
    names: dict[str | None, str] = {resource["urn"]: resource["name"] for resource in case.resources}
    names[None] = STACK
    return names


def _offline(case: Case) -> tuple[str, list[tuple[str, str]]]:
    result = RULES_BY_ID[case.rule_id].run(StackResources.from_records(case.resources, case.cost))
    names = _names(case)
    return result.outcome, [(names[finding.urn], finding.message) for finding in result.findings]


def _as_expected(outcome: str, findings: list[tuple[str, str]]) -> Any:
    return outcome if outcome != "fail" else tuple(findings)


def test_every_rule_has_a_passing_and_a_failing_fixture():
    passing = {case.rule_id for case in CASES if case.expected == "pass"}
    failing = {case.rule_id for case in CASES if isinstance(case.expected, tuple)}
    registry = {rule.id for rule in RULES}
    assert passing == registry, f"rules without a passing fixture: {sorted(registry - passing)}"
    assert failing == registry, f"rules without a failing fixture: {sorted(registry - failing)}"
    assert {case.rule_id for case in CASES} <= registry


def test_the_pack_has_at_least_44_rules_with_unique_ids():
    assert len(RULES) >= 44
    assert len(RULES_BY_ID) == len(RULES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_offline_outcome_and_messages(case: Case):
    outcome, findings = _offline(case)
    assert _as_expected(outcome, findings) == case.expected


def _crossguard_props(value: Any) -> Any:
    """The offline unknown marker as CrossGuard's sentinel, so the proxy path is exercised."""
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {key: _crossguard_props(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_crossguard_props(item) for item in value]
    return value


def _options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def _providers(case: Case) -> dict[str, PolicyProviderResource]:
    return {
        resource["urn"]: PolicyProviderResource(
            resource["type"], resource["inputs"], resource["urn"], resource["name"]
        )
        for resource in case.resources
        if resource["type"].startswith("pulumi:providers:")
    }


def _provider_of(
    resource: dict, providers: dict[str, PolicyProviderResource]
) -> PolicyProviderResource | None:
    reference = resource.get("provider") or ""
    return next((provider for urn, provider in providers.items() if reference.startswith(urn)), None)


def _crossguard(case: Case) -> tuple[str, list[tuple[str, str]]]:
    policy = POLICIES[case.rule_id]
    reported: list[tuple[str | None, str]] = []
    names = _names(case)
    providers = _providers(case)
    applicable = False
    if isinstance(RULES_BY_ID[case.rule_id], ResourceRule):
        for resource in case.resources:
            args = ResourceValidationArgs(
                resource["type"],
                unknown_checking_proxy(_crossguard_props(resource["inputs"])),
                resource["urn"],
                resource["name"],
                _options(resource["parent"]),
                _provider_of(resource, providers),
            )
            before = len(reported)
            try:
                policy.validate(
                    args, lambda message, urn=None, at=resource["urn"]: reported.append((at, message))
                )
            except _NotApplicableError:
                continue
            applicable |= (
                resource["type"] in RULES_BY_ID[case.rule_id].resource_types or len(reported) > before
            )
    else:
        if case.cost is not None:
            policy = {p.name: p for p in build_policies("prod", estimate_cost=lambda records: case.cost)}[
                case.rule_id
            ]
        by_urn = {
            resource["urn"]: PolicyResource(
                resource["type"],
                unknown_checking_proxy(_crossguard_props(resource["inputs"])),
                resource["urn"],
                resource["name"],
                _options(resource["parent"]),
                _provider_of(resource, providers),
                None,
                [],
                {},
            )
            for resource in case.resources
        }
        for resource in case.resources:
            by_urn[resource["urn"]].dependencies = [by_urn[urn] for urn in resource["dependencies"]]
            by_urn[resource["urn"]].property_dependencies = {
                prop: [by_urn[urn] for urn in urns]
                for prop, urns in resource.get("property_dependencies", {}).items()
            }
        try:
            policy.validate(
                StackValidationArgs(list(by_urn.values())),
                lambda message, urn=None: reported.append((urn, message)),
            )
            applicable = True
        except _NotApplicableError:
            applicable = False
    findings = [(names[urn], message) for urn, message in reported]
    outcome = "fail" if findings else ("pass" if applicable else "not_applicable")
    return outcome, findings


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_crossguard_reports_the_same(case: Case):
    outcome, findings = _crossguard(case)
    assert _as_expected(outcome, findings) == case.expected


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_not_applicable_to_unrelated_resources(rule):
    assert rule.run(StackResources.from_records([UNRELATED])).outcome == "not_applicable"


def _unknown_leaves(value: Any, marker: Any) -> Any:
    if isinstance(value, dict):
        return {key: _unknown_leaves(item, marker) for key, item in value.items()}
    if isinstance(value, list):
        return [_unknown_leaves(item, marker) for item in value]
    return marker


def _unknown_tops(value: dict, marker: Any) -> dict:
    return {key: marker for key in value}


PASSING = [case for case in CASES if case.expected == "pass"]


@pytest.mark.parametrize("marker", [UNKNOWN, None], ids=["unknown-marker", "none"])
@pytest.mark.parametrize("blank", [_unknown_leaves, _unknown_tops], ids=["leaves", "top-level"])
@pytest.mark.parametrize("case", PASSING, ids=lambda case: case.id)
def test_unknown_values_never_crash_or_fail_a_passing_configuration(case: Case, blank, marker):
    resources = [
        copy.deepcopy(resource) | {"inputs": blank(resource["inputs"], marker)} for resource in case.resources
    ]
    result = RULES_BY_ID[case.rule_id].run(StackResources.from_records(resources, case.cost))
    assert result.outcome in ("pass", "not_applicable"), result.findings
