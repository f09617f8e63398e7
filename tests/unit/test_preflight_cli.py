"""`modelyard preflight`: plans every named stack, checks their quotas together, exit 0 / 1 short / 2 bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from modelyard.cli import app
from modelyard.pipelines import quota
from modelyard.planning import engine


class _Plan:
    def __init__(self, region: str):
        self.region = region
        self.resources = []


@pytest.fixture
def planned(monkeypatch):
    regions = {"dev": "us-east-1", "staging": "us-east-1", "prod": "eu-west-1"}
    monkeypatch.setattr(engine, "plan_program", lambda program_dir, stack: _Plan(regions[stack]))


def test_enough_quota_lists_what_was_checked(planned, monkeypatch):
    row = {
        "quota_name": "EC2-VPC Elastic IPs",
        "quota_code": "L-0263D0A3",
        "value": 10.0,
        "in_use": 1,
        "required": 3,
    }
    monkeypatch.setattr(quota, "check_account_quotas", lambda clients, needs: [row])
    result = CliRunner().invoke(app, ["preflight", "--stack", "dev", "--stack", "staging"])
    assert result.exit_code == 0, result.output
    assert "EC2-VPC Elastic IPs (L-0263D0A3): 1 in use + 3 planned <= 10" in result.output


def test_a_short_quota_exits_1_with_the_increase_command(planned, monkeypatch):
    def short(clients, needs):
        raise quota.QuotaError("not enough quota for the plan:\nEC2-VPC Elastic IPs ... --desired-value 6")

    monkeypatch.setattr(quota, "check_account_quotas", short)
    result = CliRunner().invoke(app, ["preflight", "-s", "dev", "-s", "staging"])
    assert result.exit_code == 1
    assert "--desired-value 6" in result.output


def test_stacks_in_several_regions_are_bad_input(planned):
    result = CliRunner().invoke(app, ["preflight", "-s", "dev", "-s", "prod"])
    assert result.exit_code == 2
    assert "several regions (eu-west-1, us-east-1)" in result.output
