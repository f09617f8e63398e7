"""Unmodified public Pulumi programs (tests/fixtures/foreign/) plan as `pulumi preview` would see them.

Each program's expected.yaml lists what it declares, read from its source: every resource must be recorded under
its engine URN (no more, no fewer), and every stack output must be present, known or "<unknown>".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelyard.planning.engine import plan_program
from modelyard.planning.invokes import load_invoke_fixtures
from modelyard.planning.recorder import UNKNOWN_PLACEHOLDER

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "foreign"
PROGRAMS = sorted(folder.name for folder in CORPUS.iterdir() if (folder / "expected.yaml").is_file())


def test_the_corpus_holds_at_least_fifteen_programs_with_their_source_and_licence():
    assert len(PROGRAMS) >= 15
    for name in PROGRAMS:
        source = yaml.safe_load((CORPUS / name / "SOURCE").read_text())
        assert source["repository"].startswith("https://github.com/") and len(source["commit"]) == 40
        assert "Apache License" in (CORPUS / name / "LICENSE").read_text()


@pytest.mark.parametrize("name", PROGRAMS)
def test_foreign_program_plans_every_declared_resource_and_output(name, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    folder = CORPUS / name
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    fixtures_file = folder / "invoke-fixtures.yaml"
    fixtures = load_invoke_fixtures(fixtures_file) if fixtures_file.is_file() else None

    plan = plan_program(folder, "dev", invoke_fixtures=fixtures)

    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())["name"]
    expected_urns = {
        f"urn:pulumi:dev::{project}::{urn_type}::{name}" for urn_type, name in expected["resources"]
    }
    assert {resource.urn for resource in plan.resources} == expected_urns
    public = plan.public_outputs()
    assert set(public) == set(expected["outputs"])
    assert all(value is not None for value in public.values()), public


def test_outputs_aws_computes_are_unknown_and_their_apply_does_not_run():
    # aws-py-webserver exports an instance's public IP and DNS name: AWS assigns both at creation.
    plan = plan_program(CORPUS / "aws-py-webserver", "dev")
    assert plan.public_outputs() == {"public_ip": UNKNOWN_PLACEHOLDER, "public_dns": UNKNOWN_PLACEHOLDER}


def test_a_kubernetes_status_is_unknown_so_the_programs_own_apply_does_not_crash():
    # The program's apply reads `s.load_balancer.ingress[0]`: on a None status it would raise.
    plan = plan_program(CORPUS / "kubernetes-py-jenkins", "dev")
    assert plan.public_outputs() == {"external_ip": UNKNOWN_PLACEHOLDER}
