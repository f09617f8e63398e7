"""What each shipped stack composes: every component's resources, and dev cheaper and smaller than prod."""

import datetime
import json

import pytest

from modelyard.catalog.image_refs import is_digest_ref
from modelyard.catalog.outputs import StackOutputs
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
from modelyard.policies import evaluate
from modelyard.policies.resources import StackResources
from modelyard.policies.rules.account_singletons import RULE as ACCOUNT_SINGLETONS
from modelyard.policies.rules.eks_standard_support import standard_support_problems

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def plans():
    return {stack: plan_program(DEFAULT_PROGRAM_DIR, stack) for stack in STACKS}


def of_type(plan, resource_type):
    return [resource for resource in plan.resources if resource.type == resource_type]


def test_prod_contains_every_component_and_its_key_resources(plans):
    types = {resource.type for resource in plans["prod"].resources}
    assert {
        # data plane
        "modelyard:network:Network",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "modelyard:keys:EncryptionKey",
        "aws:kms/key:Key",
        "modelyard:storage:ArtifactStore",
        "aws:s3/bucket:Bucket",
        "modelyard:registry:ModelRegistry",
        "aws:ecr/repository:Repository",
        "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        "modelyard:iam:PlatformRoles",
        "modelyard:account:AccountSingletons",
        "modelyard:images:ContainerImages",
        "docker-build:index:Image",
        # compute
        "modelyard:training:TrainingCluster",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:helm.sh/v3:Release",
        "modelyard:inference:InferenceEndpoint",
        "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:appautoscaling/target:Target",
        "aws:appautoscaling/policy:Policy",
        "modelyard:monitoring:Monitoring",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:budgets/budget:Budget",
        # the training pipeline and its triggers
        "modelyard:pipeline:TrainingPipeline",
        "aws:sagemaker/pipeline:Pipeline",
        "aws:scheduler/schedule:Schedule",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:lambda/function:Function",
    } <= types
    daemonsets = {
        r.inputs["metadata"]["name"] for r in of_type(plans["prod"], "kubernetes:apps/v1:DaemonSet")
    }
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
    assert (
        len(of_type(dev, "aws:ec2/natGateway:NatGateway")) == 1
        and len(of_type(prod, "aws:ec2/natGateway:NatGateway")) == 3
    )
    assert all(bucket.retain_on_delete for bucket in of_type(prod, "aws:s3/bucket:Bucket"))
    assert not any(bucket.retain_on_delete for bucket in of_type(dev, "aws:s3/bucket:Bucket"))
    assert all(key.protect for key in of_type(prod, "aws:kms/key:Key"))


def test_three_stacks_in_one_account_create_each_account_singleton_once(plans):
    # The plans as one account holds them: dev creates the GitHub OIDC provider, staging and prod look it up.
    records = [resource.to_json() for stack in STACKS for resource in plans[stack].resources]
    result = ACCOUNT_SINGLETONS.run(StackResources.from_records(records))
    assert result.outcome == "pass", result.findings
    providers = [r for r in records if r["type"] == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"]
    assert [provider["urn"].split("::")[0] for provider in providers] == ["urn:pulumi:dev"]
    # Every stack's CI roles trust that one provider.
    for stack in STACKS:
        [release] = [r for r in plans[stack].resources if r.name == f"modelyard-{stack}-ci-release"]
        trust = json.loads(release.inputs["assumeRolePolicy"])["Statement"][0]
        assert (
            trust["Principal"]["Federated"]
            == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        )


def test_deploy_and_model_run_images_built_in_the_update_by_digest(plans):
    for stack in STACKS:
        plan = plans[stack]
        builds = {image.urn: image for image in of_type(plan, "docker-build:index:Image")}
        assert sorted(image.name for image in builds.values()) == [
            f"modelyard-{stack}-serving",
            f"modelyard-{stack}-training",
        ]
        [function] = of_type(plan, "aws:lambda/function:Function")
        [model] = of_type(plan, "aws:sagemaker/model:Model")
        for resource, image in (
            (function, function.inputs["imageUri"]),
            (model, model.inputs["primaryContainer"]["image"]),
        ):
            assert is_digest_ref(image), image
            assert set(builds) & set(resource.dependencies), (
                f"{resource.name} does not wait for its image build"
            )
        # The pipeline's jobs and deploy step name the images by tag: the one tag both builds push.
        [tag] = {image.inputs["tags"][0].rsplit(":", 1)[1] for image in builds.values()}
        [pipeline] = of_type(plan, "aws:sagemaker/pipeline:Pipeline")
        parameters = json.loads(pipeline.inputs["pipelineDefinition"])["Parameters"]
        assert {"Name": "ImageTag", "Type": "String", "DefaultValue": tag} in parameters


def test_what_runs_under_a_role_waits_for_its_policies_and_the_endpoint_for_its_log_group(plans):
    plan = plans["prod"]
    by_name = {resource.name: resource for resource in plan.resources}
    function, model = by_name["modelyard-prod-deploy"], by_name["modelyard-prod-model"]
    # The deploy role's VPC ENI permissions (CreateFunction checks them) and the execution role's ECR pull.
    assert by_name["modelyard-prod-deploy-endpoint"].urn in function.dependencies
    assert by_name["modelyard-prod-pull-modelyard-prod-sagemaker-execution-serving"].urn in model.dependencies
    # Two resources share the name "modelyard-prod-endpoint-logs" (the Logs interface endpoint and the log group).
    [log_group] = [
        group
        for group in of_type(plan, "aws:cloudwatch/logGroup:LogGroup")
        if group.name == "modelyard-prod-endpoint-logs"
    ]
    assert log_group.urn in by_name["modelyard-prod-endpoint"].dependencies


def test_node_volume_key_lets_auto_scaling_launch_instances(plans):
    [key] = of_type(plans["prod"], "aws:kms/key:Key")
    statements = json.loads(key.inputs["policy"])["Statement"]
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    granted = [s for s in statements if s["Principal"] == {"AWS": role}]
    actions = {
        action for s in granted for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions >= {"kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"}


def test_shipped_eks_versions_are_in_standard_support_and_reachable(plans):
    today = datetime.date(2026, 12, 6)
    for stack in STACKS:
        [cluster] = of_type(plans[stack], "aws:eks/cluster:Cluster")
        assert standard_support_problems(cluster.inputs["version"], today) == []
        # `pulumi up` applies the Kubernetes resources through this endpoint: public, to named CIDRs only.
        vpc = cluster.inputs["vpcConfig"]
        assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is True
        assert vpc["publicAccessCidrs"] and "0.0.0.0/0" not in vpc["publicAccessCidrs"]


def test_every_stack_passes_the_deploy_order_rules(plans):
    deploy_order = {"MY-DEP-001", "MY-DEP-002", "MY-DEP-003", "MY-DEP-004", "MY-DEP-005", "MY-EKS-006"}
    for stack in STACKS:
        report = evaluate([resource.to_json() for resource in plans[stack].resources], stack)
        assert [v for v in report["violations"] if v["rule_id"] in deploy_order] == [], stack
        # The image, key and role checks each found something to judge in every stack.
        assert {report["outcomes"][rule] for rule in ("MY-DEP-001", "MY-DEP-002", "MY-DEP-003")} == {
            "pass"
        }, stack
