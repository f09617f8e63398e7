"""The CrossGuard host: policy names and levels match the registry, shipped config files stay in sync."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from modelyard.policies import pack_config as pack_config_module
from modelyard.policies.aws_api.validation import RULE_ID as API_RULE_ID
from modelyard.policies.crossguard import build_policies, environment_from, plain
from modelyard.policies.pack_config import config_path, pack_config, render
from modelyard.policies.rule import ENVIRONMENTS, ResourceRule
from modelyard.policies.rules import RULES
from modelyard.policies.values import UNKNOWN

PACK = Path(__file__).resolve().parents[3] / "policies"


def test_policy_names_are_the_rule_ids_in_order_then_the_api_validation():
    assert [policy.name for policy in build_policies("prod")] == [rule.id for rule in RULES] + [API_RULE_ID]


def test_policy_kind_follows_the_rule_kind():
    for rule, policy in zip(RULES, build_policies("prod")[:-1]):
        expected = ResourceValidationPolicy if isinstance(rule, ResourceRule) else StackValidationPolicy
        assert isinstance(policy, expected), rule.id
        assert policy.description == rule.description
        assert policy.severity.value == rule.severity


@pytest.mark.parametrize("environment", [*ENVIRONMENTS, "someone-elses-stack"])
def test_enforcement_levels_per_environment(environment):
    levels = {policy.name: policy.enforcement_level.value for policy in build_policies(environment)}
    assert levels == {
        **{rule.id: rule.levels.for_stack(environment) for rule in RULES},
        API_RULE_ID: "mandatory",
    }


def test_environment_comes_from_the_variable_and_defaults_to_prod():
    assert environment_from({"MODELYARD_ENVIRONMENT": "dev"}) == "dev"
    assert environment_from({}) == "prod"


@pytest.fixture(params=["imported from this checkout", "imported from another clone"])
def imported_pack(request, tmp_path, monkeypatch):
    """Where the imported `modelyard.policies` lives: this checkout, or (a venv shared between two clones)
    another clone's folder with its own config files."""
    if request.param == "imported from another clone":
        elsewhere = tmp_path / "other-clone" / "policies"
        elsewhere.mkdir(parents=True)
        for environment in ENVIRONMENTS:
            (elsewhere / f"config.{environment}.json").write_text(render(environment))
        monkeypatch.setattr(pack_config_module, "PACK_DIRECTORY", elsewhere)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_shipped_config_files_match_the_registry(environment, imported_pack):
    # Like with like: the config files beside the imported registry, wherever the venv imports it from.
    path = config_path(environment)
    assert path == pack_config_module.PACK_DIRECTORY / f"config.{environment}.json"
    assert path.read_text() == render(environment)
    assert json.loads(path.read_text()) == pack_config(environment)


def test_pack_manifest_declares_the_python_runtime():
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert (PACK / "requirements.txt").read_text().count("pulumi-policy") == 1


def test_entry_point_builds_the_pack_from_the_registry(monkeypatch):
    # Constructing the real PolicyPack serves gRPC forever; record its arguments instead.
    built = {}

    def record_pack(name, policies, **options):
        built.update(name=name, policies=policies, **options)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", record_pack)
    monkeypatch.setenv("MODELYARD_ENVIRONMENT", "dev")
    runpy.run_path(str(PACK / "__main__.py"), run_name="__main__")
    assert built["name"] == "modelyard"
    assert [policy.name for policy in built["policies"]] == [rule.id for rule in RULES] + [API_RULE_ID]
    disabled_in_dev = {rule.id for rule in RULES if rule.levels.dev == "disabled"}
    assert {
        p.name for p in built["policies"] if p.enforcement_level == EnforcementLevel.DISABLED
    } == disabled_in_dev


def test_plain_turns_preview_unknowns_into_the_offline_marker():
    props = unknown_checking_proxy(
        {
            "bucket": UNKNOWN_STRING_VALUE,
            "rules": [{"id": "a"}, UNKNOWN_STRING_VALUE],
            "tags": {"owner": "ml"},
        }
    )
    assert plain(props) == {"bucket": UNKNOWN, "rules": [{"id": "a"}, UNKNOWN], "tags": {"owner": "ml"}}


def test_crossguard_cost_estimator_reads_region_and_ceiling_from_the_environment():
    from modelyard.policies.crossguard import cost_estimator_from

    assert cost_estimator_from({}) is None
    estimate = cost_estimator_from({"MODELYARD_COST_CEILING_USD": "100", "AWS_REGION": "eu-west-1"})
    nat = {
        "urn": "urn:pulumi:prod::p::aws:ec2/natGateway:NatGateway::nat",
        "type": "aws:ec2/natGateway:NatGateway",
        "name": "nat",
        "parent": None,
        "inputs": {},
        "dependencies": [],
    }
    cost = estimate([nat])
    assert cost["region"] == "eu-west-1" and cost["ceiling_usd"] == 100.0 and cost["total_monthly_usd"] > 0
    # A region without prices keeps the ceiling on record, so MY-COST-001 fails closed under CrossGuard too.
    unpriced = cost_estimator_from({"MODELYARD_COST_CEILING_USD": "100", "AWS_REGION": "eu-central-1"})([nat])
    assert unpriced["ceiling_usd"] == 100.0 and "no prices for region 'eu-central-1'" in unpriced["error"]


def _api_findings(resource_type: str, props: dict) -> list[str]:
    [policy] = [policy for policy in build_policies("dev") if policy.name == API_RULE_ID]
    reported: list[str] = []
    args = pulumi_policy.ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(props),
        f"urn:pulumi:dev::p::{resource_type}::tracking",
        "tracking",
        None,
        None,
    )
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_crossguard_runs_the_api_validation_on_each_aws_resource():
    mlflow = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
    props = {
        "trackingServerName": "tracking",
        "artifactStoreUri": "s3://artifacts/mlflow/",
        "roleArn": "arn:aws:iam::123456789012:role/mlflow",
    }
    assert _api_findings(mlflow, {**props, "weeklyMaintenanceWindowStart": "Sun:03:00"}) == []
    [finding] = _api_findings(mlflow, {**props, "weeklyMaintenanceWindowStart": "SUN:03:00"})
    assert "weeklyMaintenanceWindowStart = 'SUN:03:00'" in finding
    assert "CreateMlflowTrackingServer" in finding
    # An unknown value (preview) is skipped, not failed.
    assert _api_findings(mlflow, {**props, "weeklyMaintenanceWindowStart": UNKNOWN_STRING_VALUE}) == []
