"""SageMaker rules: isolated models in a VPC, encrypted endpoints and capture data, HA and safe rollouts, training jobs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from modelyard.catalog.instance_types import (
    INFERENCE_GPU_FAMILIES,
    TRAINING_GPU_FAMILIES,
    disallowed_gpu,
    has_local_storage,
)
from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import (
    ADVISORY_IN_DEV,
    MANDATORY,
    OFF_IN_DEV,
    Finding,
    NotApplicable,
    ResourceRule,
    StackRule,
)
from modelyard.policies.rules.s3 import BUCKET_TYPES, bucket_encrypted_with_customer_key
from modelyard.policies.values import ABSENT, UNKNOWN, is_set, is_unknown, items_of, lookup, number, shown

MODEL_TYPES = frozenset({"aws:sagemaker/model:Model"})
ENDPOINT_CONFIG_TYPES = frozenset({"aws:sagemaker/endpointConfiguration:EndpointConfiguration"})
ENDPOINT_TYPES = frozenset({"aws:sagemaker/endpoint:Endpoint"})
PIPELINE_TYPES = frozenset({"aws:sagemaker/pipeline:Pipeline"})
SCALABLE_TARGET_TYPES = frozenset({"aws:appautoscaling/target:Target"})
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

PRIVATE_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
MINIMUM_HA_INSTANCES = 2


def _variants(config: Resource) -> list[tuple[str, Any]]:
    """(path, variant) for every production and shadow variant of an endpoint configuration."""
    return [
        (f"{key}[{position}]", variant)
        for key in ("productionVariants", "shadowProductionVariants")
        for position, variant in enumerate(items_of(config.get(key)))
    ]


def _instance_variants(config: Resource) -> list[tuple[str, str]]:
    """(path, instanceType) of the variants that run on instances (serverless ones have none)."""
    return [
        (path, instance_type)
        for path, variant in _variants(config)
        if isinstance(instance_type := lookup(variant, "instanceType"), str) and instance_type != UNKNOWN
    ]


# -- MY-SM-001 / 002: models -----------------------------------------------------------------------------------


def _network_isolated(model: Resource) -> list[str]:
    isolation = lookup(model.inputs, "enableNetworkIsolation")
    if isolation in (True, UNKNOWN):
        return []
    return [f"enableNetworkIsolation is {shown(isolation)}, so the model container can make outbound calls"]


MODEL_NETWORK_ISOLATION = ResourceRule(
    id="MY-SM-001",
    description="SageMaker models run with network isolation (no outbound calls from the container).",
    severity="high",
    anchors=("CKV_AWS_370", "SecurityHub SageMaker.5", "WA ML Lens: protect against data exfiltration"),
    levels=MANDATORY,
    resource_types=MODEL_TYPES,
    check=_network_isolated,
)


def _in_vpc(model: Resource) -> list[str]:
    vpc_config = lookup(model.inputs, "vpcConfig")
    if vpc_config == UNKNOWN:
        return []
    if vpc_config is ABSENT:
        return ["vpcConfig is not set, so the model runs outside your VPC"]
    return [
        f"vpcConfig.{key} is empty"
        for key in ("subnets", "securityGroupIds")
        if (value := lookup(vpc_config, key)) != UNKNOWN and not items_of(value)
    ]


MODEL_IN_VPC = ResourceRule(
    id="MY-SM-002",
    description="SageMaker models run in private subnets of your VPC.",
    severity="high",
    anchors=(
        "WA ML Lens: run ML workloads in a private network",
        "AwsSolutions-SM1 (notebooks, same intent)",
    ),
    levels=MANDATORY,
    resource_types=MODEL_TYPES,
    check=_in_vpc,
)


# -- MY-SM-003: storage volume encryption ------------------------------------------------------------------


def _volume_encrypted(config: Resource) -> list[str] | NotApplicable:
    variants = _instance_variants(config)
    if not variants:
        return NotApplicable("no variant runs on instances (serverless variants have no storage volume)")
    key_set = is_set(lookup(config.inputs, "kmsKeyArn"))
    local = [(path, instance_type) for path, instance_type in variants if has_local_storage(instance_type)]
    if local and key_set:
        path, instance_type = local[0]
        return [
            (
                f"kmsKeyArn is set but {path}.instanceType {instance_type} has NVMe instance storage "
                "(hardware-encrypted); CreateEndpointConfig rejects a KMS key for it"
            )
        ]
    if not local and not key_set:
        return ["kmsKeyArn is not set, so the ML storage volume is not encrypted with your KMS key"]
    return []


ENDPOINT_VOLUME_ENCRYPTION = ResourceRule(
    id="MY-SM-003",
    description="Endpoint configurations encrypt the ML storage volume with a KMS key, or use NVMe-storage "
    "instances whose storage is hardware-encrypted (and then set no key, as SageMaker requires).",
    severity="high",
    anchors=("CKV_AWS_98", "WA ML Lens: encrypt inference data at rest"),
    levels=MANDATORY,
    resource_types=ENDPOINT_CONFIG_TYPES,
    check=_volume_encrypted,
)


# -- MY-SM-004 / 005 / 012: data capture --------------------------------------------------------------------


def _capture(config: Resource) -> Any:
    capture = lookup(config.inputs, "dataCaptureConfig")
    if capture in (ABSENT, UNKNOWN) or lookup(capture, "enableCapture") is False:
        return None
    return capture


def _capture_encrypted(config: Resource) -> list[str] | NotApplicable:
    capture = _capture(config)
    if capture is None:
        return NotApplicable("the endpoint configuration captures no data")
    if is_set(lookup(capture, "kmsKeyId")):
        return []
    return [
        "dataCaptureConfig.kmsKeyId is not set, so captured requests and responses are not encrypted with your KMS key"
    ]


CAPTURE_KMS = ResourceRule(
    id="MY-SM-004",
    description="Endpoint data capture encrypts captured payloads with a KMS key.",
    severity="high",
    anchors=("WA ML Lens: encrypt inference data at rest", "CKV_AWS_367 (monitoring jobs, same intent)"),
    levels=MANDATORY,
    resource_types=ENDPOINT_CONFIG_TYPES,
    check=_capture_encrypted,
)


def _destination_buckets(stack: StackResources, config: Resource, uri: Any) -> list[Resource]:
    """Buckets of this stack the capture destination may be: by name when known, else by dependency."""
    buckets = stack.of_types(BUCKET_TYPES)
    if isinstance(uri, str) and uri.startswith("s3://") and UNKNOWN not in uri:
        name = uri.removeprefix("s3://").split("/", 1)[0]
        named = [bucket for bucket in buckets if name in bucket.identifiers()]
        if named or all(bucket.identifiers() for bucket in buckets):
            return named
    return [bucket for bucket in buckets if bucket.urn in config.dependencies]


def _capture_bucket_encrypted(stack: StackResources) -> list[Finding] | NotApplicable:
    findings: list[Finding] = []
    judged = False
    for config in stack.of_types(ENDPOINT_CONFIG_TYPES):
        capture = _capture(config)
        if capture is None:
            continue
        for bucket in _destination_buckets(stack, config, lookup(capture, "destinationS3Uri")):
            judged = True
            if not bucket_encrypted_with_customer_key(stack, bucket):
                findings.append(
                    Finding(
                        config.urn,
                        f"dataCaptureConfig.destinationS3Uri points at bucket {bucket.name!r}, which is not encrypted "
                        "by default with a customer-managed KMS key",
                    )
                )
    if not judged:
        return NotApplicable("no endpoint captures data into a bucket of this stack")
    return findings


CAPTURE_BUCKET_ENCRYPTED = StackRule(
    id="MY-SM-005",
    description="The bucket receiving endpoint data capture is encrypted with a customer-managed KMS key.",
    severity="high",
    anchors=("WA ML Lens: encrypt inference data at rest", "CKV_AWS_145 (applied to the capture bucket)"),
    levels=MANDATORY,
    check=_capture_bucket_encrypted,
)


def _captures_for_monitoring(config: Resource) -> list[str] | NotApplicable:
    if not _instance_variants(config) and config.get("productionVariants") != UNKNOWN:
        return NotApplicable("no real-time variant on instances")
    capture = lookup(config.inputs, "dataCaptureConfig")
    if capture == UNKNOWN:
        return []
    if capture is ABSENT or lookup(capture, "enableCapture") is False:
        return ["dataCaptureConfig does not capture traffic, so drift cannot be monitored"]
    percentage = number(lookup(capture, "initialSamplingPercentage"))
    if percentage is not None and percentage <= 0:
        return ["dataCaptureConfig.initialSamplingPercentage is 0, so nothing is captured"]
    return []


CAPTURE_ENABLED = ResourceRule(
    id="MY-SM-012",
    description="Real-time endpoints capture a sample of traffic, so drift monitoring has data.",
    severity="medium",
    anchors=("WA ML Lens: monitor model performance and data drift",),
    levels=ADVISORY_IN_DEV,
    resource_types=ENDPOINT_CONFIG_TYPES,
    check=_captures_for_monitoring,
)


# -- MY-SM-006 / 011: high availability ------------------------------------------------------------------


def _enough_instances(config: Resource) -> list[str] | NotApplicable:
    counted = [
        (f"productionVariants[{position}]", lookup(variant, "initialInstanceCount"))
        for position, variant in enumerate(items_of(config.get("productionVariants")))
        if lookup(variant, "instanceType") is not ABSENT
    ]
    if not counted:
        return NotApplicable("no production variant runs on instances")
    return [
        f"{path}.initialInstanceCount is {shown(count)}, so one instance failure takes the variant down"
        for path, count in counted
        if count is ABSENT or (number(count) is not None and number(count) < MINIMUM_HA_INSTANCES)
    ]


ENDPOINT_HIGH_AVAILABILITY = ResourceRule(
    id="MY-SM-006",
    description="Outside dev, every production variant starts with at least two instances (spread across AZs).",
    severity="high",
    anchors=("SecurityHub SageMaker.4", "AWS Config sagemaker-endpoint-config-prod-instance-count"),
    levels=OFF_IN_DEV,
    resource_types=ENDPOINT_CONFIG_TYPES,
    check=_enough_instances,
)


def _autoscaling_floor(target: Resource) -> list[str] | NotApplicable:
    if lookup(target.inputs, "serviceNamespace") != "sagemaker":
        return NotApplicable("not a SageMaker scalable target")
    floor = lookup(target.inputs, "minCapacity")
    if number(floor) is not None and number(floor) < MINIMUM_HA_INSTANCES:
        return [
            f"minCapacity is {shown(floor)}, so autoscaling can shrink the variant to fewer than two instances"
        ]
    return []


AUTOSCALING_FLOOR = ResourceRule(
    id="MY-SM-011",
    description="Outside dev, SageMaker variant autoscaling never scales below two instances.",
    severity="high",
    anchors=("SecurityHub SageMaker.4 (kept true after scale-in)",),
    levels=OFF_IN_DEV,
    resource_types=SCALABLE_TARGET_TYPES,
    check=_autoscaling_floor,
)


# -- MY-SM-007 / 013: training jobs in pipeline definitions -------------------------------------------------


def _training_steps(pipeline: Resource) -> list[tuple[str, Mapping[str, Any]]] | None:
    """(step name, CreateTrainingJob arguments) of each training or tuning step; None if not inspectable."""
    definition = pipeline.get("pipelineDefinition")
    if definition is ABSENT or definition == UNKNOWN:
        return None
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except json.JSONDecodeError:
            return None
    steps = []
    for step in items_of(lookup(definition, "Steps")):
        arguments = lookup(step, "Arguments")
        if lookup(step, "Type") == "Tuning":
            arguments = lookup(arguments, "TrainingJobDefinition")
        if lookup(step, "Type") in ("Training", "Tuning") and isinstance(arguments, Mapping):
            steps.append((str(lookup(step, "Name")), arguments))
    return steps


def _training_check(judge):
    def check(pipeline: Resource) -> list[str] | NotApplicable:
        steps = _training_steps(pipeline)
        if steps is None:
            return NotApplicable(
                "the pipeline definition is not inline JSON (pipelineDefinitionS3Location or unknown)"
            )
        if not steps:
            return NotApplicable("the pipeline has no training or tuning step")
        return [message for name, arguments in steps if (message := judge(name, arguments))]

    return check


def _inter_container_encrypted(name: str, arguments: Mapping[str, Any]) -> str | None:
    flag = lookup(arguments, "EnableInterContainerTrafficEncryption")
    # Pipeline parameters ({"Get": ...}) are resolved at run time; only a literal false or absence is judged.
    if flag is True or isinstance(flag, Mapping):
        return None
    return f"step {name!r} runs training without EnableInterContainerTrafficEncryption"


TRAINING_INTER_CONTAINER_ENCRYPTION = ResourceRule(
    id="MY-SM-007",
    description="Pipeline training steps encrypt traffic between training containers (distributed training).",
    severity="medium",
    anchors=(
        "WA ML Lens: encrypt data in transit",
        "Steampipe aws_compliance sagemaker_training_job_inter_container_traffic_encryption_enabled",
    ),
    levels=ADVISORY_IN_DEV,
    resource_types=PIPELINE_TYPES,
    check=_training_check(_inter_container_encrypted),
)


def _training_output_encrypted(name: str, arguments: Mapping[str, Any]) -> str | None:
    if is_set(lookup(arguments, "OutputDataConfig", "KmsKeyId")):
        return None
    return f"step {name!r} writes model artifacts without OutputDataConfig.KmsKeyId"


TRAINING_OUTPUT_KMS = ResourceRule(
    id="MY-SM-013",
    description="Pipeline training steps encrypt model artifacts with a KMS key.",
    severity="medium",
    anchors=("WA ML Lens: encrypt model artifacts at rest", "CKV_AWS_367 (monitoring jobs, same intent)"),
    levels=MANDATORY,
    resource_types=PIPELINE_TYPES,
    check=_training_check(_training_output_encrypted),
)


# -- MY-SM-008: GPU allow-list ---------------------------------------------------------------------------


def _instance_types(resource: Resource) -> list[tuple[str, str, tuple[str, ...]]] | None:
    """(path, instance type, allowed GPU families) wherever the resource picks an instance type."""
    if resource.type in ENDPOINT_CONFIG_TYPES:
        return [
            (f"{path}.instanceType", instance_type, INFERENCE_GPU_FAMILIES)
            for path, instance_type in _instance_variants(resource)
        ]
    if resource.type == NODE_GROUP:
        return [
            (f"instanceTypes[{position}]", instance_type, TRAINING_GPU_FAMILIES)
            for position, instance_type in enumerate(items_of(resource.get("instanceTypes")))
        ]
    if resource.type == LAUNCH_TEMPLATE:
        return [("instanceType", resource.get("instanceType"), TRAINING_GPU_FAMILIES)]
    steps = _training_steps(resource)
    return [
        (f"step {name!r} ResourceConfig.InstanceType", instance_type, TRAINING_GPU_FAMILIES)
        for name, arguments in steps or ()
        if isinstance(instance_type := lookup(arguments, "ResourceConfig", "InstanceType"), str)
    ]


def _gpu_allowed(resource: Resource) -> list[str] | NotApplicable:
    chosen = [
        (path, kind, allowed)
        for path, kind, allowed in _instance_types(resource) or ()
        if isinstance(kind, str) and not is_unknown(kind)
    ]
    if not chosen:
        return NotApplicable("the resource names no instance type")
    return [
        f"{path} {kind!r} is a GPU type outside the allowed families {', '.join(allowed)}"
        for path, kind, allowed in chosen
        if disallowed_gpu(kind, allowed)
    ]


GPU_ALLOW_LIST = ResourceRule(
    id="MY-SM-008",
    description="GPU instance types (endpoints, node groups, launch templates, training steps) come from the "
    "allowed families.",
    severity="medium",
    anchors=("WA ML Lens: select optimal instance types (cost)", "WA Cost Optimization: govern usage"),
    levels=MANDATORY,
    resource_types=ENDPOINT_CONFIG_TYPES | PIPELINE_TYPES | frozenset({NODE_GROUP, LAUNCH_TEMPLATE}),
    check=_gpu_allowed,
)


# -- MY-SM-009: safe rollouts -----------------------------------------------------------------------------


def _rolls_back(endpoint: Resource) -> list[str]:
    deployment = lookup(endpoint.inputs, "deploymentConfig")
    if deployment == UNKNOWN:
        return []
    if deployment is ABSENT:
        return [
            "deploymentConfig is not set, so updates switch all traffic at once with no automatic rollback"
        ]
    problems = []
    if (
        lookup(deployment, "blueGreenUpdatePolicy") is ABSENT
        and lookup(deployment, "rollingUpdatePolicy") is ABSENT
    ):
        problems.append("deploymentConfig has neither blueGreenUpdatePolicy nor rollingUpdatePolicy")
    alarms = lookup(deployment, "autoRollbackConfiguration", "alarms")
    if alarms != UNKNOWN and not items_of(alarms):
        problems.append(
            "deploymentConfig.autoRollbackConfiguration.alarms is empty, so a bad model is not rolled back"
        )
    return problems


SAFE_ROLLOUT = ResourceRule(
    id="MY-SM-009",
    description="Endpoints update by shifting traffic (blue/green or rolling) with alarm-driven automatic rollback.",
    severity="medium",
    anchors=("WA ML Lens: enable automatic rollback of deployments",),
    levels=ADVISORY_IN_DEV,
    resource_types=ENDPOINT_TYPES,
    check=_rolls_back,
)


# -- MY-SM-010: images from a private registry ------------------------------------------------------------


def _images(model: Resource) -> list[tuple[str, Any]]:
    images = [("primaryContainer.image", lookup(model.inputs, "primaryContainer", "image"))]
    images += [
        (f"containers[{position}].image", lookup(container, "image"))
        for position, container in enumerate(items_of(model.get("containers")))
    ]
    return [(path, image) for path, image in images if image is not ABSENT]


def _private_images(model: Resource) -> list[str] | NotApplicable:
    images = _images(model)
    if not images:
        return NotApplicable("the model names no container image (model package)")
    return [
        f"{path} {image!r} is not in a private ECR registry, so it is neither scanned nor pinned by this stack"
        for path, image in images
        if isinstance(image, str) and image != UNKNOWN and not PRIVATE_ECR_IMAGE.match(image)
    ]


PRIVATE_IMAGES = ResourceRule(
    id="MY-SM-010",
    description="SageMaker model images come from a private ECR registry.",
    severity="medium",
    anchors=("WA ML Lens: use trusted, scanned container images",),
    levels=MANDATORY,
    resource_types=MODEL_TYPES,
    check=_private_images,
)


# -- MY-SM-014: asynchronous inference output -------------------------------------------------------------


def _async_output_encrypted(config: Resource) -> list[str] | NotApplicable:
    output = lookup(config.inputs, "asyncInferenceConfig", "outputConfig")
    if output in (ABSENT, UNKNOWN):
        return NotApplicable("not an asynchronous endpoint")
    if is_set(lookup(output, "kmsKeyId")):
        return []
    return [
        "asyncInferenceConfig.outputConfig.kmsKeyId is not set, so inference results are not encrypted with your KMS key"
    ]


ASYNC_OUTPUT_KMS = ResourceRule(
    id="MY-SM-014",
    description="Asynchronous endpoints encrypt their S3 results with a KMS key.",
    severity="medium",
    anchors=("WA ML Lens: encrypt inference data at rest",),
    levels=MANDATORY,
    resource_types=ENDPOINT_CONFIG_TYPES,
    check=_async_output_encrypted,
)


RULES = (
    MODEL_NETWORK_ISOLATION,
    MODEL_IN_VPC,
    ENDPOINT_VOLUME_ENCRYPTION,
    CAPTURE_KMS,
    CAPTURE_BUCKET_ENCRYPTED,
    ENDPOINT_HIGH_AVAILABILITY,
    TRAINING_INTER_CONTAINER_ENCRYPTION,
    GPU_ALLOW_LIST,
    SAFE_ROLLOUT,
    PRIVATE_IMAGES,
    AUTOSCALING_FLOOR,
    CAPTURE_ENABLED,
    TRAINING_OUTPUT_KMS,
    ASYNC_OUTPUT_KMS,
)
