"""The shipped dev and prod plans: every job's role allows what SageMaker does with it, and VPC-bound steps reach
every AWS API they call (the first pipeline run on AWS, checked before it happens)."""

from __future__ import annotations

import functools

import pytest

from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
from modelyard.policies.resources import StackResources
from modelyard.policies.rules.job_execution_roles import EXECUTION_ROLE_SERVICE_NEEDS
from modelyard.policies.rules.vpc_reach import VPC_ENDPOINT, VPC_STEPS_REACH_THEIR_SERVICES, endpoint_service

pytestmark = pytest.mark.timeout(300)


@functools.cache
def planned(stack: str) -> StackResources:
    return StackResources.from_records(
        [resource.to_json() for resource in plan_program(DEFAULT_PROGRAM_DIR, stack).resources]
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_job_roles_and_network_reach(stack):
    resources = planned(stack)
    assert EXECUTION_ROLE_SERVICE_NEEDS.run(resources).outcome == "pass"
    assert VPC_STEPS_REACH_THEIR_SERVICES.run(resources).outcome == "pass"
    endpoints = {endpoint_service(e.inputs["serviceName"]) for e in resources.of_types({VPC_ENDPOINT})}
    assert endpoints >= {
        "sts",
        "logs",
        "ecr.api",
        "ecr.dkr",
        "sagemaker.api",
        "monitoring",
        "sagemaker.experiments",
        "s3",
    }
