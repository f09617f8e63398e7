"""The local run's IAM check without a cloud: call -> authorizations, the guard on a boto3 client, MLflow calls,
the plan's role policies and the unused-permission report."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from modelyard.pipelines.iam_check import mlflow_calls
from modelyard.pipelines.iam_check.aws_call_requests import CallSite, requests_for_call
from modelyard.pipelines.iam_check.guard import IamGuard, StepIdentity, acting_as, attach
from modelyard.pipelines.iam_check.local_check import IamCheckError, LocalIamCheck
from modelyard.pipelines.iam_check.role_policies import RolePolicies, RolePoliciesError
from modelyard.policies.iam_evaluation import AuthorizationRequest, NamedPolicy

ACCOUNT, REGION = "123456789012", "us-east-1"
SITE = CallSite(ACCOUNT, REGION)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-1a2b"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/local-key"
PLANNED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/planned-key"
TRACKING = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:mlflow-tracking-server/stack-mlflow"


def model(service):
    return boto3.client(
        service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    ).meta.service_model


def pairs(requests):
    return [(r.action, r.resource, dict(r.context)) for r in requests]


def test_s3_operations_map_to_their_iam_actions_and_object_or_bucket_arns():
    s3 = model("s3")
    assert pairs(requests_for_call(s3, "HeadObject", {"Bucket": "b", "Key": "a/m.json"}, SITE)) == [
        ("s3:GetObject", "arn:aws:s3:::b/a/m.json", {})
    ]
    assert pairs(requests_for_call(s3, "ListObjectsV2", {"Bucket": "b", "Prefix": "a/"}, SITE)) == [
        ("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "a/"})
    ]
    # An SSE-KMS upload also has S3 ask KMS for a data key with the caller's credentials.
    assert pairs(
        requests_for_call(s3, "PutObject", {"Bucket": "b", "Key": "k", "SSEKMSKeyId": KEY}, SITE)
    ) == [
        ("s3:PutObject", "arn:aws:s3:::b/k", {}),
        ("kms:GenerateDataKey", KEY, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}),
    ]


def test_sagemaker_operations_name_their_resources_and_passed_roles():
    sagemaker = model("sagemaker")
    endpoint = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/my-endpoint"
    assert pairs(
        requests_for_call(
            sagemaker,
            "UpdateEndpoint",
            {"EndpointName": "My-Endpoint", "EndpointConfigName": "Cfg", "RetainDeploymentConfig": True},
            SITE,
        )
    ) == [
        ("sagemaker:UpdateEndpoint", endpoint, {}),
        ("sagemaker:UpdateEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/cfg", {}),
    ]
    assert pairs(
        requests_for_call(
            sagemaker,
            "CreateModel",
            {"ModelName": "m", "ExecutionRoleArn": ROLE, "Tags": [{"Key": "k", "Value": "v"}]},
            SITE,
        )
    ) == [
        ("sagemaker:CreateModel", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m", {}),
        ("sagemaker:AddTags", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m", {}),
        ("iam:PassRole", ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ]
    assert pairs(requests_for_call(sagemaker, "ListModelPackages", {"ModelPackageGroupName": "g"}, SITE)) == [
        ("sagemaker:ListModelPackages", "*", {})
    ]
    assert pairs(
        requests_for_call(model("sagemaker-runtime"), "InvokeEndpoint", {"EndpointName": "My-Endpoint"}, SITE)
    ) == [("sagemaker:InvokeEndpoint", endpoint, {})]


def test_cloudwatch_uses_its_iam_prefix_and_namespace_and_unmapped_calls_need_star():
    assert pairs(
        requests_for_call(model("cloudwatch"), "PutMetricData", {"Namespace": "Modelyard/Drift"}, SITE)
    ) == [("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "Modelyard/Drift"})]
    assert pairs(
        requests_for_call(model("service-quotas"), "ListServiceQuotas", {"ServiceCode": "sagemaker"}, SITE)
    ) == [("servicequotas:ListServiceQuotas", "*", {})]
    assert requests_for_call(model("sts"), "GetCallerIdentity", {}, SITE) == []


def policies_file(tmp_path, *statements):
    policies = RolePolicies(
        {
            "pipeline-1a2b": [
                NamedPolicy.parse("steps", {"Version": "2012-10-17", "Statement": list(statements)})
            ]
        }
    )
    return policies, policies.save(tmp_path / "role-policies.json")


def identity(tmp_path, path, step="Ingest"):
    return StepIdentity(step, ROLE, str(path), str(tmp_path / "calls.jsonl"), TRACKING, {KEY: PLANNED_KEY})


def test_the_guard_denies_a_boto3_call_as_aws_would_and_records_every_decision(tmp_path):
    _, path = policies_file(
        tmp_path,
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"},
    )
    guard = IamGuard.for_identity(identity(tmp_path, path))
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    attach(guard, s3)
    with Stubber(s3) as stub:
        stub.add_response("get_object", {}, {"Bucket": "data", "Key": "k"})
        # The stubber checks each request's parameters before the guard decides; the answer never comes.
        stub.add_response("put_object", {}, {"Bucket": "data", "Key": "k", "Body": b"x"})
        s3.get_object(Bucket="data", Key="k")
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket="data", Key="k", Body=b"x")
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/pipeline-1a2b/SageMaker is not authorized "
        "to perform: s3:PutObject on resource: arn:aws:s3:::data/k because no identity-based "
        "policy allows the s3:PutObject action"
    )
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [(c["action"], c["allowed"], c["sid"]) for c in calls] == [
        ("s3:GetObject", True, "Read"),
        ("s3:PutObject", False, None),
    ]


def test_local_arns_are_evaluated_as_the_plan_names_them(tmp_path):
    _, path = policies_file(tmp_path, {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": PLANNED_KEY})
    guard = IamGuard.for_identity(identity(tmp_path, path))
    guard.authorize("kms.Decrypt", [AuthorizationRequest("kms:Decrypt", KEY)])  # the local cloud's key id


def test_mlflow_store_calls_are_authorized_once_per_rest_call():
    seen = []

    class Store:
        def get_registered_model(self, name):
            return name

        def set_registered_model_alias(self, name, alias, version):
            return self.get_registered_model(name)  # one REST call, even where the store calls itself

    depth = threading.local()
    for method in ("get_registered_model", "set_registered_model_alias"):
        setattr(
            Store,
            method,
            mlflow_calls._checked(
                getattr(Store, method),
                method,
                lambda operation, requests: seen.append(
                    (operation, requests[0].action, requests[0].resource)
                ),
                TRACKING,
                depth,
            ),
        )
    assert Store().set_registered_model_alias("m", "champion", "1") == "m"
    assert seen == [
        ("mlflow.set_registered_model_alias", "sagemaker-mlflow:SetRegisteredModelAlias", TRACKING)
    ]


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("set_model_version_tag", "sagemaker-mlflow:SetModelVersionTag"),
        ("delete_registered_model_alias", "sagemaker-mlflow:DeleteRegisteredModelAlias"),
        ("get_model_version_download_uri", "sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts"),
        ("update_run_info", "sagemaker-mlflow:UpdateRun"),
        ("create_logged_model", "sagemaker-mlflow:LogModel"),
    ],
)
def test_mlflow_actions_follow_the_service_authorization_reference(method, action):
    assert mlflow_calls.action_for(method) == action
    assert method in {name for names in mlflow_calls.rest_operations().values() for name in names}


def test_role_policies_from_the_plan_and_what_cannot_be_checked(tmp_path):
    def resource(type_, logical_name, resource_id=None, **inputs):
        return SimpleNamespace(type=type_, name=logical_name, id=resource_id, inputs=inputs, outputs={})

    policies = RolePolicies.from_resources(
        [
            resource("aws:iam/role:Role", "pipeline", "pipeline-1a2b"),
            resource(
                "aws:iam/rolePolicy:RolePolicy",
                "steps",
                role="pipeline-1a2b",
                policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                    }
                ),
            ),
            resource("aws:iam/role:Role", "nodes", "nodes-9f"),
            resource(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "cni",
                role="nodes-9f",
                policyArn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            ),
            resource("aws:lambda/function:Function", "deploy", "deploy", name="deploy", role=ROLE),
        ]
    )
    assert [p.name for p in policies.for_role(ROLE)] == ["steps"]
    assert policies.lambda_role("deploy") == ROLE
    with pytest.raises(RolePoliciesError, match="AWS-managed policies the plan does not contain"):
        policies.for_role(f"arn:aws:iam::{ACCOUNT}:role/nodes-9f")
    with pytest.raises(RolePoliciesError, match="not in the stack's plan"):
        policies.for_role(f"arn:aws:iam::{ACCOUNT}:role/elsewhere")
    assert (
        RolePolicies.load(policies.save(tmp_path / "p.json")).for_role(ROLE)[0].document
        == policies.for_role(ROLE)[0].document
    )


def test_the_report_lists_granted_patterns_no_call_used(tmp_path):
    policies, _ = policies_file(
        tmp_path,
        {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
    )
    check = LocalIamCheck(policies, tmp_path, TRACKING)
    check.service_guard("Ingest", ROLE).authorize(
        "s3.GetObject", [AuthorizationRequest("s3:GetObject", "arn:aws:s3:::b/k")]
    )
    report = check.report()
    assert report.summary() == "1 calls checked, 0 denied"
    assert report.unused == {ROLE: ["steps/Objects: s3:PutObject"]}
    assert check.wrap(["python", "-m", "step"]) == [
        "python",
        "-m",
        "modelyard.pipelines.iam_check.run_as_role",
        "-m",
        "step",
    ]
    with pytest.raises(IamCheckError, match="checks `python -m MODULE` and `python -c CODE`"):
        check.wrap(["/usr/bin/train"])


def test_a_service_acts_as_the_role_only_inside_the_block(tmp_path):
    _, path = policies_file(tmp_path, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    guard = IamGuard.for_identity(identity(tmp_path, path))
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_response("put_object", {}, {"Bucket": "data", "Key": "k", "Body": b"x"})
        with (
            acting_as(guard, s3),
            pytest.raises(ClientError, match="not authorized to perform: s3:PutObject"),
        ):
            s3.put_object(Bucket="data", Key="k", Body=b"x")
        stub.add_response("put_object", {}, {"Bucket": "data", "Key": "k", "Body": b"x"})
        s3.put_object(
            Bucket="data", Key="k", Body=b"x"
        )  # the executor's own call, after the block: unchecked
