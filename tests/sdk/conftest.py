"""The SDK interop suite: runs where the `sagemaker` extra is installed (`make sdk-check`), skips elsewhere, except
the proof that the default install never imports the SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.catalog.outputs import StackOutputs

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stack-outputs-dev.json"


@pytest.fixture
def fixture_outputs() -> StackOutputs:
    return StackOutputs.model_validate(json.loads(FIXTURE.read_text()))


@pytest.fixture
def offline_aws(monkeypatch):
    """Placeholder credentials, a region, no endpoint override. The SDK validates the training role with IAM's
    SimulatePrincipalPolicy, which moto does not implement (OFFLINE.md): off here, on against AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("SAGEMAKER_USER_CONFIG_OVERRIDE", raising=False)
    monkeypatch.delenv("SAGEMAKER_ADMIN_CONFIG_OVERRIDE", raising=False)
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
