"""The SDK sends no telemetry through the platform session, unless the user's SDK config opts in."""

from __future__ import annotations

import pytest

pytest.importorskip("sagemaker")

from moto import mock_aws  # noqa: E402
from sagemaker.core.telemetry import telemetry_logging  # noqa: E402

from modelyard.pipelines.sagemaker_sdk.sdk_config import telemetry_opted_out  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.session import platform_session  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.trainer import platform_trainer  # noqa: E402

OPT_IN = "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: false\n"


def telemetry_sent(outputs, monkeypatch) -> list:
    """Telemetry events a training submission would send (recorded, never sent)."""
    sent = []
    monkeypatch.setattr(
        telemetry_logging, "_send_telemetry_request", lambda *args, **kwargs: sent.append(args)
    )
    with mock_aws():
        session = platform_session(outputs)
        trainer = platform_trainer(
            outputs, session, train_uri="s3://bucket/train.csv", validation_uri="s3://bucket/validation.csv"
        )
        trainer.train(wait=False, logs=False)
    return sent


def test_the_platform_session_opts_out(offline_aws, fixture_outputs, monkeypatch):
    assert telemetry_sent(fixture_outputs, monkeypatch) == []
    assert telemetry_opted_out(platform_session(fixture_outputs).sagemaker_config)


def test_a_user_config_opts_in(offline_aws, fixture_outputs, monkeypatch, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(OPT_IN)
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    assert not telemetry_opted_out(platform_session(fixture_outputs).sagemaker_config)
    assert len(telemetry_sent(fixture_outputs, monkeypatch)) >= 1
