"""TrainingPipeline: the SageMaker pipeline, its schedule, the drift alarm -> rule -> pipeline chain, the deploy Lambda."""

from __future__ import annotations

import json

import pulumi
import pytest

from modelyard.components.training_pipeline import TrainingPipeline, TrainingPipelineArgs
from modelyard.components.validation import ComponentArgsError

KEY = "arn:aws:kms:us-east-1:123456789012:key/0b0c0d0e-1111-2222-3333-444455556666"
TOPIC = "arn:aws:sns:us-east-1:123456789012:unit-alarms"
DEFINITION = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": []})
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/unit-training:1.0.0"


def pipeline_args(tags, **overrides) -> TrainingPipelineArgs:
    values = {
        "pipeline_name": "unit-pipeline",
        "definition": DEFINITION,
        "role_arn": "arn:aws:iam::123456789012:role/pipeline",
        "kms_key_arn": KEY,
        "alarm_topic_arn": TOPIC,
        "deploy_function_name": "unit-deploy",
        "deploy_image_uri": IMAGE,
        "deploy_role_arn": "arn:aws:iam::123456789012:role/deploy",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "security_group_ids": ["sg-pipeline"],
        "tags": tags,
    }
    values.update(overrides)
    return TrainingPipelineArgs(**values)


def run_pipeline(program, args: TrainingPipelineArgs):
    def build():
        pipeline = TrainingPipeline("pipe", args)
        pulumi.export("pipeline_arn", pipeline.pipeline_arn)
        pulumi.export("schedule_arn", pipeline.schedule_arn)
        pulumi.export("drift_alarm_arn", pipeline.drift_alarm_arn)
        pulumi.export("deploy_function_arn", pipeline.deploy_function_arn)

    run = program(build)
    assert run.error is None, run.error
    return run


@pytest.fixture
def default_run(program, tags):
    args = pipeline_args(
        tags, schedule_parameters={"DataVersion": "latest"}, drift_parameters={"TriggerReason": "drift"}
    )
    return run_pipeline(program, args)


def test_pipeline_takes_the_definition_role_and_name(default_run, tags):
    pipeline = default_run.one("aws:sagemaker/pipeline:Pipeline")
    assert pipeline.inputs["pipelineName"] == "unit-pipeline"
    assert pipeline.inputs["pipelineDefinition"] == DEFINITION
    assert pipeline.inputs["roleArn"] == "arn:aws:iam::123456789012:role/pipeline"
    assert pipeline.inputs["tags"] == tags
    # The Lambda step's function exists before the pipeline that names it.
    assert default_run.one("aws:lambda/function:Function").urn in pipeline.dependencies
    component = default_run.one("modelyard:pipeline:TrainingPipeline")
    assert len(default_run.children_of(component)) == len(default_run.resources) - 1


def test_schedule_starts_only_this_pipeline(default_run):
    schedule = default_run.one("aws:scheduler/schedule:Schedule").inputs
    pipeline_arn = default_run.outputs["pipeline_arn"]
    assert schedule["scheduleExpression"] == "rate(7 days)"
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule["kmsKeyArn"] == KEY
    assert schedule["target"]["arn"] == pipeline_arn
    assert schedule["target"]["sagemakerPipelineParameters"] == {
        "pipelineParameters": [{"name": "DataVersion", "value": "latest"}]
    }
    role = default_run.named("pipe-scheduler-role")
    assert schedule["target"]["roleArn"].endswith(role.id)
    [trust] = default_run.statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    start, decrypt = default_run.statements(default_run.named("pipe-scheduler-role-policy"))
    assert (start["Action"], start["Resource"]) == (["sagemaker:StartPipelineExecution"], [pipeline_arn])
    assert (decrypt["Action"], decrypt["Resource"]) == (["kms:Decrypt"], [KEY])


def test_drift_alarm_rule_and_target_chain_to_the_pipeline(default_run):
    alarm = default_run.one("aws:cloudwatch/metricAlarm:MetricAlarm").inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("Modelyard/Drift", "MaxFeaturePSI")
    assert alarm["threshold"] == 0.2
    assert alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["alarmActions"] == [TOPIC]

    rule = default_run.one("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [default_run.outputs["drift_alarm_arn"]],
        "detail": {"state": {"value": ["ALARM"]}},
    }
    target = default_run.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["rule"] == rule.inputs["name"]
    assert target["arn"] == default_run.outputs["pipeline_arn"]
    assert target["sagemakerPipelineTarget"] == {
        "pipelineParameterLists": [{"name": "TriggerReason", "value": "drift"}]
    }
    role = default_run.named("pipe-events-role")
    assert target["roleArn"].endswith(role.id)
    assert default_run.statements(role, "assumeRolePolicy")[0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    [start] = default_run.statements(default_run.named("pipe-events-role-policy"))
    assert (start["Action"], start["Resource"]) == (
        ["sagemaker:StartPipelineExecution"],
        [default_run.outputs["pipeline_arn"]],
    )


def test_deploy_lambda_runs_our_image_in_the_vpc_with_its_own_log_group(default_run):
    function = default_run.one("aws:lambda/function:Function")
    inputs = function.inputs
    assert inputs["name"] == "unit-deploy"
    assert inputs["packageType"] == "Image"
    assert inputs["imageUri"] == IMAGE
    assert inputs["imageConfig"] == {
        "entryPoints": ["python", "-m", "awslambdaric"],
        "commands": ["modelyard.pipelines.steps.deploy.lambda_handler"],
    }
    assert inputs["timeout"] == 900
    assert inputs["vpcConfig"] == {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-pipeline"]}
    assert "kmsKeyArn" not in inputs  # no environment, nothing for the key to encrypt (checkov CKV_AWS_173)
    assert inputs["tracingConfig"] == {"mode": "Active"}  # checkov CKV_AWS_50
    log_group = default_run.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == "/aws/lambda/unit-deploy"
    assert (log_group.inputs["retentionInDays"], log_group.inputs["kmsKeyId"]) == (365, KEY)
    assert inputs["loggingConfig"]["logGroup"] == "/aws/lambda/unit-deploy"
    assert log_group.urn in function.dependencies
    assert (
        default_run.outputs["deploy_function_arn"]
        == "arn:aws:lambda:us-east-1:123456789012:function:unit-deploy"
    )


def test_no_schedule_when_none_is_configured(program, tags):
    run = run_pipeline(program, pipeline_args(tags, schedule_expression=None))
    assert run.of_type("aws:scheduler/schedule:Schedule") == []
    assert "pipe-scheduler-role" not in {r.name for r in run.resources}
    assert run.outputs.get("schedule_arn") is None
    assert (
        "pipelineParameterLists"
        not in run.one("aws:cloudwatch/eventTarget:EventTarget").inputs["sagemakerPipelineTarget"]
    )


def test_invalid_args_fail_with_every_problem_before_anything_is_created(program, tags):
    args = pipeline_args(
        tags,
        pipeline_name="x" * 51,
        definition="{not json",
        deploy_function_name="bad name",
        schedule_expression="weekly",
        drift_period_seconds=90,
        deploy_timeout_seconds=1200,
        drift_parameters={"bad name": "x"},
    )
    run = program(lambda: TrainingPipeline("pipe", args))
    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for expected in (
        "pipeline_name: ",
        "definition: not valid JSON",
        "deploy_function_name: 'bad name'",
        "schedule_expression: 'weekly' is not a cron(), rate() or at() expression",
        "drift_period_seconds: must be a multiple of 60 (got 90)",
        "deploy_timeout_seconds: must be in [1, 900] (got 1200)",
        "drift_parameters.bad name: not a pipeline parameter name",
    ):
        assert expected in message, f"{expected!r} not in {message}"
    assert run.resources == []


def test_what_runs_under_a_role_waits_for_its_policies(program, tags):
    import pulumi_aws as aws

    def build():
        pipeline_policy = aws.iam.RolePolicy("pipeline-steps", role="pipeline", policy="{}")
        deploy_policy = aws.iam.RolePolicy("deploy-vpc", role="deploy", policy="{}")
        TrainingPipeline(
            "pipe", pipeline_args(tags, role_policies=[pipeline_policy], deploy_role_policies=[deploy_policy])
        )

    run = program(build)
    assert run.error is None, run.error
    # Lambda's CreateFunction checks the VPC ENI permissions of its role; CreatePipeline checks its role.
    assert run.named("deploy-vpc").urn in run.one("aws:lambda/function:Function").dependencies
    assert run.named("pipeline-steps").urn in run.one("aws:sagemaker/pipeline:Pipeline").dependencies
    # The schedule and the drift target start the pipeline as roles this component creates, after their policies.
    assert (
        run.named("pipe-scheduler-role-policy").urn in run.one("aws:scheduler/schedule:Schedule").dependencies
    )
    assert (
        run.named("pipe-events-role-policy").urn
        in run.one("aws:cloudwatch/eventTarget:EventTarget").dependencies
    )


def test_deploy_lambda_environment_is_encrypted_with_the_stack_key(tags, program):
    run = run_pipeline(program, pipeline_args(tags, deploy_environment={"STAGE": "unit"}))
    inputs = run.one("aws:lambda/function:Function").inputs
    assert inputs["environment"] == {"variables": {"STAGE": "unit"}}
    assert inputs["kmsKeyArn"] == KEY
