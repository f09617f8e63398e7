"""`modelyard plan --program` on raw, insecure pulumi_aws resources reports each violation by rule and URN, exit 1."""

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "insecure_program"
PREFIX = "urn:pulumi:dev::insecure-example::"


def test_each_insecure_setting_is_reported_with_rule_and_urn():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard.cli",
            "plan",
            "--program",
            str(EXAMPLE),
            "--stack",
            "dev",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    found = {
        (v["rule_id"], v["urn"])
        for v in json.loads(result.stdout)["policy"]["violations"]
        if v["enforcement"] == "mandatory"
    }
    expected = {
        (
            "MY-S3-002",
            PREFIX + "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::public-data-pab",
        ),  # public
        ("MY-S3-005", PREFIX + "aws:s3/bucket:Bucket::public-data"),  # unencrypted
        ("MY-S3-010", PREFIX + "aws:s3/bucketPolicy:BucketPolicy::public-data-policy"),  # "*" principal
        ("MY-IAM-001", PREFIX + "aws:iam/rolePolicy:RolePolicy::admin-everything"),  # "*" action
        ("MY-EKS-001", PREFIX + "aws:eks/cluster:Cluster::open-cluster"),  # world-open API endpoint
        ("MY-EKS-002", PREFIX + "aws:eks/cluster:Cluster::open-cluster"),  # no secrets encryption
        (
            "MY-SM-003",
            PREFIX + "aws:sagemaker/endpointConfiguration:EndpointConfiguration::unencrypted",
        ),  # no KMS
    }
    assert expected <= found, sorted(found)
