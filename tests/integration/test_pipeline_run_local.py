"""The compiled dev definition, executed step by step through the real steps against the local cloud."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from stack_fixture import dev_outputs, dev_role_policies

from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.local_executor import FAILED, NOT_EXECUTED, SUCCEEDED
from modelyard.pipelines.definition.local_run import run_pipeline_locally
from modelyard.pipelines.iam_check.role_policies import RolePolicies, role_name
from modelyard.pipelines.iam_check.step_services import step_services
from modelyard.pipelines.stack_outputs import outputs_from_file
from modelyard.policies.iam_evaluation import NamedPolicy
from modelyard.policies.step_aws_services import recorded_step_services
from modelyard.stacks.config import load_stack_config
from modelyard.stacks.pipeline_settings import pipeline_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

STEPS = [
    "IngestData",
    "TrainModel",
    "EvaluateModel",
    "CheckEvaluation",
    "RegisterModel",
    "DeployModel",
    "MonitorDrift",
    "EvaluationGateFailed",
]


@pytest.fixture(scope="module")
def local_cloud(tmp_path_factory):
    from modelyard.pipelines.local_cloud import lifecycle

    root = tmp_path_factory.mktemp("local-cloud")
    state = lifecycle.up("dev", root=root, outputs=dev_outputs())
    try:
        yield state, root
    finally:
        lifecycle.down("dev", root=root)


def run(local_cloud, role_policies=None, **parameters):
    """One execution whose every AWS and MLflow call is authorized against the dev plan's role policies."""
    state, root = local_cloud
    outputs = outputs_from_file(state.outputs_file)
    clients = AwsClients(outputs.region, state.endpoint_url)
    result = run_pipeline_locally(
        outputs,
        pipeline_settings(load_stack_config("dev"), outputs),
        clients=clients,
        environment=state.environment(),
        work_dir=root / "runs",
        parameters=parameters,
        role_policies=role_policies or dev_role_policies(),
    )
    return result, outputs, clients


def without_action(policies: RolePolicies, role_arn: str, action: str) -> RolePolicies:
    """The plan's policies with `action` taken out of every statement of one role."""

    def strip(policy: NamedPolicy) -> NamedPolicy:
        statements = []
        for statement in policy.statements():
            actions = statement.get("Action")
            if isinstance(actions, list) and action in actions:
                statement = {**statement, "Action": [a for a in actions if a != action]}
            elif actions == action:
                continue
            statements.append(statement)
        return NamedPolicy(policy.name, {**policy.document, "Statement": statements})

    name = role_name(role_arn)
    return dataclasses.replace(
        policies, roles={**policies.roles, name: [strip(p) for p in policies.roles[name]]}
    )


def test_failed_gate_stops_before_register_and_deploy(local_cloud):
    result, outputs, clients = run(local_cloud, MinAccuracy=0.9999)

    assert result.status == FAILED
    assert [(r.name, r.status) for r in result.steps] == [
        ("IngestData", SUCCEEDED),
        ("TrainModel", SUCCEEDED),
        ("EvaluateModel", SUCCEEDED),
        ("CheckEvaluation", SUCCEEDED),
        ("RegisterModel", NOT_EXECUTED),
        ("DeployModel", NOT_EXECUTED),
        ("MonitorDrift", NOT_EXECUTED),
        ("EvaluationGateFailed", FAILED),
    ]
    assert result.failure_reason.startswith("Evaluation gate failed: ")
    assert "0.9999" in result.failure_reason
    sagemaker = clients.sagemaker
    assert (
        sagemaker.list_model_packages(ModelPackageGroupName=outputs.model_package_group_name)[
            "ModelPackageSummaryList"
        ]
        == []
    )
    assert sagemaker.list_endpoints(NameContains=outputs.endpoint_name)["Endpoints"] == []


def test_full_run_registers_deploys_and_monitors(local_cloud):
    result, outputs, clients = run(local_cloud)

    assert result.status == SUCCEEDED, result.failure_reason
    assert [r.name for r in result.steps] == STEPS
    assert [r.status for r in result.steps] == [SUCCEEDED] * 7 + [NOT_EXECUTED]
    train = result.step("TrainModel").outputs
    assert train["model_uri"].startswith(
        f"{outputs.training_output_path.rstrip('/')}/pipelines-{result.execution_id}-"
    )
    assert train["metrics"]["accuracy"] > 0.9
    evaluation = result.step("EvaluateModel").outputs["EvaluationReport"]
    assert evaluation["passed"] is True, evaluation
    assert evaluation["model_uri"] == train["model_uri"]
    registration = result.step("RegisterModel").outputs["RegistrationReport"]
    assert registration["model_package_arn"].startswith(f"arn:aws:sagemaker:{outputs.region}:")
    assert result.step("DeployModel").outputs["endpoint_name"] == outputs.endpoint_name
    endpoint = clients.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == result.step("DeployModel").outputs["endpoint_config_name"]
    drift = result.step("MonitorDrift").outputs["DriftReport"]
    assert drift["current"] == result.step("IngestData").outputs["IngestReport"]["test_uri"]
    assert drift["max_psi"] >= 0 and drift["psi_threshold"] == 0.2
    # The undrifted test split is not drift, even where its small-sample PSI crosses the threshold.
    assert drift["drift_detected"] is False and drift["drifted_features"] == []
    assert drift["report_uri"].startswith(f"s3://{outputs.artifact_bucket}/")
    execution = clients.sagemaker.describe_pipeline_execution(PipelineExecutionArn=result.execution_arn)
    assert execution["PipelineArn"] == result.pipeline_arn
    # Least privilege, proven: every call of every step was authorized by its role's policies in the plan.
    assert result.iam["denied"] == []
    assert all(
        record.iam_calls > 0 for record in result.steps if record.step_type in ("Processing", "Lambda")
    )
    assert result.iam["calls_checked"] == sum(record.iam_calls for record in result.steps)
    # The network-reach rule's step-to-service table is what this run's steps called, not a hand-kept list.
    calls = [
        json.loads(line)
        for line in (local_cloud[1] / "runs" / "iam" / "calls.jsonl").read_text().splitlines()
    ]
    assert step_services(calls) == recorded_step_services(), (
        "the steps call other services now: regenerate with `python -m modelyard.pipelines.iam_check.step_services "
        "<runs>/iam/calls.jsonl`"
    )


def test_a_permission_missing_from_the_plan_fails_the_step_with_access_denied(local_cloud):
    outputs = outputs_from_file(local_cloud[0].outputs_file)
    # The first read as the pipeline role: SageMaker staging Ingest's stack-outputs input (GetObject).
    policies = without_action(dev_role_policies(), outputs.pipeline_role_arn, "s3:GetObject")

    result, _, _ = run(local_cloud, role_policies=policies)

    assert result.status == FAILED
    ingest = result.step("IngestData")
    assert ingest.status == FAILED and ingest.iam_denied == 1
    assert "AccessDenied" in ingest.failure_reason
    assert (
        f"assumed-role/{role_name(outputs.pipeline_role_arn)}/SageMaker is not authorized to perform: "
        f"s3:GetObject on resource: arn:aws:s3:::{outputs.artifact_bucket}/pipelines/{outputs.pipeline_name}/"
        "stack-outputs.json"
    ) in ingest.failure_reason
    assert [record.status for record in result.steps[1:]] == [NOT_EXECUTED] * 7


def test_pipeline_run_command_prints_the_iam_check_and_unused_permissions(local_cloud, monkeypatch):
    from typer.testing import CliRunner

    from modelyard.cli.pipeline import pipeline_app

    state, root = local_cloud
    monkeypatch.setenv("MLFLOW_TRACKING_URI", state.mlflow_tracking_uri)
    result = CliRunner().invoke(
        pipeline_app,
        [
            "run",
            "--stack",
            "dev",
            "--aws-endpoint-url",
            state.endpoint_url,
            "--outputs-file",
            state.outputs_file,
            "--work-dir",
            str(root / "cli-runs"),
            "--iam-report",
            "-p",
            "MinAccuracy=0.9999",
        ],
    )

    assert result.exit_code == 1, result.output  # the gate fails; the IAM check does not
    assert re.search(r"IAM check: [1-9]\d* calls checked, 0 denied", result.output), result.output
    outputs = outputs_from_file(state.outputs_file)
    assert (
        f"{outputs.pipeline_role_arn}:" in result.output and "granted action patterns unused" in result.output
    )
