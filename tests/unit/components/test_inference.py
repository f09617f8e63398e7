"""InferenceEndpoint: isolated model in the VPC, captured and encrypted config, blue/green with rollback alarms, scaling."""

from __future__ import annotations

import pulumi
import pytest

from modelyard.components.inference import InferenceEndpoint, InferenceEndpointArgs, ScaleSchedule
from modelyard.components.validation import ComponentArgsError

KEY = "arn:aws:kms:us-east-1:123456789012:key/0b0c0d0e-1111-2222-3333-444455556666"
TOPIC = "arn:aws:sns:us-east-1:123456789012:unit-alarms"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/unit-serving:1.0.0"


def endpoint_args(tags, **overrides) -> InferenceEndpointArgs:
    values = {
        "endpoint_name": "unit-endpoint",
        "execution_role_arn": "arn:aws:iam::123456789012:role/sagemaker-execution",
        "image_uri": IMAGE,
        "artifact_bucket_name": "unit-artifacts",
        "capture_bucket_name": "unit-capture",
        "kms_key_arn": KEY,
        "subnet_ids": ["subnet-a", "subnet-b"],
        "security_group_ids": ["sg-inference"],
        "alarm_topic_arn": TOPIC,
        "tags": tags,
    }
    values.update(overrides)
    return InferenceEndpointArgs(**values)


def run_endpoint(program, args: InferenceEndpointArgs):
    def build():
        endpoint = InferenceEndpoint("serve", args)
        pulumi.export("endpoint_name", endpoint.endpoint_name)
        pulumi.export("endpoint_config_name", endpoint.endpoint_config_name)
        pulumi.export("model_name", endpoint.model_name)
        pulumi.export("model_data_url", endpoint.model_data_url)
        pulumi.export("rollback_alarm_names", endpoint.rollback_alarm_names)
        pulumi.export("capture_s3_uri", endpoint.capture_s3_uri)

    run = program(build)
    assert run.error is None, run.error
    return run


@pytest.fixture
def default_run(program, tags):
    return run_endpoint(program, endpoint_args(tags))


def test_children_are_parented_and_tagged(default_run, tags):
    component = default_run.one("modelyard:inference:InferenceEndpoint")
    assert len(default_run.children_of(component)) == len(default_run.resources) - 1
    for resource in default_run.resources[1:]:
        if resource.type.startswith("aws:sagemaker") or resource.type.startswith("aws:cloudwatch"):
            assert resource.inputs["tags"] == tags, resource.name


def test_model_is_network_isolated_in_the_vpc_and_serves_the_bootstrap_model(default_run):
    model = default_run.one("aws:sagemaker/model:Model").inputs
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"] == {"subnets": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-inference"]}
    assert model["primaryContainer"]["image"] == IMAGE
    assert model["primaryContainer"]["modelDataUrl"] == "s3://unit-artifacts/bootstrap/model.tar.gz"
    assert default_run.outputs["model_data_url"] == "s3://unit-artifacts/bootstrap/model.tar.gz"


def test_endpoint_config_has_a_gpu_variant_and_encrypted_data_capture(default_run):
    config = default_run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    [variant] = config["productionVariants"]
    assert variant["variantName"] == "primary"
    assert variant["instanceType"] == "ml.g5.xlarge"
    assert variant["initialInstanceCount"] == 1
    assert variant["modelName"] == default_run.outputs["model_name"]
    capture = config["dataCaptureConfig"]
    assert capture["enableCapture"] is True
    assert capture["initialSamplingPercentage"] == 20
    assert capture["destinationS3Uri"] == "s3://unit-capture/datacapture"
    assert capture["kmsKeyId"] == KEY
    assert {option["captureMode"] for option in capture["captureOptions"]} == {"Input", "Output"}
    # g5 has NVMe instance storage, hardware-encrypted; SageMaker rejects a volume key for it.
    assert "kmsKeyArn" not in config
    assert "shadowProductionVariants" not in config


def test_rollback_alarms_are_wired_into_the_blue_green_deployment(default_run):
    alarms = {a.name: a for a in default_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {"serve-rollback-5xx", "serve-rollback-latency"}
    five_xx, latency = alarms["serve-rollback-5xx"].inputs, alarms["serve-rollback-latency"].inputs
    assert five_xx["metricName"] == "Invocation5XXErrors"
    assert latency["metricName"] == "ModelLatency"
    assert latency["extendedStatistic"] == "p99"
    assert latency["threshold"] == 250_000  # microseconds
    for alarm in (five_xx, latency):
        assert alarm["dimensions"] == {"EndpointName": "unit-endpoint", "VariantName": "primary"}
        assert alarm["alarmActions"] == [TOPIC]

    endpoint = default_run.one("aws:sagemaker/endpoint:Endpoint")
    deployment = endpoint.inputs["deploymentConfig"]
    wired = [alarm["alarmName"] for alarm in deployment["autoRollbackConfiguration"]["alarms"]]
    assert wired == [five_xx["name"], latency["name"]]
    assert sorted(wired) == sorted(default_run.outputs["rollback_alarm_names"].values())
    routing = deployment["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing == {
        "type": "CANARY",
        "waitIntervalInSeconds": 600,
        "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
    }
    assert deployment["blueGreenUpdatePolicy"]["terminationWaitInSeconds"] == 300
    assert endpoint.inputs["name"] == "unit-endpoint"
    assert endpoint.inputs["endpointConfigName"] == default_run.outputs["endpoint_config_name"]
    # The alarms exist before the endpoint refers to them by name.
    assert {alarms[name].urn for name in alarms} <= set(endpoint.dependencies)


def test_endpoint_ignores_config_changes_made_by_pipeline_deployments(program, tags, monkeypatch):
    from modelyard.planning.recorder import RecordingMonitor

    ignored: dict[str, list[str]] = {}
    register = RecordingMonitor.RegisterResource

    def spy(self, request):
        ignored[request.name] = list(request.ignoreChanges)
        return register(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", spy)
    run_endpoint(program, endpoint_args(tags))
    assert ignored["serve-endpoint"] == ["endpointConfigName"]
    assert ignored["serve-scaling-target"] == []  # no schedule: `pulumi up` owns min/max

    run_endpoint(program, endpoint_args(tags, schedule=ScaleSchedule()))
    # With a schedule the scheduled actions move min/max; `pulumi up` at night must not undo them.
    assert ignored["serve-scaling-target"] == ["minCapacity", "maxCapacity"]


def test_autoscaling_tracks_invocations_within_bounds_and_has_no_schedule_by_default(default_run):
    target = default_run.one("aws:appautoscaling/target:Target").inputs
    assert target["serviceNamespace"] == "sagemaker"
    assert target["resourceId"] == "endpoint/unit-endpoint/variant/primary"
    assert target["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["minCapacity"], target["maxCapacity"]) == (1, 2)
    policy = default_run.one("aws:appautoscaling/policy:Policy").inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 200
    assert (
        tracking["predefinedMetricSpecification"]["predefinedMetricType"]
        == "SageMakerVariantInvocationsPerInstance"
    )
    assert default_run.of_type("aws:appautoscaling/scheduledAction:ScheduledAction") == []


def test_prod_shape_linear_shadow_and_configured_model(program, tags):
    args = endpoint_args(
        tags,
        instance_type="ml.inf2.xlarge",
        instance_count=2,
        min_capacity=2,
        max_capacity=6,
        deployment_strategy="linear",
        traffic_step_percent=25,
        shadow_instance_type="ml.inf2.xlarge",
        model_data_url="s3://unit-artifacts/models/v7/model.tar.gz",
    )
    run = run_endpoint(program, args)
    config = run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    assert config["kmsKeyArn"] == KEY  # inf2 has no instance storage: the ML volume takes the key
    assert config["productionVariants"][0]["initialInstanceCount"] == 2
    [shadow] = config["shadowProductionVariants"]
    assert shadow["variantName"] == "primary-shadow"
    routing = run.one("aws:sagemaker/endpoint:Endpoint").inputs["deploymentConfig"]["blueGreenUpdatePolicy"][
        "trafficRoutingConfiguration"
    ]
    assert routing["type"] == "LINEAR"
    assert routing["linearStepSize"] == {"type": "CAPACITY_PERCENT", "value": 25}
    target = run.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert (
        run.one("aws:sagemaker/model:Model")
        .inputs["primaryContainer"]["modelDataUrl"]
        .endswith("/v7/model.tar.gz")
    )
    assert run.of_type("aws:s3/bucketObjectv2:BucketObjectv2") == []


def test_dev_schedule_scales_down_then_back_up(program, tags):
    schedule = ScaleSchedule(
        scale_down_cron="cron(0 19 ? * MON-FRI *)", scale_up_cron="cron(0 7 ? * MON-FRI *)"
    )
    run = run_endpoint(program, endpoint_args(tags, max_capacity=3, schedule=schedule))
    actions = {a.name: a for a in run.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")}
    assert set(actions) == {"serve-scale-down", "serve-scale-up"}
    down, up = actions["serve-scale-down"].inputs, actions["serve-scale-up"].inputs
    assert down["schedule"] == "cron(0 19 ? * MON-FRI *)"
    assert down["scalableTargetAction"] == {"minCapacity": 1, "maxCapacity": 1}
    assert up["schedule"] == "cron(0 7 ? * MON-FRI *)"
    assert up["scalableTargetAction"] == {"minCapacity": 1, "maxCapacity": 3}
    assert down["resourceId"] == up["resourceId"] == "endpoint/unit-endpoint/variant/primary"
    assert actions["serve-scale-down"].urn in actions["serve-scale-up"].dependencies


def test_bootstrap_archive_is_uploaded_encrypted_before_the_model(program, tags, tmp_path):
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"bootstrap")
    run = run_endpoint(program, endpoint_args(tags, bootstrap_model_archive=pulumi.FileAsset(str(archive))))
    upload = run.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert upload.inputs["bucket"] == "unit-artifacts"
    assert upload.inputs["key"] == "bootstrap/model.tar.gz"
    assert upload.inputs["serverSideEncryption"] == "aws:kms"
    assert upload.inputs["kmsKeyId"] == KEY
    assert upload.urn in run.one("aws:sagemaker/model:Model").dependencies


def test_invalid_args_fail_with_every_problem_before_anything_is_created(program, tags):
    args = endpoint_args(
        tags,
        endpoint_name="bad_name",
        instance_type="ml.m5.xlarge",
        min_capacity=0,
        instance_count=3,
        max_capacity=2,
        traffic_step_percent=80,
        bake_minutes=90,
        model_data_url="https://example.com/model.tar.gz",
        bootstrap_model_archive=pulumi.StringAsset("x"),
        schedule=ScaleSchedule(off_hours_capacity=0, scale_down_cron="19:00"),
    )
    run = program(lambda: InferenceEndpoint("serve", args))
    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for expected in (
        "endpoint_name: 'bad_name'",
        "instance_type: 'ml.m5.xlarge' is not an ml.* type in the GPU families g5, g6, g6e, p4d, p5, inf2",
        "min_capacity: SageMaker endpoint variants cannot scale below 1 instance (got 0)",
        "instance_count: capacities must satisfy min_capacity <= instance_count <= max_capacity (got 0, 3, 2)",
        "traffic_step_percent: must be in [1, 50] (got 80)",
        "bake_minutes: must be in [0, 60] (got 90)",
        "model_data_url: 'https://example.com/model.tar.gz' is not an s3:// URI",
        "bootstrap_model_archive: only applies without model_data_url",
        "schedule.scale_down_cron: '19:00' is not a cron(), rate() or at() expression",
        "schedule.off_hours_capacity: must be between 1",
    ):
        assert expected in message, f"{expected!r} not in {message}"
    assert run.resources == []


def test_model_waits_for_the_execution_role_policies_and_endpoint_for_its_log_group(program, tags):
    import pulumi_aws as aws

    def build():
        role = aws.iam.Role("execution", assume_role_policy="{}")
        pull = aws.iam.RolePolicy("execution-pull", role=role.name, policy="{}")
        log_group = aws.cloudwatch.LogGroup("endpoint-logs", name="/aws/sagemaker/Endpoints/unit-endpoint")
        InferenceEndpoint(
            "serve",
            endpoint_args(
                tags,
                execution_role_arn=role.arn,
                execution_role_policies=[pull],
                endpoint_log_group=log_group,
            ),
        )

    run = program(build)
    assert run.error is None, run.error
    # SageMaker checks the role's image and VPC access at CreateModel, and creates its own log group otherwise.
    assert run.named("execution-pull").urn in run.one("aws:sagemaker/model:Model").dependencies
    assert run.named("endpoint-logs").urn in run.one("aws:sagemaker/endpoint:Endpoint").dependencies
