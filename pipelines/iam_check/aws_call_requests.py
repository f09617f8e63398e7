"""The IAM authorizations AWS makes for one boto3 call: action names from the service model, resource ARNs from the
request's parameters, and the condition keys the stack's policies use.

Sources: the Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/)
names each action after its API operation under the service's IAM prefix, which is the model's `signingName`
except where the table below says otherwise; it lists the S3 operations authorized under another action
("Amazon S3 actions" in https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html),
and the extra authorizations some requests carry (iam:PassRole for a role a request names, sagemaker:AddTags for
tags on create, kms:GenerateDataKey through S3 for SSE-KMS uploads). An operation this module cannot place on a
resource is authorized against "*", which only a statement on "*" allows: the check errs towards a denial.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.policies.iam_evaluation import AuthorizationRequest

# IAM prefixes that differ from the service model's signingName.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
# Calls AWS answers without an authorization (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
UNAUTHORIZED_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "DeleteObjects": "DeleteObject",
}
_S3_BUCKET_OPERATIONS = frozenset(
    {
        "HeadBucket",
        "ListObjects",
        "ListObjectsV2",
        "ListObjectVersions",
        "GetBucketLocation",
        "ListMultipartUploads",
    }
)
_SAGEMAKER_VERBS = re.compile(r"^(Create|Describe|Delete|Update|Stop|Start|Invoke|List|Add)")
# SageMaker operations whose resource is not the `<Noun>Name` parameter the generic rule finds.
_SAGEMAKER_RESOURCE_PARAMETERS = {
    "StartPipelineExecution": ("pipeline", "PipelineName"),
    "CreateModelPackage": ("model-package-group", "ModelPackageGroupName"),
    "InvokeEndpoint": ("endpoint", "EndpointName"),
}


@dataclass(frozen=True)
class CallSite:
    """Where a call goes: the account and partition the ARNs carry, and the client's region."""

    account_id: str
    region: str
    partition: str = "aws"


def iam_prefix(service_model: Any) -> str:
    signing = service_model.signing_name or service_model.endpoint_prefix
    return _IAM_PREFIX.get(signing, signing)


def requests_for_call(
    service_model: Any, operation: str, params: Mapping[str, Any], site: CallSite
) -> list[AuthorizationRequest]:
    """Every authorization the call needs (empty for calls AWS does not authorize)."""
    prefix = iam_prefix(service_model)
    if (prefix, operation) in UNAUTHORIZED_OPERATIONS:
        return []
    if prefix == "s3":
        return _s3(operation, params, site)
    if prefix == "sagemaker":
        return _sagemaker(operation, params, site)
    if prefix == "cloudwatch" and operation == "PutMetricData":
        return [
            AuthorizationRequest(
                "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": str(params.get("Namespace", ""))}
            )
        ]
    return [AuthorizationRequest(f"{prefix}:{operation}", "*")]


def _s3(operation: str, params: Mapping[str, Any], site: CallSite) -> list[AuthorizationRequest]:
    action = f"s3:{_S3_ACTIONS.get(operation, operation)}"
    bucket = params.get("Bucket", "")
    if operation in _S3_BUCKET_OPERATIONS or "Key" not in params:
        context = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
        requests = [AuthorizationRequest(action, f"arn:{site.partition}:s3:::{bucket}", context)]
    else:
        requests = [AuthorizationRequest(action, f"arn:{site.partition}:s3:::{bucket}/{params['Key']}")]
    key_id = params.get("SSEKMSKeyId")
    if key_id and operation in ("PutObject", "CreateMultipartUpload", "CopyObject"):
        # S3 asks KMS for a data key with the caller's credentials (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).
        requests.append(
            AuthorizationRequest(
                "kms:GenerateDataKey",
                _kms_key_arn(key_id, site),
                {"kms:ViaService": f"s3.{site.region}.amazonaws.com"},
            )
        )
    return requests


def _sagemaker(operation: str, params: Mapping[str, Any], site: CallSite) -> list[AuthorizationRequest]:
    action = f"sagemaker:{operation}"

    def arn(kind: str, name: str) -> str:
        # SageMaker lowercases names in ARNs (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html).
        return f"arn:{site.partition}:sagemaker:{site.region}:{site.account_id}:{kind}/{name.lower()}"

    resources: list[str]
    if operation in _SAGEMAKER_RESOURCE_PARAMETERS:
        kind, parameter = _SAGEMAKER_RESOURCE_PARAMETERS[operation]
        resources = [arn(kind, params[parameter])]
    elif operation.startswith("List") or operation == "Search":
        resources = ["*"]
    else:
        noun = _SAGEMAKER_VERBS.sub("", operation)
        name = params.get(f"{noun}Name")
        given_arn = params.get(f"{noun}Arn") or params.get("ResourceArn")
        if isinstance(name, str) and name.startswith("arn:"):
            resources = [name]
        elif isinstance(name, str):
            resources = [arn(_kebab(noun), name)]
        elif isinstance(given_arn, str):
            resources = [given_arn]
        else:
            resources = ["*"]
    if operation in ("CreateEndpoint", "UpdateEndpoint"):
        # Both check the endpoint config they put in service as well as the endpoint.
        resources.append(arn("endpoint-config", params["EndpointConfigName"]))
    requests = [AuthorizationRequest(action, resource) for resource in resources]
    if operation.startswith("Create") and params.get("Tags"):
        requests.append(AuthorizationRequest("sagemaker:AddTags", resources[0]))
    for key in ("RoleArn", "ExecutionRoleArn"):
        if isinstance(params.get(key), str):
            requests.append(
                AuthorizationRequest(
                    "iam:PassRole", params[key], {"iam:PassedToService": "sagemaker.amazonaws.com"}
                )
            )
    return requests


def _kebab(noun: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", noun).lower()


def _kms_key_arn(key_id: str, site: CallSite) -> str:
    if key_id.startswith("arn:"):
        return key_id
    return f"arn:{site.partition}:kms:{site.region}:{site.account_id}:key/{key_id}"
