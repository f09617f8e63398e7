"""Builders for offline-plan resource records (wire-format inputs) used by the policy fixture table."""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
TAGS = {"project": "modelyard", "environment": "test", "owner": "ml-platform", "cost-center": "ml-research"}


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::modelyard::{type_}::{name}"


def record(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    depends_on: tuple[dict, ...] = (),
    provider: str | None = None,
    resource_id: str | None = None,
) -> dict[str, Any]:
    """One resource as the offline plan records it."""
    built = {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "parent": None,
        "custom": True,
        "inputs": inputs,
        "dependencies": sorted(dependency["urn"] for dependency in depends_on),
        "provider": provider,
    }
    if resource_id is not None:
        built["id"] = resource_id
    return built


def document(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


# -- S3 -------------------------------------------------------------------------------------------------------


def bucket(name: str = "data", **inputs: Any) -> dict[str, Any]:
    return record("aws:s3/bucket:Bucket", name, {"tags": TAGS, **inputs})


def public_access_block(target: dict, **overrides: Any) -> dict[str, Any]:
    flags = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    inputs = {"bucket": "<unknown>", **flags, **overrides}
    return record(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        f"{target['name']}-pab",
        {k: v for k, v in inputs.items() if v is not None},
        depends_on=(target,),
    )


def ownership_controls(target: dict, ownership: str = "BucketOwnerEnforced") -> dict[str, Any]:
    return record(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        f"{target['name']}-ownership",
        {"bucket": "<unknown>", "rule": {"objectOwnership": ownership}},
        depends_on=(target,),
    )


def encryption(
    target: dict, algorithm: str = "aws:kms", key: str | None = KEY_ARN, bucket_key: bool = True
) -> dict[str, Any]:
    default = {"sseAlgorithm": algorithm}
    if key is not None:
        default["kmsMasterKeyId"] = key
    return record(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{target['name']}-sse",
        {
            "bucket": "<unknown>",
            "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}],
        },
        depends_on=(target,),
    )


def versioning(target: dict, status: str = "Enabled") -> dict[str, Any]:
    return record(
        "aws:s3/bucketVersioning:BucketVersioning",
        f"{target['name']}-versioning",
        {"bucket": "<unknown>", "versioningConfiguration": {"status": status}},
        depends_on=(target,),
    )


def access_logging(source: dict, target: dict) -> dict[str, Any]:
    logging = record(
        "aws:s3/bucketLogging:BucketLogging",
        f"{source['name']}-logging",
        {"bucket": "<unknown>", "targetBucket": "<unknown>", "targetPrefix": f"{source['name']}/"},
        depends_on=(source, target),
    )
    # The plan records which input each dependency feeds, so source and target are told apart.
    logging["property_dependencies"] = {"bucket": [source["urn"]], "targetBucket": [target["urn"]]}
    return logging


def lifecycle(target: dict, rules: list[dict] | None = None) -> dict[str, Any]:
    default_rules = [
        {
            "id": "abort-uploads",
            "status": "Enabled",
            "filter": {},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
        {
            "id": "expire-noncurrent",
            "status": "Enabled",
            "filter": {},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
        },
    ]
    return record(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        f"{target['name']}-lifecycle",
        {"bucket": "<unknown>", "rules": default_rules if rules is None else rules},
        depends_on=(target,),
    )


TLS_ONLY_STATEMENT = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def bucket_policy(target: dict, *statements: dict) -> dict[str, Any]:
    return record(
        "aws:s3/bucketPolicy:BucketPolicy",
        f"{target['name']}-policy",
        {"bucket": "<unknown>", "policy": document(*(statements or (TLS_ONLY_STATEMENT,)))},
        depends_on=(target,),
    )


# -- ECR ------------------------------------------------------------------------------------------------------


def repository(name: str = "serving", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "name": name,
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:ecr/repository:Repository", name, {k: v for k, v in inputs.items() if v is not None})


def ecr_lifecycle(target: dict, policy: str | None = None) -> dict[str, Any]:
    keep_last = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "keep 30",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    return record(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        f"{target['name']}-lifecycle",
        {"repository": target["inputs"]["name"], "policy": keep_last if policy is None else policy},
        depends_on=(target,),
    )


# -- IAM ------------------------------------------------------------------------------------------------------

SAGEMAKER_TRUST = document(
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def role(name: str = "training", trust: str = SAGEMAKER_TRUST, **inputs: Any) -> dict[str, Any]:
    return record("aws:iam/role:Role", name, {"assumeRolePolicy": trust, "tags": TAGS, **inputs})


def role_policy(name: str, *statements: dict) -> dict[str, Any]:
    return record(
        "aws:iam/rolePolicy:RolePolicy", name, {"role": "training", "policy": document(*statements)}
    )


READ_DATA = {
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
}


# -- KMS ------------------------------------------------------------------------------------------------------

KEY_POLICY = document(
    {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)


def key(name: str = "data", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "description": "Encrypts datasets and model artifacts",
        "enableKeyRotation": True,
        "policy": KEY_POLICY,
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:kms/key:Key", name, {k: v for k, v in inputs.items() if v is not None})


# -- EKS / EC2 -----------------------------------------------------------------------------------------------


def cluster(name: str = "training", vpc_config: dict | None = None, **overrides: Any) -> dict[str, Any]:
    inputs = {
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eks",
        "version": "1.33",
        "vpcConfig": vpc_config
        or {
            "subnetIds": ["subnet-a", "subnet-b"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:eks/cluster:Cluster", name, {k: v for k, v in inputs.items() if v is not None})


def node_group(name: str = "gpu", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "clusterName": "training",
        "nodeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/nodes",
        "subnetIds": ["subnet-a"],
        "instanceTypes": ["g5.2xlarge"],
        "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
        "launchTemplate": {"id": "lt-0abc", "version": "1"},
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:eks/nodeGroup:NodeGroup", name, {k: v for k, v in inputs.items() if v is not None})


def launch_template(name: str = "gpu", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {"encrypted": "true", "volumeType": "gp3", "volumeSize": 200, "kmsKeyId": KEY_ARN},
            }
        ],
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:ec2/launchTemplate:LaunchTemplate", name, {k: v for k, v in inputs.items() if v is not None}
    )


def security_group(name: str = "endpoint", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "vpcId": "vpc-0abc",
        "description": "SageMaker endpoint ENIs",
        "ingress": [
            {
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["10.20.0.0/16"],
                "description": "HTTPS from the VPC",
            }
        ],
        "egress": [
            {
                "protocol": "-1",
                "fromPort": 0,
                "toPort": 0,
                "cidrBlocks": ["10.20.0.0/16"],
                "description": "Anything inside the VPC",
            }
        ],
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:ec2/securityGroup:SecurityGroup", name, {k: v for k, v in inputs.items() if v is not None}
    )


def ingress_rule(name: str = "https", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "securityGroupId": "sg-0abc",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": "10.20.0.0/16",
        "description": "HTTPS from the VPC",
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name,
        {k: v for k, v in inputs.items() if v is not None},
    )


def vpc(name: str = "main") -> dict[str, Any]:
    return record("aws:ec2/vpc:Vpc", name, {"cidrBlock": "10.20.0.0/16", "tags": TAGS})


def flow_log(target: dict) -> dict[str, Any]:
    return record(
        "aws:ec2/flowLog:FlowLog",
        f"{target['name']}-flow-log",
        {"vpcId": "<unknown>", "trafficType": "ALL", "logDestination": "<unknown>", "tags": TAGS},
        depends_on=(target,),
    )


# -- CloudWatch / SNS -------------------------------------------------------------------------------------------


def log_group(name: str = "endpoint", **overrides: Any) -> dict[str, Any]:
    inputs = {"retentionInDays": 30, "kmsKeyId": KEY_ARN, "tags": TAGS}
    inputs.update(overrides)
    return record(
        "aws:cloudwatch/logGroup:LogGroup", name, {k: v for k, v in inputs.items() if v is not None}
    )


def alarm(name: str = "latency", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "comparisonOperator": "GreaterThanThreshold",
        "evaluationPeriods": 3,
        "metricName": "ModelLatency",
        "namespace": "AWS/SageMaker",
        "threshold": 250000,
        "statistic": "Average",
        "period": 60,
        "alarmActions": [f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"],
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:cloudwatch/metricAlarm:MetricAlarm", name, {k: v for k, v in inputs.items() if v is not None}
    )


def topic(name: str = "alarms", **overrides: Any) -> dict[str, Any]:
    inputs = {"kmsMasterKeyId": KEY_ARN, "tags": TAGS}
    inputs.update(overrides)
    return record("aws:sns/topic:Topic", name, {k: v for k, v in inputs.items() if v is not None})


# -- SageMaker ---------------------------------------------------------------------------------------------------

SERVING_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serving:1.0.0"


def model(name: str = "model", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/inference",
        "primaryContainer": {"image": SERVING_IMAGE, "modelDataUrl": "s3://artifacts/model.tar.gz"},
        "enableNetworkIsolation": True,
        "vpcConfig": {"subnets": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-0abc"]},
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:sagemaker/model:Model", name, {k: v for k, v in inputs.items() if v is not None})


def variant(instance_type: str = "ml.g5.xlarge", count: int = 2, name: str = "primary") -> dict[str, Any]:
    return {
        "variantName": name,
        "modelName": "model",
        "instanceType": instance_type,
        "initialInstanceCount": count,
    }


def endpoint_config(
    name: str = "endpoint",
    variants: list[dict] | None = None,
    *,
    depends_on: tuple[dict, ...] = (),
    **overrides: Any,
) -> dict[str, Any]:
    inputs = {
        "productionVariants": variants if variants is not None else [variant()],
        "dataCaptureConfig": {
            "enableCapture": True,
            "initialSamplingPercentage": 20,
            "destinationS3Uri": "s3://capture/endpoint",
            "kmsKeyId": KEY_ARN,
            "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}],
        },
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        name,
        {k: v for k, v in inputs.items() if v is not None},
        depends_on=depends_on,
    )


def endpoint(name: str = "endpoint", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "endpointConfigName": "endpoint",
        "deploymentConfig": {
            "blueGreenUpdatePolicy": {
                "trafficRoutingConfiguration": {
                    "type": "CANARY",
                    "waitIntervalInSeconds": 600,
                    "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
                }
            },
            "autoRollbackConfiguration": {"alarms": [{"alarmName": "latency"}, {"alarmName": "errors"}]},
        },
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:sagemaker/endpoint:Endpoint", name, {k: v for k, v in inputs.items() if v is not None})


def scalable_target(name: str = "endpoint-scaling", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "serviceNamespace": "sagemaker",
        "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "resourceId": "endpoint/endpoint/variant/primary",
        "minCapacity": 2,
        "maxCapacity": 6,
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record(
        "aws:appautoscaling/target:Target", name, {k: v for k, v in inputs.items() if v is not None}
    )


def training_step(name: str = "train", **overrides: Any) -> dict[str, Any]:
    arguments = {
        "AlgorithmSpecification": {"TrainingImage": SERVING_IMAGE, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://artifacts/models/", "KmsKeyId": KEY_ARN},
        "ResourceConfig": {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 100},
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": True,
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/training",
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }
    arguments.update(overrides)
    return {
        "Name": name,
        "Type": "Training",
        "Arguments": {k: v for k, v in arguments.items() if v is not None},
    }


def pipeline(name: str = "training", steps: list[dict] | None = None, **overrides: Any) -> dict[str, Any]:
    definition = {
        "Version": "2020-12-01",
        "Parameters": [],
        "Steps": steps if steps is not None else [training_step()],
    }
    inputs = {
        "pipelineName": name,
        "pipelineDisplayName": name,
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline",
        "pipelineDefinition": json.dumps(definition),
        "tags": TAGS,
    }
    inputs.update(overrides)
    return record("aws:sagemaker/pipeline:Pipeline", name, {k: v for k, v in inputs.items() if v is not None})
