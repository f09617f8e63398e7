"""Composes Modelyard's components for one stack from its validated config, and exports the outputs contract."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from modelyard import __version__
from modelyard.catalog.drift_metrics import DRIFT_METRIC_NAMESPACE, DRIFTED_FEATURES_METRIC
from modelyard.catalog.outputs import StackOutputs
from modelyard.components import (
    AccountSingletons,
    AccountSingletonsArgs,
    ArtifactStore,
    ArtifactStoreArgs,
    ContainerImages,
    ContainerImagesArgs,
    EncryptionKey,
    EncryptionKeyArgs,
    InferenceEndpoint,
    InferenceEndpointArgs,
    ModelRegistry,
    ModelRegistryArgs,
    Monitoring,
    MonitoringArgs,
    Network,
    NetworkArgs,
    PlatformRoles,
    PlatformRolesArgs,
    RoleNetwork,
    ScaleSchedule,
    TrainingCluster,
    TrainingClusterArgs,
    TrainingPipeline,
    TrainingPipelineArgs,
)
from modelyard.model_code.bootstrap import BOOTSTRAP_ARCHIVE
from modelyard.stacks.config import ConfigError, StackConfig, parse_config, read_pulumi_config
from modelyard.stacks.pipeline_settings import pipeline_settings
from modelyard.workflow.compiler import compile_definition

# The Docker build context of model_code/Dockerfile.*: the checkout this program runs from.
BUILD_CONTEXT = Path(__file__).resolve().parent.parent


def main() -> None:
    try:
        config = parse_config(read_pulumi_config())
    except ConfigError as error:
        # Raised before any resource is registered, so an invalid config creates nothing.
        raise pulumi.RunError(str(error)) from None
    for key, value in build(config).items():
        pulumi.export(key, value)


def build(config: StackConfig) -> dict[str, pulumi.Input]:
    """Create the platform for one stack; returns the stack outputs (every key of StackOutputs)."""
    prefix, tags = f"modelyard-{config.environment}", config.tags
    # Stateful resources survive an accidental `pulumi destroy` where the config asks for it.
    stateful = pulumi.ResourceOptions(protect=config.deletion_protection)
    identity = aws.get_caller_identity_output()
    partition = aws.get_partition_output()
    endpoint_name = f"{prefix}-endpoint"
    pipeline_name = f"{prefix}-training"
    deploy_function_name = f"{prefix}-deploy"
    deploy_function_arn = pulumi.Output.concat(
        "arn:",
        partition.partition,
        ":lambda:",
        config.region,
        ":",
        identity.account_id,
        ":function:",
        deploy_function_name,
    )

    account = AccountSingletons(
        prefix,
        AccountSingletonsArgs(
            tags=tags,
            create_github_oidc_provider=config.account.create_github_oidc_provider,
            create_auto_scaling_role=config.account.create_auto_scaling_role,
        ),
    )
    key = EncryptionKey(
        f"{prefix}-data",
        EncryptionKeyArgs(
            alias=f"{prefix}-data",
            tags=tags,
            services=["logs", "cloudwatch", "events", "budgets"],
            # The EKS node groups' launch templates encrypt their volumes with this key.
            auto_scaling_role_arn=account.auto_scaling_role_arn,
        ),
        # A key policy may only name principals that exist.
        pulumi.ResourceOptions(protect=config.deletion_protection, depends_on=account.created),
    )
    network_config = config.network
    network = Network(
        prefix,
        NetworkArgs(
            tags=tags,
            flow_log_key_arn=key.key_arn,
            cidr=network_config.cidr,
            az_count=network_config.az_count,
            nat_per_az=network_config.nat_per_az,
            flow_log_retention_days=network_config.flow_log_retention_days,
            existing_vpc_id=network_config.existing_vpc_id,
            existing_private_subnet_ids=network_config.existing_private_subnet_ids,
        ),
    )
    store = ArtifactStore(
        prefix,
        ArtifactStoreArgs(
            key_arn=key.key_arn,
            tags=tags,
            retain_on_delete=config.storage.retain_on_delete,
            deletion_protection=config.deletion_protection,
            noncurrent_version_days=config.storage.noncurrent_version_days,
            capture_transition_days=config.storage.capture_transition_days,
        ),
    )
    registry = ModelRegistry(
        prefix,
        ModelRegistryArgs(
            key_arn=key.key_arn,
            tags=tags,
            artifact_store=store,
            delete_images_on_destroy=config.environment == "dev",
        ),
        stateful,
    )
    roles = PlatformRoles(
        prefix,
        PlatformRolesArgs(
            resource_prefix=prefix,
            github_repository=config.github_repository,
            github_environment=config.environment,
            tags=tags,
            github_oidc_provider_arn=account.github_oidc_provider_arn,
            # The ENI rights reach only the subnets and groups the jobs, endpoint and deploy Lambda below use.
            network=RoleNetwork(
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                training_security_group_ids=[network.training_security_group_id],
                inference_security_group_ids=[network.inference_security_group_id],
            ),
            model_package_group_name=registry.model_package_group_name,
            deploy_function_arn=deploy_function_arn,
            step_metric_namespaces=[DRIFT_METRIC_NAMESPACE],
        ),
    )
    role_policies = _grant_data_access(store, registry, key, roles)

    monitoring_config = config.monitoring
    cluster_name = f"{prefix}-gpu"
    monitoring = Monitoring(
        prefix,
        MonitoringArgs(
            endpoint_name=endpoint_name,
            kms_key_arn=key.key_arn,
            tags=tags,
            cluster_name=cluster_name,
            log_retention_days=monitoring_config.log_retention_days,
            alarm_email=monitoring_config.alarm_email,
            alarm_webhook_url=config.alarm_webhook_url,
            latency_alarm_ms=config.inference.latency_alarm_ms,
            error_rate_alarm_percent=monitoring_config.error_rate_alarm_percent,
            gpu_memory_alarm_percent=monitoring_config.gpu_memory_alarm_percent,
            monthly_budget_usd=monitoring_config.monthly_budget_usd,
            budget_alert_percents=monitoring_config.budget_alert_percents,
            budget_scope_tag=("environment", config.environment),
        ),
    )

    training = config.training
    cluster = TrainingCluster(
        prefix,
        TrainingClusterArgs(
            cluster_name=cluster_name,
            subnet_ids=network.private_subnet_ids,
            kms_key_arn=key.key_arn,
            artifact_bucket_name=store.artifacts_bucket_name,
            data_bucket_name=store.datasets_bucket_name,
            sagemaker_training_role_arn=roles.training_role_arn,
            sagemaker_security_group_ids=[network.training_security_group_id],
            tags=tags,
            version=training.eks_version,
            public_endpoint=training.public_endpoint,
            public_access_cidrs=training.public_access_cidrs,
            system_node_group=training.system_node_group.to_spec(),
            gpu_node_groups=[group.to_spec() for group in training.gpu_node_groups],
            log_retention_days=monitoring_config.log_retention_days,
            kubeflow_trainer=training.kubeflow_trainer,
            deletion_protection=config.deletion_protection,
        ),
    )

    # Built and pushed in this update (or CI's digests), so Lambda and SageMaker find their image at creation.
    images = ContainerImages(
        prefix,
        ContainerImagesArgs(
            repository_urls={
                "training": registry.training_repository_url,
                "serving": registry.serving_repository_url,
            },
            registry_id=identity.account_id,
            version=__version__,
            context=BUILD_CONTEXT,
            prebuilt=config.images.prebuilt,
        ),
    )
    inference = config.inference
    serving_image = images.refs["serving"]
    training_image = images.refs["training"]
    endpoint = InferenceEndpoint(
        prefix,
        InferenceEndpointArgs(
            endpoint_name=endpoint_name,
            execution_role_arn=roles.execution_role_arn,
            image_uri=serving_image,
            artifact_bucket_name=store.artifacts_bucket_name,
            capture_bucket_name=store.capture_bucket_name,
            kms_key_arn=key.key_arn,
            subnet_ids=network.private_subnet_ids,
            security_group_ids=[network.inference_security_group_id],
            alarm_topic_arn=monitoring.topic_arn,
            tags=tags,
            model_data_url=inference.model_artifact,
            bootstrap_model_archive=None
            if inference.model_artifact
            else pulumi.FileAsset(str(BOOTSTRAP_ARCHIVE)),
            instance_type=inference.instance_type,
            instance_count=inference.instance_count,
            min_capacity=inference.min_capacity,
            max_capacity=inference.max_capacity,
            target_invocations_per_instance=inference.target_invocations_per_instance,
            deployment_strategy=inference.deployment_strategy,
            traffic_step_percent=inference.traffic_step_percent,
            bake_minutes=inference.bake_minutes,
            latency_alarm_ms=inference.latency_alarm_ms,
            data_capture_percent=inference.data_capture_percent,
            shadow_instance_type=inference.shadow_instance_type,
            schedule=ScaleSchedule(
                scale_down_cron=inference.schedule.scale_down_cron,
                scale_up_cron=inference.schedule.scale_up_cron,
                off_hours_capacity=inference.schedule.off_hours_capacity,
            )
            if inference.schedule
            else None,
            execution_role_policies=role_policies["execution"],
            # Our log group must exist before SageMaker creates its own for the endpoint.
            endpoint_log_group=monitoring.endpoint_log_group,
        ),
    )

    outputs: dict[str, pulumi.Input] = {
        "environment": config.environment,
        "region": config.region,
        "account_id": identity.account_id,
        "data_bucket": store.datasets_bucket_name,
        "artifact_bucket": store.artifacts_bucket_name,
        "capture_bucket": store.capture_bucket_name,
        "access_logs_bucket": store.access_logs_bucket_name,
        "data_key_arn": key.key_arn,
        "training_repository_url": registry.training_repository_url,
        "serving_repository_url": registry.serving_repository_url,
        "model_package_group_name": registry.model_package_group_name,
        "mlflow_tracking_uri": registry.mlflow_tracking_uri,
        "sagemaker_training_role_arn": roles.training_role_arn,
        "sagemaker_execution_role_arn": roles.execution_role_arn,
        "pipeline_role_arn": roles.pipeline_role_arn,
        "ci_role_arn": roles.ci_release_role_arn,
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "training_security_group_id": network.training_security_group_id,
        "inference_security_group_id": network.inference_security_group_id,
        "training_output_path": cluster.training_output_path,
        "training_instance_type": training.sagemaker_instance_type,
        "training_instance_count": training.sagemaker_instance_count,
        "inter_container_traffic_encryption": cluster.inter_container_traffic_encryption,
        "eks_cluster_name": cluster.cluster_name,
        "kubeconfig": cluster.kubeconfig,
        "training_namespace": cluster.training_namespace,
        "training_service_account": cluster.training_service_account,
        "endpoint_name": endpoint.endpoint_name,
        "inference_instance_type": inference.instance_type,
        "alarm_topic_arn": monitoring.topic_arn,
        "pipeline_name": pipeline_name,
        "deploy_function_name": deploy_function_name,
        "drift_metric_namespace": DRIFT_METRIC_NAMESPACE,
    }

    pipeline = TrainingPipeline(
        prefix,
        TrainingPipelineArgs(
            pipeline_name=pipeline_name,
            # The pipeline's ImageTag names the images this update built (CI-built ones: the package version).
            definition=_compiled_definition(
                config, outputs, images.tag if not config.images.prebuilt else None
            ),
            role_arn=roles.pipeline_role_arn,
            kms_key_arn=key.key_arn,
            alarm_topic_arn=monitoring.topic_arn,
            deploy_function_name=deploy_function_name,
            deploy_image_uri=training_image,
            deploy_role_arn=roles.deploy_role_arn,
            role_policies=role_policies["pipeline"],
            deploy_role_policies=role_policies["deploy"],
            subnet_ids=network.private_subnet_ids,
            security_group_ids=[network.inference_security_group_id],
            tags=tags,
            schedule_expression=config.pipeline.schedule,
            drift_metric_namespace=DRIFT_METRIC_NAMESPACE,
            # The monitor counts features whose PSI crosses the threshold AND whose KS test rejects; raw PSI
            # crosses it by chance on small samples and would restart the pipeline after every run.
            drift_metric_name=DRIFTED_FEATURES_METRIC,
            drift_threshold=0.5,
            log_retention_days=monitoring_config.log_retention_days,
        ),
    )
    outputs["pipeline_name"] = pipeline.pipeline_name
    return outputs


def _grant_data_access(
    store: ArtifactStore, registry: ModelRegistry, key: EncryptionKey, roles: PlatformRoles
) -> dict[str, list[pulumi.Resource]]:
    """Least privilege per role: each gets the buckets, prefixes and repositories its job touches.

    Returns every policy of each role (its own and these grants), by PlatformRoles.policies' keys.
    """
    grants: dict[str, list[pulumi.Resource]] = {
        role: list(policies) for role, policies in roles.policies.items()
    }
    grants["training"] += [
        store.grant_read(roles.training_role, "datasets"),
        store.grant_read_write(roles.training_role, "artifacts", "training/"),
        registry.grant_pull(roles.training_role, ("training",)),
    ]
    grants["execution"] += [
        store.grant_read(roles.execution_role, "artifacts"),
        store.grant_write(roles.execution_role, "capture"),
        registry.grant_pull(roles.execution_role, ("serving",)),
    ]
    grants["pipeline"] += [
        store.grant_read_write(roles.pipeline_role, "datasets"),
        store.grant_read_write(roles.pipeline_role, "artifacts"),
        store.grant_read(roles.pipeline_role, "capture"),
        registry.grant_pull(
            roles.pipeline_role, ("training",)
        ),  # the processing steps run the training image
        registry.grant_tracking(
            roles.pipeline_role
        ),  # register: log the run, create the version, alias challenger
    ]
    grants["deploy"] += [
        store.grant_read(roles.deploy_role, "artifacts"),
        store.grant_read(
            roles.deploy_role, "datasets", "datasets/"
        ),  # deploy: the smoke test reads ingest's test split
        registry.grant_tracking(
            roles.deploy_role
        ),  # deploy: promote the version to champion after the smoke test
    ]
    grants["ci_release"].append(registry.grant_push(roles.ci_release_role))
    for role_key, role in (
        ("training", roles.training_role),
        ("execution", roles.execution_role),
        ("pipeline", roles.pipeline_role),
        ("deploy", roles.deploy_role),
    ):
        grants[role_key].append(key.grant_encrypt_decrypt(role))
    return grants


def _compiled_definition(
    config: StackConfig, outputs: dict[str, pulumi.Input], image_tag: str | None
) -> pulumi.Output[str]:
    """The SageMaker Pipeline definition, compiled from the same outputs the stack exports; `image_tag` (when
    not None) is its default ImageTag."""
    # The kubeconfig is a secret the definition never uses; leaving it out keeps the definition non-secret.
    references = {key: value for key, value in outputs.items() if key != "kubeconfig"}

    def compile_from(values: dict) -> str:
        stack_outputs = StackOutputs.model_validate({**values, "kubeconfig": ""})
        settings = pipeline_settings(config, stack_outputs, **({"image_tag": image_tag} if image_tag else {}))
        return json.dumps(compile_definition(stack_outputs, settings), sort_keys=True)

    return pulumi.Output.all(**references).apply(compile_from)
