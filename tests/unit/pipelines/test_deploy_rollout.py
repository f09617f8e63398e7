"""The deploy step's UpdateEndpoint keeps the stack's blue/green policy and rollback alarms; outcomes are named."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from modelyard.pipelines.steps.deploy import (
    FAILED,
    ROLLED_BACK_BY_ALARM,
    settled_outcome,
    update_endpoint_request,
)


def test_update_endpoint_retains_the_endpoints_deployment_config_and_botocore_accepts_it():
    request = update_endpoint_request("modelyard-dev-endpoint", "modelyard-dev-endpoint-0123456789")
    # No DeploymentConfig of our own: ALL_AT_ONCE without alarms would replace the stack's canary/linear policy.
    assert request == {
        "EndpointName": "modelyard-dev-endpoint",
        "EndpointConfigName": "modelyard-dev-endpoint-0123456789",
        "RetainDeploymentConfig": True,
    }
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        # The stubber validates the request against botocore's UpdateEndpoint input shape.
        stub.add_response(
            "update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e"}, request
        )
        client.update_endpoint(**request)
        stub.assert_no_pending_responses()


def endpoint(status, config):
    return {"EndpointStatus": status, "EndpointConfigName": config}


@pytest.mark.parametrize(
    ("final", "statuses", "expected"),
    [
        (endpoint("InService", "new"), ["Updating", "InService"], None),
        # SageMaker's auto-rollback: an alarm fired during the traffic shift, the old fleet serves again.
        (endpoint("InService", "old"), ["Updating", "RollingBack", "InService"], ROLLED_BACK_BY_ALARM),
        # Back on the old config without a rollback seen: the update itself failed.
        (endpoint("InService", "old"), ["Updating", "InService"], FAILED),
        (endpoint("Failed", "new"), ["Creating", "Failed"], FAILED),
        (endpoint("Updating", "old"), ["Updating"], FAILED),
    ],
)
def test_settled_outcome(final, statuses, expected):
    assert settled_outcome(final, statuses, "new", "old") == expected
