"""The local cloud's answers that the SDK's strict models read match AWS's documented response shapes."""

from __future__ import annotations

import botocore.session

from modelyard.pipelines.local_cloud.sagemaker_patch import capture_summary

SUMMARY = botocore.session.get_session().get_service_model("sagemaker").shape_for("DataCaptureConfigSummary")
CONFIG = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 20,
    "DestinationS3Uri": "s3://capture/capture",
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
    "CaptureOptions": [{"CaptureMode": "Input"}],
}


def test_describe_endpoint_answers_a_data_capture_summary_with_every_required_member():
    summary = capture_summary(CONFIG)
    assert set(summary) == set(SUMMARY.required_members)
    assert summary == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 20,
        "DestinationS3Uri": "s3://capture/capture",
        "KmsKeyId": CONFIG["KmsKeyId"],
    }
    assert summary["CaptureStatus"] in SUMMARY.members["CaptureStatus"].enum


def test_disabled_capture_is_stopped():
    summary = capture_summary({**CONFIG, "EnableCapture": False})
    assert (summary["EnableCapture"], summary["CaptureStatus"]) == (False, "Stopped")
