"""Real pulumi_aws resources under Pulumi's mocks: the rules read the property names the engine actually sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from modelyard.policies import evaluate

ACCOUNT = "123456789012"
TAGS = {"project": "modelyard", "environment": "prod", "owner": "ml-platform", "cost-center": "ml-production"}


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers every registration and keeps it in the offline plan's record shape."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id = f"{args.name}-id"
        inputs = json.loads(json.dumps(args.inputs, default=str))
        self.records.append(
            {
                "urn": f"urn:pulumi:prod::wire::{args.typ}::{args.name}",
                "type": args.typ,
                "name": args.name,
                "parent": None,
                "custom": True,
                "inputs": inputs,
                "dependencies": [],
                "provider": None,
                "id": resource_id,
            }
        )
        return resource_id, {
            **args.inputs,
            "arn": f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:us-east-1:{ACCOUNT}:{args.name}",
            "name": args.inputs.get("name", args.name),
        }

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def _plan(program) -> list[dict[str, Any]]:
    # Pulumi's test runtime needs a current event loop; an earlier asyncio.run() in the session clears it.
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="wire", stack="prod", preview=False)

    @pulumi.runtime.test
    def run():
        return pulumi.Output.all(*[resource.urn for resource in program()])

    run()
    return mocks.records


def _statement_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _secure_program() -> list[pulumi.Resource]:
    key = aws.kms.Key(
        "data",
        description="Encrypts datasets and models",
        enable_key_rotation=True,
        tags=TAGS,
        policy=_statement_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
    )
    logs = aws.s3.Bucket("logs", tags=TAGS)
    data = aws.s3.Bucket("data", tags=TAGS)
    resources: list[pulumi.Resource] = [key, logs, data]
    for bucket in (logs, data):
        name = bucket._name
        resources += [
            aws.s3.BucketPublicAccessBlock(
                f"{name}-pab",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            aws.s3.BucketOwnershipControls(
                f"{name}-ownership",
                bucket=bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            ),
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-sse",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        # S3 delivers access logs only to an SSE-S3 bucket; everything else uses the customer key.
                        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="AES256" if bucket is logs else "aws:kms",
                            kms_master_key_id=None if bucket is logs else key.arn,
                        ),
                        bucket_key_enabled=True,
                    )
                ],
            ),
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            ),
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-lifecycle",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketLifecycleConfigurationRuleArgs(
                        id="abort",
                        status="Enabled",
                        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=7
                        ),
                    )
                ],
            ),
            aws.s3.BucketPolicy(
                f"{name}-policy",
                bucket=bucket.id,
                policy=_statement_document(
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ),
            ),
        ]
    resources.append(
        aws.s3.BucketLogging("data-logging", bucket=data.id, target_bucket=logs.id, target_prefix="data/")
    )
    repository = aws.ecr.Repository(
        "serving",
        name="serving",
        image_tag_mutability="IMMUTABLE",
        tags=TAGS,
        image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
        encryption_configurations=[
            aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key.arn)
        ],
    )
    resources += [
        repository,
        aws.ecr.LifecyclePolicy(
            "serving-lifecycle",
            repository=repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": 30,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            ),
        ),
    ]
    role = aws.iam.Role(
        "inference",
        tags=TAGS,
        assume_role_policy=_statement_document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    resources += [
        role,
        aws.iam.RolePolicy(
            "inference-pull",
            role=role.name,
            policy=_statement_document(
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": ["ecr:BatchGetImage"],
                    "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/serving",
                },
            ),
        ),
    ]
    resources.append(
        aws.eks.Cluster(
            "training",
            role_arn=role.arn,
            version="1.35",
            tags=TAGS,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=["subnet-a", "subnet-b"],
                endpoint_private_access=True,
                endpoint_public_access=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
        )
    )
    resources.append(
        aws.ec2.LaunchTemplate(
            "gpu",
            tags=TAGS,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_tokens="required", http_put_response_hop_limit=1, http_endpoint="enabled"
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true", volume_type="gp3", volume_size=200, kms_key_id=key.arn
                    ),
                )
            ],
        )
    )
    resources.append(
        aws.ec2.SecurityGroup(
            "endpoint",
            vpc_id="vpc-0abc",
            description="SageMaker endpoint ENIs",
            tags=TAGS,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["10.40.0.0/16"],
                    description="HTTPS from the VPC",
                )
            ],
        )
    )
    topic = aws.sns.Topic("alarms", kms_master_key_id=key.arn, tags=TAGS)
    resources += [
        topic,
        aws.cloudwatch.LogGroup("endpoint", retention_in_days=30, kms_key_id=key.arn, tags=TAGS),
        aws.cloudwatch.MetricAlarm(
            "latency",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=3,
            metric_name="ModelLatency",
            namespace="AWS/SageMaker",
            period=60,
            statistic="Average",
            threshold=250000,
            alarm_actions=[topic.arn],
            tags=TAGS,
        ),
    ]
    model = aws.sagemaker.Model(
        "model",
        execution_role_arn=role.arn,
        enable_network_isolation=True,
        tags=TAGS,
        primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
            image=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serving@sha256:" + "0" * 64,
            model_data_url="s3://data/model.tar.gz",
        ),
        vpc_config=aws.sagemaker.ModelVpcConfigArgs(
            subnets=["subnet-a", "subnet-b"], security_group_ids=["sg-0abc"]
        ),
    )
    config = aws.sagemaker.EndpointConfiguration(
        "endpoint",
        tags=TAGS,
        production_variants=[
            aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                variant_name="primary",
                model_name=model.name,
                instance_type="ml.g5.xlarge",
                initial_instance_count=2,
            )
        ],
        data_capture_config=aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
            enable_capture=True,
            initial_sampling_percentage=20,
            destination_s3_uri=data.id.apply(lambda i: f"s3://{i}/capture"),
            kms_key_id=key.arn,
            capture_options=[
                aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Input")
            ],
        ),
    )
    resources += [
        model,
        config,
        aws.sagemaker.Endpoint(
            "endpoint",
            endpoint_config_name=config.name,
            tags=TAGS,
            deployment_config=aws.sagemaker.EndpointDeploymentConfigArgs(
                blue_green_update_policy=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs(
                    traffic_routing_configuration=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs(
                        type="ALL_AT_ONCE", wait_interval_in_seconds=300
                    )
                ),
                auto_rollback_configuration=aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationArgs(
                    alarms=[
                        aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs(
                            alarm_name="latency"
                        )
                    ]
                ),
            ),
        ),
    ]
    resources.append(
        aws.appautoscaling.Target(
            "endpoint-scaling",
            service_namespace="sagemaker",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            resource_id="endpoint/endpoint/variant/primary",
            min_capacity=2,
            max_capacity=6,
            tags=TAGS,
        )
    )
    return resources


def _insecure_program() -> list[pulumi.Resource]:
    return [
        aws.s3.Bucket("public", acl="public-read"),
        aws.ecr.Repository("mutable", image_tag_mutability="MUTABLE"),
        aws.iam.Policy(
            "admin", policy=_statement_document({"Effect": "Allow", "Action": "*", "Resource": "*"})
        ),
        aws.eks.Cluster(
            "open",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-a"], endpoint_public_access=True),
        ),
        aws.sagemaker.EndpointConfiguration(
            "cpu",
            production_variants=[
                aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                    variant_name="primary",
                    model_name="model",
                    instance_type="ml.m5.large",
                    initial_instance_count=1,
                )
            ],
        ),
    ]


@pytest.fixture(scope="module")
def secure_records():
    return _plan(_secure_program)


def test_secure_program_has_no_violations(secure_records):
    report = evaluate(secure_records, "prod")
    assert report["violations"] == []
    assert report["results"]["fail"] == 0
    # Most of the pack actually judged something (rather than finding nothing to look at).
    assert report["results"]["pass"] >= 40


def test_insecure_program_is_reported_by_rule_and_urn():
    records = _plan(_insecure_program)
    report = evaluate(records, "prod")
    found = {(violation["rule_id"], violation["name"]) for violation in report["violations"]}
    assert {
        ("MY-S3-001", "public"),
        ("MY-S3-004", "public"),
        ("MY-S3-005", "public"),
        ("MY-ECR-001", "mutable"),
        ("MY-ECR-002", "mutable"),
        ("MY-ECR-003", "mutable"),
        ("MY-IAM-001", "admin"),
        ("MY-IAM-003", "admin"),
        ("MY-EKS-001", "open"),
        ("MY-EKS-002", "open"),
        ("MY-EKS-004", "open"),
        ("MY-SM-003", "cpu"),
        ("MY-SM-006", "cpu"),
        ("MY-TAG-001", "public"),
    } <= found
    assert all(violation["urn"].endswith(f"::{violation['name']}") for violation in report["violations"])
