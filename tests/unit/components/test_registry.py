"""ModelRegistry: hardened ECR repositories, the model package group, managed MLflow, pull/push grants."""

from __future__ import annotations

import json
import re

import botocore.session
import pulumi
import pulumi_aws as aws

from modelyard.components import (
    ArtifactStore,
    ArtifactStoreArgs,
    ComponentArgsError,
    ModelRegistry,
    ModelRegistryArgs,
)

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def _registry(tags, **overrides) -> ModelRegistry:
    store = ArtifactStore("store", ArtifactStoreArgs(key_arn=KEY_ARN, tags=tags))
    return ModelRegistry(
        "modelyard-unit", ModelRegistryArgs(key_arn=KEY_ARN, tags=tags, artifact_store=store, **overrides)
    )


def test_repositories_are_immutable_scanned_and_kms_encrypted(program, tags):
    def build():
        registry = _registry(tags)
        pulumi.export("training", registry.training_repository_url)
        pulumi.export("serving", registry.serving_repository_url)

    run = program(build)
    assert run.error is None
    component = run.one("modelyard:registry:ModelRegistry")
    repositories = run.of_type("aws:ecr/repository:Repository")
    assert sorted(r.inputs["name"] for r in repositories) == [
        "modelyard-unit-serving",
        "modelyard-unit-training",
    ]
    for repository in repositories:
        assert repository.parent == component.urn
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]
        assert repository.inputs["forceDelete"] is False
        assert repository.inputs["tags"] == tags
    assert run.outputs["training"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelyard-unit-training"
    assert run.outputs["serving"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelyard-unit-serving"


def test_lifecycle_policy_expires_untagged_and_keeps_the_newest_tagged(program, tags):
    run = program(lambda: _registry(tags, untagged_image_days=3, tagged_images_kept=12))

    policies = run.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(policies) == 2
    for policy in policies:
        untagged, tagged = json.loads(policy.inputs["policy"])["rules"]
        assert untagged["selection"] == {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 3,
        }
        assert (
            tagged["selection"]["countType"] == "imageCountMoreThan"
            and tagged["selection"]["countNumber"] == 12
        )
        assert [untagged["rulePriority"], tagged["rulePriority"]] == [1, 2]
        assert untagged["action"] == tagged["action"] == {"type": "expire"}


def test_model_package_group_and_mlflow_outputs(program, tags):
    def build():
        registry = _registry(tags)
        pulumi.export("group", registry.model_package_group_name)
        pulumi.export("uri", registry.mlflow_tracking_uri)
        pulumi.export("url", registry.mlflow_tracking_server_url)

    run = program(build)
    group = run.one("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert group.inputs["modelPackageGroupName"] == "modelyard-unit-models"
    assert run.outputs["group"] == "modelyard-unit-models"
    assert (
        run.outputs["uri"]
        == "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/modelyard-unit-mlflow"
    )
    assert run.outputs["url"].startswith("https://")


def test_mlflow_stores_artifacts_under_a_prefix_of_the_artifacts_bucket(program, tags):
    run = program(lambda: _registry(tags))

    artifacts = run.one("aws:s3/bucket:Bucket", "store-artifacts").id
    server = run.one("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
    assert server.inputs["artifactStoreUri"] == f"s3://{artifacts}/mlflow/"
    assert server.inputs["automaticModelRegistration"] is False
    assert server.inputs["trackingServerSize"] == "Small"
    # The API's own pattern (botocore's SageMaker model), not ours: "SUN:03:00" was refused by AWS.
    window = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateMlflowTrackingServer")
        .input_shape.members["WeeklyMaintenanceWindowStart"]
    )
    assert re.fullmatch(window.metadata["pattern"], server.inputs["weeklyMaintenanceWindowStart"])
    role = run.one("aws:iam/role:Role", "modelyard-unit-mlflow")
    assert server.inputs["roleArn"].endswith(f":role/{role.id}")
    (trust,) = run.statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    grant = run.named("store-artifacts-read-write-modelyard-unit-mlflow-mlflow")
    objects = next(s for s in run.statements(grant) if s["Sid"] == "Objects")
    assert objects["Resource"] == [f"arn:aws:s3:::{artifacts}/mlflow/*"]
    assert grant.urn in server.dependencies


def test_mlflow_can_be_left_out(program, tags):
    def build():
        registry = ModelRegistry(
            "modelyard-unit", ModelRegistryArgs(key_arn=KEY_ARN, tags=tags, mlflow=False)
        )
        assert registry.mlflow_tracking_uri is None

    run = program(build)
    assert run.error is None
    assert run.of_type("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer") == []
    assert run.of_type("aws:iam/role:Role") == []


def test_grant_pull_and_push_are_scoped_to_repositories(program, tags):
    def build():
        role = aws.iam.Role("ci", assume_role_policy="{}")
        registry = _registry(tags)
        registry.grant_pull(role, ("serving",))
        registry.grant_push(role)

    run = program(build)
    serving_arn = "arn:aws:ecr:us-east-1:123456789012:repository/modelyard-unit-serving"
    training_arn = "arn:aws:ecr:us-east-1:123456789012:repository/modelyard-unit-training"
    login, pull = run.statements(run.named("modelyard-unit-pull-ci-serving"))
    assert login["Action"] == ["ecr:GetAuthorizationToken"] and login["Resource"] == ["*"]
    assert pull["Resource"] == [serving_arn]
    assert set(pull["Action"]) == {
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
    }
    _, push = run.statements(run.named("modelyard-unit-push-ci"))
    assert push["Resource"] == [training_arn, serving_arn]
    assert "ecr:PutImage" in push["Action"] and "ecr:DeleteRepository" not in push["Action"]


def test_invalid_args_list_every_problem_before_any_resource(program, tags):
    args = ModelRegistryArgs(
        key_arn=KEY_ARN,
        tags=tags,
        mlflow_server_size="Huge",
        untagged_image_days=0,
        mlflow_maintenance_window="SUN:03:00",
    )
    run = program(lambda: ModelRegistry("Bad_Name", args))

    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for path in (
        "name: 'Bad_Name'",
        "artifact_store: required",
        "mlflow_server_size: 'Huge'",
        "untagged_image_days: 0",
        "mlflow_maintenance_window: 'SUN:03:00' must look like Sun:03:00",
    ):
        assert path in message
    assert run.resources == []


def test_grant_tracking_scopes_mlflow_actions_to_the_tracking_server(program, tags):
    def build():
        store = ArtifactStore("store", ArtifactStoreArgs(key_arn=KEY_ARN, tags=tags))
        registry = ModelRegistry(
            "modelyard-unit", ModelRegistryArgs(key_arn=KEY_ARN, tags=tags, artifact_store=store)
        )
        role = aws.iam.Role("pipeline", assume_role_policy="{}")
        registry.grant_tracking(role)

    run = program(build)
    assert run.error is None
    [statement] = run.statements(run.named("modelyard-unit-tracking-pipeline"))
    assert statement["Resource"] == [
        "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/modelyard-unit-mlflow"
    ]
    actions = statement["Action"]
    assert (
        "sagemaker-mlflow:SetRegisteredModelAlias" in actions
        and "sagemaker-mlflow:CreateModelVersion" in actions
    )
    assert all(action.startswith("sagemaker-mlflow:") and "*" not in action for action in actions)
    # The only delete: promote drops the `challenger` alias once it names the champion; register tags versions.
    assert [action for action in actions if "Delete" in action] == [
        "sagemaker-mlflow:DeleteRegisteredModelAlias"
    ]
    assert "sagemaker-mlflow:SetModelVersionTag" in actions


def test_grant_tracking_without_a_tracking_server_is_an_error(program, tags):
    def build():
        registry = ModelRegistry(
            "modelyard-unit", ModelRegistryArgs(key_arn=KEY_ARN, tags=tags, mlflow=False)
        )
        registry.grant_tracking(aws.iam.Role("pipeline", assume_role_policy="{}"))

    run = program(build)
    assert isinstance(run.error, ComponentArgsError)
    assert "the registry has no tracking server" in str(run.error)
