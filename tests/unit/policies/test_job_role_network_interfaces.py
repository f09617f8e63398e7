"""MY-SM-ROLE-001 on VPC jobs whose subnets the plan creates: the ENI rights must hold in that subnet's VPC.

(CrossGuard sees no resource ids, so these cases are offline only; policy_rule_cases.py holds the shared ones.)"""

from __future__ import annotations

import policy_records as r
import pytest
from policy_rule_cases import VPC_JOB, eni_statements, job_role_policy

from modelyard.policies.resources import StackResources
from modelyard.policies.rules.job_execution_roles import EXECUTION_ROLE_SERVICE_NEEDS

EC2 = f"arn:aws:ec2:us-east-1:{r.ACCOUNT}"
PRIVATE_SUBNET = r.record(
    "aws:ec2/subnet:Subnet",
    "private-a",
    {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/20"},
    resource_id="subnet-1",
)


def _run(*records: dict):
    return EXECUTION_ROLE_SERVICE_NEEDS.run(StackResources.from_records(list(records)))


def test_eni_rights_in_the_planned_subnets_vpc_pass():
    result = _run(VPC_JOB, PRIVATE_SUBNET, r.role("training"), job_role_policy(*eni_statements(vpc="vpc-1")))
    assert result.outcome == "pass"


@pytest.mark.parametrize("subnet", [PRIVATE_SUBNET, None], ids=["subnet in the plan", "subnet outside"])
def test_the_planned_subnets_vpc_beats_the_vpc_the_role_names(subnet):
    records = [VPC_JOB, r.role("training"), job_role_policy(*eni_statements(vpc="vpc-2"))]
    result = _run(*records, *([subnet] if subnet else []))

    if subnet is None:
        # Nothing in the stack says where subnet-1 is: the one VPC the role names is taken on trust.
        assert result.outcome == "pass"
        return
    assert result.outcome == "fail"
    assert [finding.message.split(", which does not allow ")[1] for finding in result.findings] == [
        f"{action} on {EC2}:network-interface/* (ec2:Vpc {EC2}:vpc/vpc-1)"
        for action in (
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
        )
    ]
