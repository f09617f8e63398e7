"""Creates, in the local cloud, the resources a stack's outputs name and the pipelines consume."""

from __future__ import annotations

import json
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import AwsClients

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["sagemaker.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


# Tag on the local data key naming the key ARN the plan (and its IAM policies) use.
STACK_KEY_TAG = "modelyard:stack-key-arn"


def seed_stack_resources(
    clients: AwsClients, outputs: StackOutputs, training_quota: int, endpoint_quota: int
) -> StackOutputs:
    """Buckets (versioned, KMS-encrypted, private), the data key, IAM roles, ECR repositories, the model package
    group, the alarm topic, and the GPU quotas the stack needs. Returns the outputs with the data key's ARN as
    the local cloud issued it (KMS chooses key ids; every other name is taken from the outputs as is)."""
    key_arn = _data_key(clients, outputs)
    for bucket in (
        outputs.data_bucket,
        outputs.artifact_bucket,
        outputs.capture_bucket,
        outputs.access_logs_bucket,
    ):
        _bucket(clients, outputs.region, bucket, key_arn)
    for role_arn in {
        outputs.sagemaker_training_role_arn,
        outputs.sagemaker_execution_role_arn,
        outputs.pipeline_role_arn,
        outputs.ci_role_arn,
    }:
        _role(clients, role_arn)
    for repository_url in (outputs.training_repository_url, outputs.serving_repository_url):
        _repository(clients, repository_url)
    clients.sagemaker.create_model_package_group(
        ModelPackageGroupName=outputs.model_package_group_name,
        ModelPackageGroupDescription=f"Models of the {outputs.environment} stack",
    )
    clients.client("sns").create_topic(Name=outputs.alarm_topic_arn.rsplit(":", 1)[1])
    _raise_quota(clients, f"{outputs.training_instance_type} for training job usage", training_quota)
    _raise_quota(clients, f"{outputs.inference_instance_type} for endpoint usage", endpoint_quota)
    return outputs.model_copy(update={"data_key_arn": key_arn})


def _data_key(clients: AwsClients, outputs: StackOutputs) -> str:
    kms = clients.client("kms")
    key = kms.create_key(
        Description=f"Data key of the {outputs.environment} stack (local cloud)",
        Tags=[{"TagKey": STACK_KEY_TAG, "TagValue": outputs.data_key_arn}],
    )
    kms.enable_key_rotation(KeyId=key["KeyMetadata"]["KeyId"])
    return key["KeyMetadata"]["Arn"]


def _bucket(clients: AwsClients, region: str, name: str, key_arn: str) -> None:
    s3 = clients.s3
    options: dict[str, Any] = {}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, **options)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _role(clients: AwsClients, role_arn: str) -> None:
    # arn:aws:iam::<account>:role/<path/>name
    resource = role_arn.split(":", 5)[5].removeprefix("role/")
    path, _, name = resource.rpartition("/")
    clients.client("iam").create_role(
        RoleName=name, Path=f"/{path}/" if path else "/", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY)
    )


def _repository(clients: AwsClients, repository_url: str) -> None:
    # <account>.dkr.ecr.<region>.amazonaws.com/<name>
    name = repository_url.split("/", 1)[1]
    clients.client("ecr").create_repository(
        repositoryName=name, imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True}
    )


def _raise_quota(clients: AwsClients, quota_name: str, value: int) -> None:
    quotas = clients.service_quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    code = next((quota["QuotaCode"] for quota in quotas if quota["QuotaName"] == quota_name), None)
    if code is None:
        # Not a GPU instance type: SageMaker's CPU quotas are not stubbed and the pre-flight skips them.
        return
    clients.service_quotas.request_service_quota_increase(
        ServiceCode="sagemaker", QuotaCode=code, DesiredValue=value
    )
