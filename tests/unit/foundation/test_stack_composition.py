"""What each shipped stack composes: every component's resources, and dev cheaper and smaller than prod."""

import pytest

from modelyard.catalog.outputs import StackOutputs
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program


@pytest.fixture(scope="module")
def plans():
    return {stack: plan_program(DEFAULT_PROGRAM_DIR, stack) for stack in ("dev", "prod")}


def of_type(plan, resource_type):
    return [resource for resource in plan.resources if resource.type == resource_type]


def test_prod_contains_every_component_and_its_key_resources(plans):
    types = {resource.type for resource in plans["prod"].resources}
    assert {
        # data plane
        "modelyard:network:Network", "aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway", "aws:ec2/flowLog:FlowLog",
        "aws:ec2/vpcEndpoint:VpcEndpoint", "modelyard:keys:EncryptionKey", "aws:kms/key:Key",
        "modelyard:storage:ArtifactStore", "aws:s3/bucket:Bucket", "modelyard:registry:ModelRegistry",
        "aws:ecr/repository:Repository", "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "modelyard:iam:PlatformRoles",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        # compute
        "modelyard:training:TrainingCluster", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
        "kubernetes:apps/v1:DaemonSet", "kubernetes:helm.sh/v3:Release",
        "modelyard:inference:InferenceEndpoint", "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "aws:sagemaker/endpoint:Endpoint",
        "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy",
        "modelyard:monitoring:Monitoring", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/dashboard:Dashboard",
        "aws:budgets/budget:Budget",
        # the training pipeline and its triggers
        "modelyard:pipeline:TrainingPipeline", "aws:sagemaker/pipeline:Pipeline", "aws:scheduler/schedule:Schedule",
        "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget", "aws:lambda/function:Function",
    } <= types
    daemonsets = {r.inputs["metadata"]["name"] for r in of_type(plans["prod"], "kubernetes:apps/v1:DaemonSet")}
    assert any("device-plugin" in name for name in daemonsets) and any("dcgm" in name for name in daemonsets)
    [release] = of_type(plans["prod"], "kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"].endswith("kubeflow-trainer") and release.inputs["version"] == "2.3.0"


def test_every_resource_hangs_under_a_component(plans):
    stack_urn = "urn:pulumi:prod::modelyard::pulumi:pulumi:Stack::modelyard-prod"
    top_level = {r.type for r in plans["prod"].resources if r.parent == stack_urn}
    assert top_level and all(resource_type.startswith("modelyard:") for resource_type in top_level), top_level


def test_outputs_are_the_contract(plans):
    for plan in plans.values():
        outputs = StackOutputs.model_validate(plan.outputs)
        assert set(plan.outputs) == set(StackOutputs.model_fields)
        assert outputs.region == "us-east-1" and outputs.account_id == "123456789012"
        assert outputs.sagemaker_training_role_arn.startswith("arn:aws:iam::123456789012:role/")
    assert "kubeconfig" in plans["prod"].secret_outputs


def test_dev_is_small_and_cheap_prod_is_highly_available(plans):
    dev, prod = plans["dev"], plans["prod"]
    gpu_groups = [g for g in of_type(dev, "aws:eks/nodeGroup:NodeGroup") if "system" not in g.name]
    assert gpu_groups and all(group.inputs["capacityType"] == "SPOT" for group in gpu_groups)
    assert len(of_type(dev, "aws:appautoscaling/scheduledAction:ScheduledAction")) == 2
    assert not of_type(prod, "aws:appautoscaling/scheduledAction:ScheduledAction")
    [dev_config] = of_type(dev, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    [prod_config] = of_type(prod, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    assert dev_config.inputs["productionVariants"][0]["initialInstanceCount"] == 1
    assert prod_config.inputs["productionVariants"][0]["initialInstanceCount"] >= 2
    [prod_target] = of_type(prod, "aws:appautoscaling/target:Target")
    assert prod_target.inputs["minCapacity"] >= 2
    assert len(of_type(dev, "aws:ec2/natGateway:NatGateway")) == 1 and len(of_type(prod, "aws:ec2/natGateway:NatGateway")) == 3
    assert all(bucket.retain_on_delete for bucket in of_type(prod, "aws:s3/bucket:Bucket"))
    assert not any(bucket.retain_on_delete for bucket in of_type(dev, "aws:s3/bucket:Bucket"))
    assert all(key.protect for key in of_type(prod, "aws:kms/key:Key"))
