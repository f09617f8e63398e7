"""The plan sees a program as `pulumi preview` would: config, project layout, region, unknowns, assets, data sources."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
from modelyard.planning.invokes import InvokeError, load_invoke_fixtures
from modelyard.planning.recorder import UNKNOWN_PLACEHOLDER

REPO_ROOT = DEFAULT_PROGRAM_DIR.parent


def write_program(folder: Path, source: str, project: str = "foreign", project_file: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(f"name: {project}\nruntime: python\n{project_file}")
    (folder / "__main__.py").write_text(textwrap.dedent(source))
    return folder


BUCKET_PROGRAM = """
    import pulumi
    import pulumi_aws as aws

    bucket = aws.s3.Bucket("data")
    pulumi.export("bucket_arn", bucket.arn)
    pulumi.export("region", aws.get_region().name)
"""


@pytest.fixture(autouse=True)
def no_region_in_environment(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


def test_a_stack_without_a_config_file_plans_with_empty_config(tmp_path):
    program = write_program(tmp_path, BUCKET_PROGRAM)
    plan = plan_program(program, "dev")
    assert [resource.urn for resource in plan.resources] == [
        "urn:pulumi:dev::foreign::aws:s3/bucket:Bucket::data"
    ]
    assert plan.config_file is None


def test_a_config_file_for_another_stack_only_does_not_stop_the_plan(tmp_path):
    program = write_program(tmp_path, BUCKET_PROGRAM)
    (program / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    assert plan_program(program, "dev").region == "us-east-1"
    assert plan_program(program, "prod").region == "eu-west-1"


def test_the_stack_file_wins_over_project_config(tmp_path):
    program = write_program(
        tmp_path,
        textwrap.dedent(BUCKET_PROGRAM) + "pulumi.export('owner', pulumi.Config().require('owner'))\n",
        project_file="config:\n  owner: platform\n  aws:region:\n    default: eu-north-1\n",
    )
    assert plan_program(program, "dev").outputs["owner"] == "platform"
    assert plan_program(program, "dev").region == "eu-north-1"
    (program / "Pulumi.dev.yaml").write_text("config:\n  foreign:owner: data-team\n")
    assert plan_program(program, "dev").outputs["owner"] == "data-team"


def test_the_region_comes_from_the_environment_when_config_sets_none(tmp_path, monkeypatch):
    program = write_program(tmp_path, BUCKET_PROGRAM)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert plan_program(program, "dev").outputs["region"] == "ap-southeast-2"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert plan_program(program, "dev").outputs["region"] == "eu-central-1"
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: sa-east-1\n")
    assert plan_program(program, "dev").region == "sa-east-1"


def test_main_in_pulumi_yaml_is_followed(tmp_path):
    project = write_program(
        tmp_path / "project",
        "raise SystemExit('the project root is not the program')\n",
        project_file="main: src/\n",
    )
    write_program(project / "src", BUCKET_PROGRAM)
    (project / "src" / "Pulumi.yaml").unlink()
    plan = plan_program(project, "dev")
    assert [resource.name for resource in plan.resources] == ["data"]


def test_this_repositorys_root_plans_its_program(tmp_path):
    # Pulumi.yaml at the root says `main: stacks/` and `stackConfigDir: stacks`.
    assert len(plan_program(REPO_ROOT, "dev").resources) == len(
        plan_program(DEFAULT_PROGRAM_DIR, "dev").resources
    )


def test_outputs_the_provider_computes_are_unknown_and_apply_on_them_does_not_run(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        api = aws.apigateway.RestApi("api")
        pulumi.export("execution_arn", api.execution_arn)
        pulumi.export("url", api.execution_arn.apply(lambda arn: arn + "/*"))   # None + str if it ran
        pulumi.export("api_arn", api.arn)
        pulumi.export("name", api.name)
    """,
    )
    outputs = plan_program(program, "dev").public_outputs()
    assert outputs["execution_arn"] == UNKNOWN_PLACEHOLDER and outputs["url"] == UNKNOWN_PLACEHOLDER
    assert outputs["api_arn"].startswith("arn:aws:apigateway:us-east-1:") and outputs["name"].startswith(
        "api-"
    )


def test_an_input_built_from_an_unknown_output_is_recorded_as_unknown(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi_aws as aws

        api = aws.apigateway.RestApi("api")
        aws.ssm.Parameter("endpoint", type="String", description=api.execution_arn, value="v")
    """,
    )
    [parameter] = [
        resource for resource in plan_program(program, "dev").resources if resource.name == "endpoint"
    ]
    assert parameter.inputs["description"] == UNKNOWN_PLACEHOLDER


def test_assets_are_recorded_by_path_and_hash(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/fn", runtime="python3.12",
                             handler="index.handler", code=pulumi.AssetArchive({".": pulumi.FileArchive("./app")}))
        aws.s3.BucketObject("readme", bucket="b", source=pulumi.FileAsset("README.txt"))
    """,
    )
    (program / "app").mkdir()
    (program / "app" / "index.py").write_text("def handler(event, context):\n    return 1\n")
    (program / "README.txt").write_text("hello")
    resources = {resource.name: resource for resource in plan_program(program, "dev").resources}
    function, readme = resources["fn"], resources["readme"]
    folder = function.inputs["code"]["assets"]["."]
    assert folder["kind"] == "FileArchive" and folder["path"] == "./app" and len(folder["hash"]) == 64
    assert readme.inputs["source"] == {
        "kind": "FileAsset",
        "path": "README.txt",
        "hash": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",  # sha256("hello")
    }
    (program / "app" / "index.py").write_text("def handler(event, context):\n    return 2\n")
    [changed_function] = [
        resource for resource in plan_program(program, "dev").resources if resource.name == "fn"
    ]
    changed = changed_function.inputs["code"]["assets"]["."]
    assert changed["hash"] != folder["hash"]


def test_data_sources_answer_for_the_configured_region(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"],
                              filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}])
        vpc = aws.ec2.get_vpc(default=True)
        subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
        zones = aws.get_availability_zones()
        token = aws.ecr.get_authorization_token()
        document = aws.iam.get_policy_document(statements=[{
            "sid": "Read", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"],
            "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
        }])
        pulumi.export("ami", ami.id)
        pulumi.export("vpc", vpc.cidr_block)
        pulumi.export("subnets", subnets.ids)
        pulumi.export("zones", zones.zone_ids)
        pulumi.export("registry", token.proxy_endpoint)
        pulumi.export("policy", document.json)
    """,
    )
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-2\n")
    outputs = plan_program(program, "dev").outputs
    assert outputs["ami"].startswith("ami-") and outputs["vpc"] == "172.31.0.0/16"
    assert len(outputs["subnets"]) == 3 and all(subnet.startswith("subnet-") for subnet in outputs["subnets"])
    assert outputs["zones"] == ["euw2-az1", "euw2-az2", "euw2-az3"]
    assert outputs["registry"] == "https://123456789012.dkr.ecr.eu-west-2.amazonaws.com"
    assert json.loads(outputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Principal": {"Service": "lambda.amazonaws.com"},
            }
        ],
    }


def test_a_data_source_the_plan_cannot_answer_names_itself_and_the_fixture_option(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        parameter = aws.ssm.get_parameter(name="/ami/latest")
        pulumi.export("ami", parameter.value)
    """,
    )
    with pytest.raises(ProgramError) as caught:
        plan_program(program, "dev")
    assert "aws.ssm.get_parameter (aws:ssm/getParameter:getParameter)" in str(caught.value)
    assert "--invoke-fixtures" in str(caught.value)

    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(
        "aws:ssm/getParameter:getParameter:\n  name: /ami/latest\n  value: ami-0abc\n  type: String\n"
    )
    assert (
        plan_program(program, "dev", invoke_fixtures=load_invoke_fixtures(fixtures)).outputs["ami"]
        == "ami-0abc"
    )


def test_a_malformed_invoke_fixture_file_is_refused(tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("getParameter: {value: x}\n")
    with pytest.raises(InvokeError, match="not an invoke token"):
        load_invoke_fixtures(fixtures)


def test_each_program_imports_its_own_sibling_modules(tmp_path):
    for name, role in (("first", "first-role"), ("second", "second-role")):
        program = write_program(tmp_path / name, "import iam\n", project=name)
        (program / "iam.py").write_text(
            f"import pulumi_aws as aws\nrole = aws.iam.Role('{role}', assume_role_policy='{{}}')\n"
        )
        assert [resource.name for resource in plan_program(program, "dev").resources] == [role]


def test_kubernetes_manifests_of_a_config_file_are_parsed_offline(tmp_path):
    program = write_program(
        tmp_path,
        """
        import pulumi
        from pulumi_kubernetes.yaml import ConfigFile

        app = ConfigFile("app", file="app.yaml")
        pulumi.export("deployment", app.get_resource("apps/v1/Deployment", "nginx", "web").metadata["name"])
    """,
    )
    (program / "app.yaml").write_text(
        textwrap.dedent("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: web}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: nginx, namespace: web}
        spec:
          selector: {matchLabels: {app: nginx}}
          template:
            metadata: {labels: {app: nginx}}
            spec: {containers: [{name: nginx, image: "nginx:1.27"}]}
    """)
    )
    plan = plan_program(program, "dev")
    assert {resource.urn for resource in plan.resources} == {
        "urn:pulumi:dev::foreign::kubernetes:yaml:ConfigFile::app",
        "urn:pulumi:dev::foreign::kubernetes:yaml:ConfigFile$kubernetes:core/v1:Namespace::web",
        "urn:pulumi:dev::foreign::kubernetes:yaml:ConfigFile$kubernetes:apps/v1:Deployment::web/nginx",
    }
    assert plan.outputs == {"deployment": "nginx"}


def test_main_may_name_a_python_file(tmp_path):
    project = write_program(tmp_path, "raise SystemExit('not this file')\n", project_file="main: app.py\n")
    (project / "app.py").write_text(textwrap.dedent(BUCKET_PROGRAM))
    assert [resource.name for resource in plan_program(project, "dev").resources] == ["data"]


def test_an_output_that_fails_after_the_program_returns_fails_the_plan(tmp_path):
    project = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        aws.s3.Bucket("data")
        pulumi.export("ratio", pulumi.Output.from_input(1).apply(lambda one: one / 0))
        """,
    )
    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        plan_program(project, "dev")


def test_a_failed_plan_leaves_nothing_behind_for_the_next_plan_in_the_process(tmp_path):
    failing = write_program(
        tmp_path / "failing",
        "import pulumi\npulumi.export('ratio', pulumi.Output.from_input(1).apply(lambda one: one / 0))\n",
    )
    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        plan_program(failing, "dev")
    plan = plan_program(write_program(tmp_path / "bucket", BUCKET_PROGRAM), "dev")
    assert [resource.name for resource in plan.resources] == ["data"]


def test_an_async_entrypoint_runs_after_the_program_and_its_outputs_are_exported(tmp_path):
    project = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        first = aws.s3.Bucket("first")

        async def main():
            later = aws.s3.Bucket("later")
            return {"names": pulumi.Output.all(first.bucket, later.bucket)}

        pulumi.run(main)
        """,
    )
    plan = plan_program(project, "dev")
    assert sorted(resource.name for resource in plan.resources) == ["first", "later"]
    assert set(plan.outputs) == {"names"}


def test_a_remote_components_outputs_are_unknown_not_its_inputs_echoed(tmp_path):
    # As awsx.ec2.Vpc registers itself: another provider constructs it, and its `natGateways` input (a strategy)
    # is not its `nat_gateways` output (a list of NatGateway resources).
    project = write_program(
        tmp_path,
        """
        import pulumi

        class Vpc(pulumi.ComponentResource):
            nat_gateways: pulumi.Output[list]

            def __init__(self, name):
                props = {"natGateways": {"strategy": "None"}, "nat_gateways": None}
                super().__init__("awsx:ec2:Vpc", name, props, None, remote=True)

        vpc = Vpc("network")
        pulumi.export("first_nat", vpc.nat_gateways.apply(lambda gateways: gateways[0]))
        """,
    )
    plan = plan_program(project, "dev")
    [component] = plan.resources
    assert component.urn.endswith("awsx:ec2:Vpc::network") and component.outputs == {}
    assert plan.outputs == {"first_nat": UNKNOWN_PLACEHOLDER}


def test_ecr_credentials_for_a_registry_are_answered_like_its_authorization_token(tmp_path):
    project = write_program(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        credentials = aws.ecr.get_credentials(registry_id="123456789012")
        pulumi.export("endpoint", credentials.proxy_endpoint)
        pulumi.export("user", credentials.user_name)
        """,
    )
    plan = plan_program(project, "dev", region="eu-west-1")
    assert plan.outputs == {"endpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "user": "AWS"}
