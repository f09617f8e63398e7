"""A step's copies of its S3 inputs (the stack outputs with their kubeconfig among them) are private to the user."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest
from moto import mock_aws

from modelyard.pipelines.definition.training_job_runner import download_prefix
from modelyard.workflow.compiler import STACK_OUTPUTS_DIR, STACK_OUTPUTS_FILE

REGION = "us-east-1"
BUCKET = "step-inputs-test"


@pytest.fixture
def s3(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def usual_umask():
    # The common default (files 0644, folders 0755), whatever the test runner's own umask is.
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_stack_outputs_copy_is_0600_in_0700_folders(s3, tmp_path, usual_umask):
    outputs = {"kubeconfig": "apiVersion: v1\nusers: [{name: admin, user: {token: secret}}]"}
    s3.put_object(Bucket=BUCKET, Key=f"pipelines/p/{STACK_OUTPUTS_FILE}", Body=json.dumps(outputs).encode())
    s3.put_object(Bucket=BUCKET, Key="pipelines/p/nested/deeper/extra.json", Body=b"{}")
    destination = tmp_path / STACK_OUTPUTS_DIR.lstrip("/")

    files = download_prefix(s3, f"s3://{BUCKET}/pipelines/p", destination)

    assert sorted(path.relative_to(destination).as_posix() for path in files) == [
        "nested/deeper/extra.json",
        STACK_OUTPUTS_FILE,
    ]
    assert json.loads((destination / STACK_OUTPUTS_FILE).read_text()) == outputs
    assert {path.name: mode(path) for path in files} == {STACK_OUTPUTS_FILE: 0o600, "extra.json": 0o600}
    for folder in (destination, destination / "nested", destination / "nested" / "deeper"):
        assert mode(folder) == 0o700, folder
