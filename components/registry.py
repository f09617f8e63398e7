"""Where models and their images live: ECR repositories, a SageMaker model package group, managed MLflow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, get_args

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.policy_documents import (
    Statement,
    attach_policy,
    grant_name,
    service_trust_policy,
)
from modelyard.components.storage import ArtifactStore
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

ImageRepository = Literal["training", "serving"]
IMAGE_REPOSITORIES: tuple[ImageRepository, ...] = get_args(ImageRepository)
MLFLOW_SIZES = ("Small", "Medium", "Large")
# Prefix of the MLflow artifact store inside the ArtifactStore's artifacts bucket.
MLFLOW_ARTIFACT_PREFIX = "mlflow/"

# SageMaker managed MLflow authorizes each MLflow REST call as its own action on the tracking server
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerwithmlflow.html).
# MLflow 3's log_model creates, tags and finalizes a LoggedModel and records its outputs; register tags the
# version and deploy drops the `challenger` alias. The local run's IAM check records each call's action.
MLFLOW_TRACKING_ACTIONS = [
    "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:GetExperiment",
    "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:SearchExperiments",
    "sagemaker-mlflow:CreateRun",
    "sagemaker-mlflow:UpdateRun",
    "sagemaker-mlflow:GetRun",
    "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogParam",
    "sagemaker-mlflow:LogInputs",
    "sagemaker-mlflow:LogModel",
    "sagemaker-mlflow:SetTag",
    "sagemaker-mlflow:ListArtifacts",
    "sagemaker-mlflow:GetMetricHistory",
    "sagemaker-mlflow:CreateRegisteredModel",
    "sagemaker-mlflow:GetRegisteredModel",
    "sagemaker-mlflow:SearchRegisteredModels",
    "sagemaker-mlflow:SetRegisteredModelTag",
    "sagemaker-mlflow:SetRegisteredModelAlias",
    "sagemaker-mlflow:CreateModelVersion",
    "sagemaker-mlflow:GetModelVersion",
    "sagemaker-mlflow:GetModelVersionByAlias",
    "sagemaker-mlflow:GetLatestModelVersions",
    "sagemaker-mlflow:SearchModelVersions",
    "sagemaker-mlflow:UpdateModelVersion",
    "sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts",
    "sagemaker-mlflow:SetModelVersionTag",
    "sagemaker-mlflow:DeleteRegisteredModelAlias",
    "sagemaker-mlflow:GetLoggedModel",
    "sagemaker-mlflow:SetLoggedModelTags",
    "sagemaker-mlflow:FinalizeLoggedModel",
    "sagemaker-mlflow:LogOutputs",
]
PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
]

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# CreateMlflowTrackingServer's WeeklyMaintenanceWindowStart pattern, from botocore's
# data/sagemaker/2017-07-24/service-2.json: title-case day names, so "SUN:03:00" is refused.
_MAINTENANCE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):([0-5]\d)$")


@dataclass
class ModelRegistryArgs:
    """Image repositories, model package group and tracking server settings."""

    key_arn: pulumi.Input[str]
    """Customer-managed KMS key that encrypts the image repositories. Required."""
    tags: dict[str, str]
    """Tags on every resource (project, environment, owner, cost-center). Required."""
    artifact_store: ArtifactStore | None = None
    """Store whose artifacts bucket holds MLflow artifacts (under mlflow/). Required when mlflow is True."""
    mlflow: bool = True
    """Run a SageMaker managed MLflow tracking server. Default True."""
    mlflow_server_size: str = "Small"
    """Tracking server size: Small, Medium or Large. Default Small."""
    mlflow_version: str | None = None
    """MLflow version of the tracking server. Default None (SageMaker's current default)."""
    mlflow_maintenance_window: str = "Sun:03:00"
    """Weekly maintenance start (UTC), Ddd:HH:MM with a title-case day. Default Sun:03:00."""
    untagged_image_days: int = 7
    """Days before untagged images expire. Default 7."""
    tagged_images_kept: int = 30
    """Tagged images kept per repository (older ones expire). Default 30."""
    delete_images_on_destroy: bool = False
    """Let `pulumi destroy` delete repositories that still hold images. Default False."""

    def problems(self) -> list[str]:
        found = tag_problems(self.tags)
        if self.mlflow and self.artifact_store is None:
            found.append("artifact_store: required when mlflow is True (it holds the MLflow artifacts)")
        if self.mlflow_server_size not in MLFLOW_SIZES:
            found.append(
                f"mlflow_server_size: {self.mlflow_server_size!r} is not one of {', '.join(MLFLOW_SIZES)}"
            )
        if not _MAINTENANCE.match(self.mlflow_maintenance_window):
            found.append(
                f"mlflow_maintenance_window: {self.mlflow_maintenance_window!r} must look like Sun:03:00 "
                "(a title-case day, as the SageMaker API requires)"
            )
        if self.untagged_image_days < 1:
            found.append(f"untagged_image_days: {self.untagged_image_days} must be at least 1")
        if self.tagged_images_kept < 1:
            found.append(f"tagged_images_kept: {self.tagged_images_kept} must be at least 1")
        return found


class ModelRegistry(pulumi.ComponentResource):
    """ECR repositories `<name>-training` and `<name>-serving`, model package group `<name>-models`, and
    MLflow tracking server `<name>-mlflow`.

    Repositories: immutable tags, scan on push, KMS with the CMK, lifecycle expiring untagged images and
    all but the newest tagged ones. MLflow is SageMaker's managed tracking server
    (`aws.sagemaker.MlflowTrackingServer`); its tracking URI is the server's ARN, which is what the
    `sagemaker-mlflow` plugin takes (`mlflow.set_tracking_uri(arn)`) to sign requests with SigV4.
    """

    repositories: dict[str, aws.ecr.Repository]
    training_repository_url: pulumi.Output[str]
    serving_repository_url: pulumi.Output[str]
    training_repository_arn: pulumi.Output[str]
    serving_repository_arn: pulumi.Output[str]
    model_package_group_name: pulumi.Output[str]
    model_package_group_arn: pulumi.Output[str]
    mlflow_tracking_server_arn: pulumi.Output[str] | None
    mlflow_tracking_server_url: pulumi.Output[str] | None
    mlflow_tracking_uri: pulumi.Output[str] | None

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if not _NAME.match(name) or len(name) > 40:
            problems.insert(
                0, f"name: {name!r} must be up to 40 lowercase letters, digits and single hyphens"
            )
        raise_for_problems("ModelRegistry", name, problems)
        super().__init__("modelyard:registry:ModelRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lifecycle = json.dumps(_lifecycle_policy(args.untagged_image_days, args.tagged_images_kept))

        self.repositories = {}
        for repository in IMAGE_REPOSITORIES:
            self.repositories[repository] = aws.ecr.Repository(
                f"{name}-{repository}",
                aws.ecr.RepositoryArgs(
                    name=f"{name}-{repository}",
                    image_tag_mutability="IMMUTABLE",
                    image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                        scan_on_push=True
                    ),
                    encryption_configurations=[
                        aws.ecr.RepositoryEncryptionConfigurationArgs(
                            encryption_type="KMS", kms_key=args.key_arn
                        )
                    ],
                    force_delete=args.delete_images_on_destroy,
                    tags=args.tags,
                ),
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{repository}-lifecycle",
                aws.ecr.LifecyclePolicyArgs(repository=self.repositories[repository].name, policy=lifecycle),
                opts=child,
            )

        group = aws.sagemaker.ModelPackageGroup(
            f"{name}-models",
            aws.sagemaker.ModelPackageGroupArgs(
                model_package_group_name=f"{name}-models",
                model_package_group_description=f"Model versions registered by the {name} training pipeline",
                tags=args.tags,
            ),
            opts=child,
        )

        self.mlflow_tracking_server_arn = None
        self.mlflow_tracking_server_url = None
        self.mlflow_tracking_uri = None
        if args.mlflow and args.artifact_store is not None:  # problems() rejects mlflow without a store
            self._tracking_server(name, args, args.artifact_store)

        self.training_repository_url = self.repositories["training"].repository_url
        self.serving_repository_url = self.repositories["serving"].repository_url
        self.training_repository_arn = self.repositories["training"].arn
        self.serving_repository_arn = self.repositories["serving"].arn
        self.model_package_group_name = group.model_package_group_name
        self.model_package_group_arn = group.arn
        self.register_outputs(
            {
                "training_repository_url": self.training_repository_url,
                "serving_repository_url": self.serving_repository_url,
                "model_package_group_name": self.model_package_group_name,
                "mlflow_tracking_uri": self.mlflow_tracking_uri,
            }
        )

    def _tracking_server(self, name: str, args: ModelRegistryArgs, store: ArtifactStore) -> None:
        account = AccountContext.lookup(self)
        role = aws.iam.Role(
            f"{name}-mlflow",
            aws.iam.RoleArgs(
                description="SageMaker managed MLflow: reads and writes the tracking server's artifacts",
                assume_role_policy=service_trust_policy(
                    "sagemaker.amazonaws.com", account, account.arn("sagemaker", "*")
                ),
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Only the mlflow/ prefix of the artifacts bucket, instead of the AmazonS3FullAccess AWS suggests.
        artifacts_access = store.grant_read_write(role, "artifacts", MLFLOW_ARTIFACT_PREFIX)
        server = aws.sagemaker.MlflowTrackingServer(
            f"{name}-mlflow",
            aws.sagemaker.MlflowTrackingServerArgs(
                tracking_server_name=f"{name}-mlflow",
                artifact_store_uri=pulumi.Output.concat(
                    "s3://", store.artifacts_bucket_name, "/", MLFLOW_ARTIFACT_PREFIX
                ),
                role_arn=role.arn,
                tracking_server_size=args.mlflow_server_size,
                mlflow_version=args.mlflow_version,
                # Registration into the model package group is the pipeline's gated step, not automatic.
                automatic_model_registration=False,
                weekly_maintenance_window_start=args.mlflow_maintenance_window,
                tags=args.tags,
            ),
            # The server checks its artifact store access when it starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[artifacts_access]),
        )
        self.mlflow_tracking_server_arn = server.arn
        self.mlflow_tracking_server_url = server.tracking_server_url
        self.mlflow_tracking_uri = server.arn

    # -- grant helpers ---------------------------------------------------------------------------
    def grant_pull(
        self, role: aws.iam.Role, repositories: tuple[ImageRepository, ...] = IMAGE_REPOSITORIES
    ) -> aws.iam.RolePolicy:
        """Let `role` pull images from the given repositories (default both)."""
        return self._grant("pull", role, repositories, PULL_ACTIONS)

    def grant_push(
        self, role: aws.iam.Role, repositories: tuple[ImageRepository, ...] = IMAGE_REPOSITORIES
    ) -> aws.iam.RolePolicy:
        """Let `role` push (and so also check layers of) images to the given repositories (default both)."""
        return self._grant("push", role, repositories, PUSH_ACTIONS)

    def grant_tracking(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` log runs and register, read and alias model versions on the MLflow tracking server
        (no deletes, no UI); the pipeline's register and deploy steps need exactly this."""
        raise_for_problems(
            "ModelRegistry.grant_tracking",
            self.pulumi_resource_name,
            []
            if self.mlflow_tracking_server_arn is not None
            else ["mlflow: the registry has no tracking server"],
        )
        statements: list[Statement] = [
            {
                "Sid": "Tracking",
                "Effect": "Allow",
                "Action": MLFLOW_TRACKING_ACTIONS,
                "Resource": [self.mlflow_tracking_server_arn],
            }
        ]
        return attach_policy(grant_name(self.pulumi_resource_name, "tracking", role), role, statements, self)

    def _grant(
        self, access: str, role: aws.iam.Role, repositories: tuple[ImageRepository, ...], actions: list[str]
    ) -> aws.iam.RolePolicy:
        unknown = [repository for repository in repositories if repository not in IMAGE_REPOSITORIES]
        raise_for_problems(
            f"ModelRegistry.grant_{access}",
            self.pulumi_resource_name,
            [f"repositories: {', '.join(map(repr, unknown))} not in {', '.join(IMAGE_REPOSITORIES)}"]
            if unknown
            else [],
        )
        statements: list[Statement] = [
            {
                "Sid": "Login",
                "Effect": "Allow",
                # GetAuthorizationToken returns a registry-wide login token and has no resource type,
                # so AWS accepts it only on "*".
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "Images",
                "Effect": "Allow",
                "Action": actions,
                "Resource": [self.repositories[repository].arn for repository in repositories],
            },
        ]
        qualifier = "" if tuple(repositories) == IMAGE_REPOSITORIES else "-".join(repositories)
        return attach_policy(
            grant_name(self.pulumi_resource_name, access, role, qualifier), role, statements, self
        )


def _lifecycle_policy(untagged_days: int, tagged_kept: int) -> dict:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {tagged_kept} tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": tagged_kept,
                },
                "action": {"type": "expire"},
            },
        ]
    }
