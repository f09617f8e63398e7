"""Pass and fail fixtures per resource type of the shipped stacks, judged by botocore's API models."""

import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from modelyard.planning.assessment import assess
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
from modelyard.policies.aws_api import validate_api_inputs

# (type, input path, bad value, the constraint it breaks, the request member that carries it)
FAILING_INPUTS = [
    ("aws:appautoscaling/policy:Policy", ("policyType",), "TargetTracking", "enum", "PolicyType"),
    (
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        ("name",),
        "scale-down/weekdays",
        "pattern",
        "ScheduledActionName",
    ),
    ("aws:appautoscaling/target:Target", ("serviceNamespace",), "SageMaker", "enum", "ServiceNamespace"),
    ("aws:budgets/budget:Budget", ("timeUnit",), "MONTH", "enum", "Budget.TimeUnit"),
    ("aws:cloudwatch/eventRule:EventRule", ("description",), "x" * 513, "max", "Description"),
    ("aws:cloudwatch/eventTarget:EventTarget", ("rule",), "drift rule", "pattern", "Rule"),
    ("aws:cloudwatch/logGroup:LogGroup", ("name",), "/modelyard/flow logs", "pattern", "logGroupName"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", ("evaluationPeriods",), 0, "min", "EvaluationPeriods"),
    ("aws:ec2/eip:Eip", ("domain",), "VPC", "enum", "Domain"),
    ("aws:ec2/flowLog:FlowLog", ("trafficType",), "EVERYTHING", "enum", "TrafficType"),
    (
        "aws:ec2/launchTemplate:LaunchTemplate",
        ("metadataOptions", "httpTokens"),
        "require",
        "enum",
        "LaunchTemplateData.MetadataOptions.HttpTokens",
    ),
    ("aws:ec2/natGateway:NatGateway", ("connectivityType",), "Public", "enum", "ConnectivityType"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", ("vpcEndpointType",), "gateway", "enum", "VpcEndpointType"),
    ("aws:ecr/lifecyclePolicy:LifecyclePolicy", ("policy",), '{"rules": []}', "min", "lifecyclePolicyText"),
    ("aws:ecr/repository:Repository", ("name",), "Modelyard-Training", "pattern", "repositoryName"),
    ("aws:eks/addon:Addon", ("resolveConflictsOnCreate",), "REPLACE", "enum", "resolveConflicts"),
    ("aws:eks/addon:Addon", ("resolveConflictsOnUpdate",), "KEEP", "enum", "resolveConflicts"),
    ("aws:eks/cluster:Cluster", ("name",), "-gpu", "pattern", "name"),
    ("aws:eks/nodeGroup:NodeGroup", ("capacityType",), "ONDEMAND", "enum", "capacityType"),
    (
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        ("tags", "owner"),
        "x" * 257,
        "max",
        "tags.<value>",
    ),
    (
        "aws:iam/serviceLinkedRole:ServiceLinkedRole",
        ("awsServiceName",),
        "autoscaling amazonaws com",
        "pattern",
        "AWSServiceName",
    ),
    ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", ("url",), "https://" + "a" * 260, "max", "Url"),
    ("aws:iam/role:Role", ("maxSessionDuration",), 60, "min", "MaxSessionDuration"),
    ("aws:iam/rolePolicy:RolePolicy", ("role",), "training role", "pattern", "RoleName"),
    (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        ("policyArn",),
        "arn:aws:iam::policy",
        "min",
        "PolicyArn",
    ),
    ("aws:kms/alias:Alias", ("name",), "alias/modelyard data", "pattern", "AliasName"),
    ("aws:kms/key:Key", ("rotationPeriodInDays",), 30, "min", "RotationPeriodInDays"),
    ("aws:lambda/function:Function", ("memorySize",), 64, "min", "MemorySize"),
    ("aws:s3/bucket:Bucket", ("tags", ""), "orphan", "min", "CreateBucketConfiguration.Tags[].Key"),
    (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        ("rules", 0, "status"),
        "enabled",
        "enum",
        "LifecycleConfiguration.Rules[].Status",
    ),
    (
        "aws:s3/bucketObjectv2:BucketObjectv2",
        ("serverSideEncryption",),
        "kms",
        "enum",
        "ServerSideEncryption",
    ),
    (
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        ("rule", "objectOwnership"),
        "BucketOwner",
        "enum",
        "OwnershipControls.Rules[].ObjectOwnership",
    ),
    (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ("rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"),
        "AES-256",
        "enum",
        "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.SSEAlgorithm",
    ),
    (
        "aws:s3/bucketVersioning:BucketVersioning",
        ("versioningConfiguration", "status"),
        "On",
        "enum",
        "VersioningConfiguration.Status",
    ),
    ("aws:sagemaker/endpoint:Endpoint", ("name",), "modelyard_prod_endpoint", "pattern", "EndpointName"),
    (
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        ("productionVariants", 0, "instanceType"),
        "g5.xlarge",
        "enum",
        "ProductionVariants[].InstanceType",
    ),
    # The shipped stacks had this one (issue 14): the API wants a title-case day.
    (
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        ("weeklyMaintenanceWindowStart",),
        "SUN:03:00",
        "pattern",
        "WeeklyMaintenanceWindowStart",
    ),
    ("aws:sagemaker/model:Model", ("name",), "serving.v1", "pattern", "ModelName"),
    (
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        ("modelPackageGroupName",),
        "models_v1",
        "pattern",
        "ModelPackageGroupName",
    ),
    (
        "aws:sagemaker/pipeline:Pipeline",
        ("pipelineName",),
        "modelyard prod training",
        "pattern",
        "PipelineName",
    ),
    (
        "aws:scheduler/schedule:Schedule",
        ("flexibleTimeWindow", "mode"),
        "ON",
        "enum",
        "FlexibleTimeWindow.Mode",
    ),
    ("aws:sns/topic:Topic", ("tags", "owner"), "x" * 257, "max", "Tags[].Value"),
]

# Types whose inputs in the shipped stacks map to members without any constraint in botocore's models (EC2's
# model constrains almost nothing; bucket names, policies and subscriptions are free strings to the API). A
# fixture cannot fail them; the test below checks that this list stays true.
NO_CONSTRAINED_INPUT = {
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketNotification:BucketNotification",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
}


# The baselines the failing fixtures change: one recorded resource per AWS type of the shipped stacks.
SHIPPED_RECORDS = {
    record["type"]: record
    for record in json.loads((Path(__file__).parent / "shipped_records.json").read_text())["records"]
}
# Types a stack creates only in some accounts (the Auto Scaling service-linked role, where it is missing), as
# the component records them.
SHIPPED_RECORDS.setdefault(
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    {
        "urn": "urn:pulumi:dev::modelyard::aws:iam/serviceLinkedRole:ServiceLinkedRole::modelyard-dev-autoscaling-role",
        "type": "aws:iam/serviceLinkedRole:ServiceLinkedRole",
        "name": "modelyard-dev-autoscaling-role",
        "custom": True,
        "inputs": {"awsServiceName": "autoscaling.amazonaws.com"},
    },
)


def _with_value(record: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(record)
    target = changed["inputs"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("token", "path", "bad", "constraint", "member"),
    FAILING_INPUTS,
    ids=[f"{row[0].rsplit(':', 1)[1]}-{row[1][-1] or 'key'}" for row in FAILING_INPUTS],
)
def test_each_type_passes_as_shipped_and_fails_with_a_bad_value(token, path, bad, constraint, member):
    baseline = SHIPPED_RECORDS[token]
    assert validate_api_inputs([baseline])["violations"] == []

    [violation] = validate_api_inputs([_with_value(baseline, path, bad)])["violations"]
    assert (violation["constraint"], violation["member"]) == (constraint, member)
    assert violation["urn"] == baseline["urn"]
    # A tag key is judged as the key itself (the API's Tags[].Key), not the value it labels.
    assert violation["value"] == (path[-1] if member.endswith("Key") else bad)
    assert member in violation["message"] and violation["operation"] in violation["message"]


def test_the_fixture_table_and_the_unconstrained_list_are_disjoint_and_true():
    assert not {row[0] for row in FAILING_INPUTS} & NO_CONSTRAINED_INPUT
    report = validate_api_inputs([SHIPPED_RECORDS[token] for token in NO_CONSTRAINED_INPUT])
    assert all(report["types"][token]["constrained_fields"] == [] for token in NO_CONSTRAINED_INPUT)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_have_no_api_violation_and_every_type_has_its_fixtures(stack):
    plan = assess(plan_program(DEFAULT_PROGRAM_DIR, stack))
    report = plan.api_validation
    assert report["violations"] == []
    assert report["unmapped_types"] == {}
    assert report["values_checked"] > 1000
    with_fixture = {row[0] for row in FAILING_INPUTS}
    for token, coverage in report["types"].items():
        # A type whose inputs meet a constraint needs a failing fixture; one whose inputs meet none is listed.
        assert token in (with_fixture if coverage["constrained_fields"] else NO_CONSTRAINED_INPUT), token
    assert [v for v in plan.policy["violations"] if v["rule_id"] == "aws-api-constraints"] == []
    assert plan.to_json()["api_validation"] == report


def test_plan_cli_fails_a_program_with_a_value_the_api_rejects(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: mlflow-window\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            """
        import pulumi_aws as aws

        aws.sagemaker.MlflowTrackingServer(
            "tracking",
            tracking_server_name="tracking",
            artifact_store_uri="s3://artifacts/mlflow/",
            role_arn="arn:aws:iam::123456789012:role/mlflow",
            weekly_maintenance_window_start="SUN:03:00",
        )
        """
        )
    )
    command = [sys.executable, "-m", "modelyard.cli", "plan", "--program", str(tmp_path), "--stack", "dev"]
    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300)
    assert as_json.returncode == 1, as_json.stderr
    document = json.loads(as_json.stdout)
    [violation] = document["api_validation"]["violations"]
    assert violation["field"] == "weeklyMaintenanceWindowStart"
    assert (violation["service"], violation["operation"], violation["member"]) == (
        "sagemaker",
        "CreateMlflowTrackingServer",
        "WeeklyMaintenanceWindowStart",
    )
    assert "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)" in violation["message"]
    [policy_row] = [v for v in document["policy"]["violations"] if v["rule_id"] == "aws-api-constraints"]
    assert policy_row["enforcement"] == "mandatory" and policy_row["urn"] == violation["urn"]

    as_text = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert as_text.returncode == 1
    assert "aws-api-constraints" in as_text.stdout
    assert "AWS API validation (botocore" in as_text.stdout and "1 violations" in as_text.stdout
