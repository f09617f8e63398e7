"""The account-quota pre-flight: what the three shipped stacks need together, checked against Service Quotas."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.quota import (
    ELASTIC_IPS,
    NAT_GATEWAYS_PER_AZ,
    VPCS,
    AccountQuota,
    QuotaError,
    check_account_quotas,
    plan_needs,
)
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program

G_ON_DEMAND = AccountQuota("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances")
G_SPOT = AccountQuota("ec2", "L-3819A6DF", "All G and VT Spot Instance Requests")
P_ON_DEMAND = AccountQuota("ec2", "L-417A185B", "Running On-Demand P instances")
STANDARD = AccountQuota(
    "ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
)
VCPUS = {"g5.xlarge": 4, "g6.xlarge": 4, "g5.2xlarge": 8, "p4d.24xlarge": 96, "m6i.large": 2}


@pytest.fixture(scope="module")
def one_account_records():
    return [
        resource.to_json()
        for stack in ("dev", "staging", "prod")
        for resource in plan_program(DEFAULT_PROGRAM_DIR, stack).resources
    ]


def test_three_stacks_need_six_elastic_ips_and_three_vpcs(one_account_records):
    needs = plan_needs(one_account_records)
    # A NAT gateway each: dev 1, staging 2 (per AZ), prod 3 (per AZ).
    assert needs.counts == {ELASTIC_IPS: 6, VPCS: 3, NAT_GATEWAYS_PER_AZ: 3}
    assert needs.instances[("g5.2xlarge", False)] == 2 + 4
    assert needs.instances[("g5.xlarge", True)] == 2
    assert needs.instances[("p4d.24xlarge", False)] == 2


def _clients():
    """Real boto3 clients (no network: every call is stubbed)."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    clients = AwsClients("us-east-1", session=session)
    ec2, service_quotas = Stubber(clients.client("ec2")), Stubber(clients.service_quotas)
    return clients, ec2, service_quotas


def _expect(clients, ec2, service_quotas, needs, quotas, elastic_ips_in_use=0, vpcs_in_use=0):
    types = sorted({instance_type for instance_type, _ in needs.instances})
    ec2.add_response(
        "describe_instance_types",
        {"InstanceTypes": [{"InstanceType": t, "VCpuInfo": {"DefaultVCpus": VCPUS[t]}} for t in types]},
        {"InstanceTypes": types},
    )
    for quota in sorted(quotas, key=lambda q: q.quota_code):
        request = {"ServiceCode": quota.service_code, "QuotaCode": quota.quota_code}
        if quota == VPCS:  # never raised: only the default exists
            service_quotas.add_client_error(
                "get_service_quota", "NoSuchResourceException", expected_params=request
            )
            service_quotas.add_response(
                "get_aws_default_service_quota", {"Quota": {"Value": quotas[quota]}}, request
            )
        else:
            service_quotas.add_response("get_service_quota", {"Quota": {"Value": quotas[quota]}}, request)
        if quota == ELASTIC_IPS:
            ec2.add_response(
                "describe_addresses",
                {"Addresses": [{"PublicIp": f"3.0.0.{i}"} for i in range(elastic_ips_in_use)]},
                {"Filters": [{"Name": "domain", "Values": ["vpc"]}]},
            )
        if quota == VPCS:
            ec2.add_response(
                "describe_vpcs", {"Vpcs": [{"VpcId": f"vpc-{i}"} for i in range(vpcs_in_use)]}, {}
            )


def test_default_quotas_refuse_three_stacks_in_one_account(one_account_records):
    needs = plan_needs(one_account_records)
    quotas = {
        ELASTIC_IPS: 5,
        VPCS: 5,
        NAT_GATEWAYS_PER_AZ: 5,
        G_ON_DEMAND: 64,
        G_SPOT: 64,
        P_ON_DEMAND: 0,
        STANDARD: 32,
    }
    clients, ec2, service_quotas = _clients()
    _expect(clients, ec2, service_quotas, needs, quotas, vpcs_in_use=1)
    with ec2, service_quotas, pytest.raises(QuotaError) as raised:
        check_account_quotas(clients, needs)
    message = str(raised.value)
    assert (
        "EC2-VPC Elastic IPs (ec2 L-0263D0A3) is 5 in us-east-1; 0 in use + 6 planned = 6. Request an increase "
        "with:\n  aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 "
        "--desired-value 6 --region us-east-1"
    ) in message
    # prod's p4d group at full size: 2 x 96 vCPUs against a P quota of 0.
    assert (
        "Running On-Demand P instances (ec2 L-417A185B) is 0 in us-east-1; 0 in use + 192 planned" in message
    )
    assert "VPCs per Region" not in message


def test_enough_quota_returns_what_was_checked(one_account_records):
    needs = plan_needs(one_account_records)
    quotas = {
        ELASTIC_IPS: 10,
        VPCS: 5,
        NAT_GATEWAYS_PER_AZ: 5,
        G_ON_DEMAND: 64,
        G_SPOT: 64,
        P_ON_DEMAND: 192,
        STANDARD: 32,
    }
    clients, ec2, service_quotas = _clients()
    _expect(clients, ec2, service_quotas, needs, quotas, elastic_ips_in_use=2)
    with ec2, service_quotas:
        checked = check_account_quotas(clients, needs)
    assert {row["quota_code"]: (row["in_use"], row["required"]) for row in checked}["L-0263D0A3"] == (2, 6)
    assert {row["quota_code"] for row in checked} == {q.quota_code for q in quotas}
