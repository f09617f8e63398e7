"""PlatformRoles and every IAM document the data-plane components write: parsed JSON, least privilege."""

from __future__ import annotations

import pulumi
import pytest

from modelyard.components import (
    ArtifactStore,
    ArtifactStoreArgs,
    ComponentArgsError,
    EncryptionKey,
    EncryptionKeyArgs,
    ModelRegistry,
    ModelRegistryArgs,
    Network,
    NetworkArgs,
    PlatformRoles,
    PlatformRolesArgs,
    RoleNetwork,
)
from modelyard.policies.wildcard_resource_exceptions import EXCEPTIONS

ACCOUNT = "123456789012"
SAGEMAKER = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
DEPLOY_FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:modelyard-unit-deploy"
GITHUB = "token.actions.githubusercontent.com"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"
EC2 = f"arn:aws:ec2:us-east-1:{ACCOUNT}"
NETWORK = RoleNetwork(
    vpc_id="vpc-0a1",
    subnet_ids=["subnet-0a", "subnet-0b"],
    training_security_group_ids=["sg-0c1"],
    inference_security_group_ids=["sg-0d1"],
)
# What ENI rights a role may hold on Resource "*" (AWS's SageMaker and Lambda VPC policies grant all of these on "*").
ENI_WRITE_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def _roles(tags, **overrides) -> PlatformRoles:
    args = PlatformRolesArgs(
        resource_prefix="modelyard-unit",
        github_repository="acme/modelyard",
        tags=tags,
        **{"github_oidc_provider_arn": PROVIDER_ARN, "network": NETWORK, **overrides},
    )
    return PlatformRoles("platform", args)


def _whole_data_plane(tags) -> None:
    """Every data-plane component, wired the way a stack wires them, grants included."""
    key = EncryptionKey("data", EncryptionKeyArgs(alias="modelyard-unit-data", tags=tags, services=["logs"]))
    network = Network("net", NetworkArgs(tags=tags, flow_log_key_arn=key.key_arn))
    store = ArtifactStore("store", ArtifactStoreArgs(key_arn=key.key_arn, tags=tags))
    registry = ModelRegistry(
        "modelyard-unit", ModelRegistryArgs(key_arn=key.key_arn, tags=tags, artifact_store=store)
    )
    roles = _roles(
        tags,
        model_package_group_name=registry.model_package_group_name,
        deploy_function_arn=DEPLOY_FUNCTION,
        network=RoleNetwork(
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            training_security_group_ids=[network.training_security_group_id],
            inference_security_group_ids=[network.inference_security_group_id],
        ),
    )
    store.grant_read(roles.training_role, "datasets")
    store.grant_read_write(roles.training_role, "artifacts", "training/")
    store.grant_read(roles.execution_role, "artifacts", "training/")
    store.grant_write(roles.execution_role, "capture")
    registry.grant_pull(roles.training_role, ("training",))
    registry.grant_pull(roles.execution_role, ("serving",))
    registry.grant_push(roles.ci_release_role)
    key.grant_encrypt_decrypt(roles.training_role)
    key.grant_decrypt(roles.pipeline_role, via_service="s3")
    store.grant_read(roles.deploy_role, "artifacts", "training/")
    key.grant_encrypt_decrypt(roles.deploy_role)


def test_every_identity_policy_parses_and_has_no_wildcard_action_or_unconstrained_resource(program, tags):
    run = program(lambda: _whole_data_plane(tags))
    assert run.error is None

    policies = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) >= 14
    for policy in policies:
        for statement in run.statements(policy):
            assert statement["Effect"] == "Allow", policy.name
            assert "NotAction" not in statement and "NotResource" not in statement, policy.name
            for action in statement["Action"]:
                assert "*" not in action, f"{policy.name}: wildcard action {action}"
            if "*" in statement["Resource"]:
                assert statement["Resource"] == ["*"], policy.name
                assert not ENI_WRITE_ACTIONS & set(statement["Action"]), f"{policy.name}: ENI writes on *"
                for action in statement["Action"]:
                    _assert_documented_exception(policy.name, action, statement)


def _assert_documented_exception(policy: str, action: str, statement: dict) -> None:
    """`action` may run on Resource "*" only as the policy pack's documented exceptions allow."""
    covering = [exception for exception in EXCEPTIONS if exception.covers(action)]
    assert covering, f"{policy}: {action} on Resource '*' is not a documented exception"
    conditions = {key for block in statement.get("Condition", {}).values() for key in block}
    for exception in covering:
        assert set(exception.required_condition_keys) <= conditions, f"{policy}: {action} lacks its condition"


def test_every_trust_policy_names_one_principal_with_conditions(program, tags):
    run = program(lambda: _whole_data_plane(tags))

    roles = run.of_type("aws:iam/role:Role")
    assert len(roles) == 8
    for role in roles:
        assert "managedPolicyArns" not in role.inputs, role.name
        (statement,) = run.statements(role, "assumeRolePolicy")
        principal = statement["Principal"]
        assert principal != "*" and list(principal) in (["Service"], ["Federated"]), role.name
        assert isinstance(next(iter(principal.values())), str), role.name
        if "Service" in principal:
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.name
        else:
            assert set(statement["Condition"]["StringEquals"]) == {f"{GITHUB}:aud", f"{GITHUB}:sub"}, (
                role.name
            )


def test_sagemaker_roles_trust_sagemaker_in_this_account_and_region(program, tags):
    run = program(lambda: _roles(tags))

    component = run.one("modelyard:iam:PlatformRoles")
    for name in ("platform-sagemaker-training", "platform-sagemaker-execution", "platform-pipeline"):
        role = run.one("aws:iam/role:Role", name)
        assert role.parent == component.urn
        assert role.inputs["tags"] == tags
        (trust,) = run.statements(role, "assumeRolePolicy")
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        assert trust["Action"] == ["sts:AssumeRole"]
        assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:*"}


def test_metrics_are_scoped_by_namespace(program, tags):
    run = program(lambda: _roles(tags))

    runtime = run.statements(run.named("platform-sagemaker-training-runtime"))
    metrics = next(s for s in runtime if s["Sid"] == "PutMetrics")
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs*"}}
    logs = next(s for s in runtime if s["Sid"] == "WriteLogs")
    assert all(":log-group:/aws/sagemaker/TrainingJobs" in resource for resource in logs["Resource"])


def test_pipeline_role_passes_only_platform_roles_and_invokes_only_the_deploy_function(program, tags):
    def build():
        roles = _roles(
            tags, model_package_group_name="modelyard-unit-models", deploy_function_arn=DEPLOY_FUNCTION
        )
        # The processing steps run as the pipeline role itself, so it passes itself too.
        pulumi.export(
            "passable", [roles.training_role_arn, roles.execution_role_arn, roles.pipeline_role_arn]
        )

    run = program(build)
    by_sid = {s["Sid"]: s for s in run.statements(run.named("platform-pipeline-steps"))}
    assert by_sid["PassOnlyPlatformRoles"]["Resource"] == run.outputs["passable"]
    # Register looks for a package of the same artifact first; List calls have no resource type.
    assert by_sid["FindModelPackages"]["Action"] == ["sagemaker:ListModelPackages"]
    assert by_sid["FindModelPackages"]["Resource"] == ["*"]
    assert by_sid["PassOnlyPlatformRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert by_sid["InvokeDeployStep"]["Resource"] == [DEPLOY_FUNCTION]
    assert by_sid["RegisterModels"]["Resource"] == [
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/modelyard-unit-models",
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/modelyard-unit-models/*",
    ]
    for resource in by_sid["RunJobs"]["Resource"]:
        assert resource.split("/", 1)[1] in ("pipelines-*", "modelyard-unit*")


def test_pipeline_role_runs_processing_jobs_in_the_vpc_and_publishes_its_steps_metrics(program, tags):
    run = program(lambda: _roles(tags, step_metric_namespaces=["Modelyard/Drift"]))

    by_sid = {s["Sid"]: s for s in run.statements(run.named("platform-pipeline-processing-runtime"))}
    groups = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/ProcessingJobs*"
    assert by_sid["WriteLogs"]["Resource"] == [groups, f"{groups}:log-stream:*"]
    assert set(by_sid["WriteLogs"]["Action"]) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    _assert_eni_rights(by_sid, "sg-0c1", SAGEMAKER_ENI_ACTIONS, SAGEMAKER_DESCRIBE_ACTIONS)
    assert by_sid["PutMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/ProcessingJobs*", "Modelyard/Drift"]}
    }


SAGEMAKER_ENI_ACTIONS = [
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
]
SAGEMAKER_DESCRIBE_ACTIONS = [
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeDhcpOptions",
]


def _assert_eni_rights(by_sid: dict, security_group: str, eni_actions: list, describe_actions: list) -> None:
    """Create ENIs only in our subnets with `security_group`, act only on ENIs in our VPC, describe on "*"."""
    assert by_sid["CreateNetworkInterfaces"]["Action"] == ["ec2:CreateNetworkInterface"]
    assert by_sid["CreateNetworkInterfaces"]["Resource"] == [
        f"{EC2}:network-interface/*",
        f"{EC2}:subnet/subnet-0a",
        f"{EC2}:subnet/subnet-0b",
        f"{EC2}:security-group/{security_group}",
    ]
    manage = by_sid["ManageNetworkInterfaces"]
    assert (manage["Action"], manage["Resource"]) == (eni_actions, [f"{EC2}:network-interface/*"])
    assert manage["Condition"] == {"ArnEquals": {"ec2:Vpc": f"{EC2}:vpc/vpc-0a1"}}
    assert (by_sid["DescribeNetwork"]["Action"], by_sid["DescribeNetwork"]["Resource"]) == (
        describe_actions,
        ["*"],
    )


@pytest.mark.parametrize(
    ("policy", "security_group"),
    [
        ("platform-sagemaker-training-runtime", "sg-0c1"),
        ("platform-sagemaker-execution-runtime", "sg-0d1"),
    ],
)
def test_sagemaker_roles_attach_enis_only_in_the_platform_network(program, tags, policy, security_group):
    run = program(lambda: _roles(tags))

    by_sid = {s["Sid"]: s for s in run.statements(run.named(policy))}
    _assert_eni_rights(by_sid, security_group, SAGEMAKER_ENI_ACTIONS, SAGEMAKER_DESCRIBE_ACTIONS)


def test_step_metric_namespaces_are_checked(program, tags):
    run = program(lambda: _roles(tags, step_metric_namespaces=["Drift/*"]))
    assert "step_metric_namespaces: 'Drift/*' is not a CloudWatch namespace" in str(run.error)


def test_pipeline_role_without_registry_or_deploy_function_gets_neither(program, tags):
    run = program(lambda: _roles(tags))

    sids = {s["Sid"] for s in run.statements(run.named("platform-pipeline-steps"))}
    assert sids == {"RunJobs", "CreateModels", "PassOnlyPlatformRoles"}


def test_deploy_role_trusts_only_lambda_in_this_account(program, tags):
    run = program(lambda: _roles(tags))

    role = run.one("aws:iam/role:Role", "platform-deploy")
    assert role.parent == run.one("modelyard:iam:PlatformRoles").urn
    assert role.inputs["tags"] == tags
    (trust,) = run.statements(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_deploy_role_serves_only_prefixed_sagemaker_resources(program, tags):
    def build():
        roles = _roles(tags, model_package_group_name="modelyard-unit-models")
        pulumi.export("execution", roles.execution_role_arn)
        pulumi.export("deploy", roles.deploy_role_arn)

    run = program(build)
    assert run.outputs["deploy"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    statements = run.statements(run.named("platform-deploy-endpoint"))
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {
        "ServeModels",
        "SmokeTest",
        "PassExecutionRole",
        "WriteLogs",
        "CreateNetworkInterfaces",
        "ManageNetworkInterfaces",
        "DescribeNetwork",
        "WriteTraces",
        "ReadModelPackages",
        "ReadGpuQuotas",
    }
    assert by_sid["WriteTraces"]["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    for statement in statements:
        assert all("*" not in action for action in statement["Action"]), statement["Sid"]
        for resource in statement["Resource"]:
            if resource.startswith("arn:aws:sagemaker:"):
                kind, name = resource.removeprefix(f"{SAGEMAKER}:").split("/", 1)
                assert kind == "model-package" or name == "modelyard-unit*", resource

    serve = by_sid["ServeModels"]
    assert serve["Resource"] == [
        f"{SAGEMAKER}:model/modelyard-unit*",
        f"{SAGEMAKER}:endpoint-config/modelyard-unit*",
        f"{SAGEMAKER}:endpoint/modelyard-unit*",
    ]
    # Everything the deploy step calls on the control plane, and no more.
    assert set(serve["Action"]) == {
        f"sagemaker:{verb}{noun}"
        for noun in ("Model", "EndpointConfig", "Endpoint")
        for verb in ("Create", "Describe", "Delete")
    } | {"sagemaker:UpdateEndpoint", "sagemaker:AddTags"}
    assert by_sid["SmokeTest"] == {
        "Sid": "SmokeTest",
        "Effect": "Allow",
        "Action": ["sagemaker:InvokeEndpoint"],
        "Resource": [f"{SAGEMAKER}:endpoint/modelyard-unit*"],
    }
    assert by_sid["ReadModelPackages"]["Action"] == [
        "sagemaker:DescribeModelPackage",
        "sagemaker:UpdateModelPackage",
    ]
    assert by_sid["ReadModelPackages"]["Resource"] == [f"{SAGEMAKER}:model-package/modelyard-unit-models/*"]
    assert by_sid["WriteLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    log_groups = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/modelyard-unit*"
    assert by_sid["WriteLogs"]["Resource"] == [log_groups, f"{log_groups}:log-stream:*"]

    passing = by_sid["PassExecutionRole"]
    assert passing["Action"] == ["iam:PassRole"]
    assert passing["Resource"] == [run.outputs["execution"]]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_deploy_role_gets_lambda_vpc_access_scoped_to_the_platform_network(program, tags):
    run = program(lambda: _roles(tags))

    statements = run.statements(run.named("platform-deploy-endpoint"))
    by_sid = {s["Sid"]: s for s in statements}
    assert "ReadModelPackages" not in by_sid
    unconstrained = [s for s in statements if "*" in s["Resource"]]
    # Describe calls for the ENIs, the GPU quota pre-flight's Service Quotas reads, and X-Ray traces.
    assert [s["Sid"] for s in unconstrained] == ["DescribeNetwork", "ReadGpuQuotas", "WriteTraces"]
    for statement in unconstrained:
        for action in statement["Action"]:
            _assert_documented_exception("platform-deploy-endpoint", action, statement)
    assert unconstrained[1]["Action"] == [
        "servicequotas:ListServiceQuotas",
        "servicequotas:ListAWSDefaultServiceQuotas",
    ]
    # The function's ENIs: its subnets and the inference security group (TrainingPipeline's deploy function).
    lambda_eni_actions = [
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ]
    lambda_describe_actions = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    _assert_eni_rights(by_sid, "sg-0d1", lambda_eni_actions, lambda_describe_actions)
    # Together, exactly the EC2 actions AWSLambdaVPCAccessExecutionRole grants.
    ec2_actions = {a for s in statements for a in s["Action"] if a.startswith("ec2:")}
    assert ec2_actions == {
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }


def test_ci_roles_trust_exact_github_subjects(program, tags):
    run = program(lambda: _roles(tags, github_deploy_branch="release"))

    # The provider is an account singleton (AccountSingletons): the roles never create one.
    assert run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    provider_arn = PROVIDER_ARN
    subjects = {}
    for name in ("platform-ci-preview", "platform-ci-release"):
        role = run.one("aws:iam/role:Role", name)
        assert role.inputs["maxSessionDuration"] == 3600
        (trust,) = run.statements(role, "assumeRolePolicy")
        assert trust["Principal"] == {"Federated": provider_arn}
        assert trust["Action"] == ["sts:AssumeRoleWithWebIdentity"]
        assert trust["Condition"]["StringEquals"][f"{GITHUB}:aud"] == "sts.amazonaws.com"
        subjects[name] = trust["Condition"]["StringEquals"][f"{GITHUB}:sub"]
    assert subjects["platform-ci-preview"] == [
        "repo:acme/modelyard:pull_request",
        "repo:acme/modelyard:ref:refs/heads/release",
    ]
    # Pull requests never get the role that pushes images and starts the pipeline.
    assert subjects["platform-ci-release"] == ["repo:acme/modelyard:ref:refs/heads/release"]


def test_a_github_environment_replaces_the_branch_subject_of_the_release_role_only(program, tags):
    run = program(lambda: _roles(tags, github_environment="production"))

    def subjects(name: str) -> list[str]:
        (trust,) = run.statements(run.one("aws:iam/role:Role", name), "assumeRolePolicy")
        assert set(trust["Condition"]) == {"StringEquals"}, name
        return trust["Condition"]["StringEquals"][f"{GITHUB}:sub"]

    # Jobs in an environment get the environment subject; a job on main outside it must not release.
    assert subjects("platform-ci-release") == ["repo:acme/modelyard:environment:production"]
    assert subjects("platform-ci-preview") == [
        "repo:acme/modelyard:pull_request",
        "repo:acme/modelyard:ref:refs/heads/main",
    ]


def test_ci_release_starts_only_prefixed_pipelines(program, tags):
    run = program(lambda: _roles(tags))

    start, follow = run.statements(run.named("platform-ci-release-pipeline"))
    assert start["Resource"] == [f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/modelyard-unit*"]
    assert follow["Resource"] == [
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/modelyard-unit*/execution/*"
    ]
    preview, provider = run.statements(run.named("platform-ci-preview-read"))
    # Read-only: the invokes of a preview (zones, endpoint services, prefix lists, the registry token).
    assert all(
        action.startswith("ec2:Describe") or action == "ecr:GetAuthorizationToken"
        for action in preview["Action"]
    )
    assert provider["Action"] == ["iam:GetOpenIDConnectProvider"] and provider["Resource"] == [PROVIDER_ARN]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"github_repository": "not-a-repo"}, "github_repository: 'not-a-repo'"),
        ({"github_deploy_branch": "release/*"}, "github_deploy_branch: 'release/*'"),
        ({"resource_prefix": "Modelyard"}, "resource_prefix: 'Modelyard'"),
        ({"ci_session_hours": 24}, "ci_session_hours: 24"),
        ({"github_environment": "prod*"}, "github_environment: 'prod*'"),
        ({"github_environment": "prod:x"}, "github_environment: 'prod:x'"),
        ({"github_environment": ""}, "github_environment: ''"),
        (
            {"network": RoleNetwork("vpc-0a1", ["subnet-0a", "sg-0c1"], ["sg-0c1"], ["sg-0d1"])},
            "network.subnet_ids: 'sg-0c1' is not a subnet-... id",
        ),
        (
            {"network": RoleNetwork("vpc-0a1", [], ["sg-0c1"], ["sg-0d1"])},
            "network.subnet_ids: empty; the roles could create no network interface",
        ),
    ],
)
def test_invalid_args_are_rejected_before_any_resource(program, tags, overrides, path):
    args = PlatformRolesArgs(
        **{
            "resource_prefix": "modelyard-unit",
            "github_repository": "acme/modelyard",
            "tags": tags,
            "github_oidc_provider_arn": PROVIDER_ARN,
            "network": NETWORK,
            **overrides,
        }
    )
    run = program(lambda: PlatformRoles("platform", args))

    assert isinstance(run.error, ComponentArgsError)
    assert path in str(run.error)
    assert run.resources == []


def test_all_problems_are_reported_together(program):
    args = PlatformRolesArgs(
        resource_prefix="-",
        github_repository="x",
        tags={},
        github_oidc_provider_arn=PROVIDER_ARN,
        network=NETWORK,
    )
    run = program(lambda: PlatformRoles("P", args))

    assert isinstance(run.error, ComponentArgsError)
    assert len(run.error.problems) == 4 + 3  # four missing tags, name, prefix, repository
