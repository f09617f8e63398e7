"""Stack config validation: every shipped stack is valid, and each kind of mistake names its key."""

import json

import pytest
from pydantic.alias_generators import to_camel

from modelyard.components.training_cluster.args import NodeGroupSpec, default_system_node_group
from modelyard.stacks.config import ConfigError, load_stack_config, parse_config

BASE = {"modelyard:environment": "dev", "modelyard:owner": "team", "modelyard:costCenter": "cc"}


def problems_of(extra: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, **extra})
    return caught.value.problems


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_are_valid(stack):
    config = load_stack_config(stack)
    assert config.environment == stack
    assert config.tags == {
        "project": "modelyard",
        "environment": stack,
        "owner": config.owner,
        "cost-center": config.cost_center,
    }


def test_environments_differ_like_real_ones():
    dev, prod = load_stack_config("dev"), load_stack_config("prod")
    assert all(group.spot for group in dev.training.gpu_node_groups)
    assert dev.inference.instance_count == 1 and dev.inference.schedule is not None
    assert prod.inference.min_capacity >= 2 and prod.network.az_count == 3 and prod.network.nat_per_az
    assert prod.deletion_protection and prod.storage.retain_on_delete
    assert prod.monitoring.log_retention_days > dev.monitoring.log_retention_days


def test_unknown_key():
    assert problems_of({"modelyard:bogus": "1"}) == ["modelyard:bogus: unknown key"]


def test_unknown_nested_key():
    assert problems_of({"modelyard:network": json.dumps({"cidrr": "10.0.0.0/16"})}) == [
        "modelyard:network.cidrr: unknown key (did you mean 'modelyard:network.cidr'?)"
    ]


def test_wrong_type():
    [problem] = problems_of({"modelyard:inference": json.dumps({"instanceCount": "many"})})
    assert problem.startswith("modelyard:inference.instanceCount: Input should be a valid integer")


def test_instance_type_outside_gpu_families():
    [problem] = problems_of({"modelyard:inference": json.dumps({"instanceType": "ml.m5.large"})})
    assert problem.startswith(
        "modelyard:inference.instanceType: instance type 'ml.m5.large' is not an ml.* type"
    )


def test_node_group_instance_type_outside_gpu_families():
    groups = [{"name": "gpu", "instanceTypes": ["t3.large"], "maxSize": 1}]
    [problem] = problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": groups})})
    assert problem.startswith(
        "modelyard:training.gpuNodeGroups: instance type 't3.large' of node group 'gpu'"
    )


def test_bad_cidr():
    [problem] = problems_of({"modelyard:network": json.dumps({"cidr": "10.0.0.0/33"})})
    assert problem.startswith("modelyard:network.cidr: '10.0.0.0/33' is not a valid CIDR block")


def test_public_cidr_rejected():
    [problem] = problems_of({"modelyard:network": json.dumps({"cidr": "8.8.0.0/16"})})
    assert problem == "modelyard:network.cidr: '8.8.0.0/16' must be a private IPv4 range"


def test_negative_count():
    groups = [{"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": -1, "maxSize": 1}]
    [problem] = problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": groups})})
    assert (
        problem == "modelyard:training.gpuNodeGroups[0].minSize: Input should be greater than or equal to 0"
    )


def test_region_typo_suggests_the_region():
    assert problems_of({"aws:region": "us-est-1"}) == [
        "aws:region: 'us-est-1' is not an AWS region (did you mean 'us-east-1'?)"
    ]


def test_every_problem_is_listed_at_once():
    problems = problems_of(
        {
            "aws:region": "eu-wst-1",
            "modelyard:bogus": "x",
            "modelyard:network": json.dumps({"cidr": "300.0.0.0/16"}),
        }
    )
    assert [p.split(":")[0] + ":" + p.split(":")[1] for p in problems] == [
        "aws:region",
        "modelyard:network.cidr",
        "modelyard:bogus",
    ]


def test_prod_must_be_highly_available():
    problems = problems_of(
        {"modelyard:environment": "prod", "modelyard:inference": json.dumps({"minCapacity": 1})}
    )
    assert problems == [
        "modelyard: prod needs inference.minCapacity >= 2 (instances across AZs); prod needs network.azCount = 3"
    ]


def test_public_eks_endpoint_needs_allow_list():
    [problem] = problems_of({"modelyard:training": json.dumps({"publicEndpoint": True})})
    assert problem == "modelyard:training: publicEndpoint requires a non-empty publicAccessCidrs allow-list"


def test_prebuilt_images_must_be_ecr_digests():
    tagged = "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelyard-dev-training:0.1.0"
    assert problems_of({"modelyard:images": {"training": tagged}}) == [
        f"modelyard:images.training: {tagged!r} is not an ECR image pinned by digest "
        "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>); tags can move"
    ]
    pinned = tagged.replace(":0.1.0", "@sha256:" + "0" * 64)
    config = parse_config({**BASE, "modelyard:images": {"serving": pinned}})
    assert config.images.prebuilt == {"serving": pinned}


# -- issue 20 #11: the aws: namespace is read, so its unknown keys are errors -----------------------------------


def test_unknown_aws_key_is_an_error_with_a_suggestion():
    assert problems_of({"aws:regoin": "eu-west-1"}) == [
        "aws:regoin: unknown key (did you mean 'aws:region'?)"
    ]


def test_the_providers_own_aws_keys_and_other_namespaces_are_accepted():
    config = parse_config(
        {
            **BASE,
            "aws:region": "eu-west-1",
            "aws:profile": "ml",
            "aws:skipMetadataApiCheck": "true",
            "kubernetes:context": "kind",
        }
    )
    assert config.region == "eu-west-1"


def test_unknown_keys_suggest_the_section_field():
    assert problems_of({"modelyard:monitring": "{}"}) == [
        "modelyard:monitring: unknown key (did you mean 'modelyard:monitoring'?)"
    ]
    groups = [{"name": "gpu", "instanceTypes": ["g5.xlarge"], "maxsize": 1}]
    assert problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": groups})}) == [
        "modelyard:training.gpuNodeGroups[0].maxsize: unknown key "
        "(did you mean 'modelyard:training.gpuNodeGroups[0].maxSize'?)"
    ]


# -- issue 20 #12: what the components check is the schema's to report, by config path, all at once --------------


def test_component_checked_values_are_reported_together_by_config_path():
    problems = problems_of(
        {
            "modelyard:network": json.dumps({"flowLogRetentionDays": 13}),
            "modelyard:monitoring": json.dumps({"logRetentionDays": 45, "budgetAlertPercents": [80, 80]}),
            "modelyard:inference": json.dumps(
                {
                    "bakeMinutes": 90,
                    "maxCapacity": 2,
                    "schedule": {"scaleDownCron": "cron(0 25 ? * MON-FRI *)", "offHoursCapacity": 3},
                }
            ),
            "modelyard:training": json.dumps({"publicAccessCidrs": ["203.0.113.0/24"]}),
            "modelyard:storage": json.dumps({"captureTransitionDays": 7}),
        }
    )
    assert {problem.split(": ", 1)[0] for problem in problems} == {
        "modelyard:network.flowLogRetentionDays",
        "modelyard:monitoring.logRetentionDays",
        "modelyard:monitoring.budgetAlertPercents",
        "modelyard:inference.bakeMinutes",
        "modelyard:inference.schedule.scaleDownCron",
        "modelyard:training",
        "modelyard:storage.captureTransitionDays",
    }
    assert (
        "modelyard:network.flowLogRetentionDays: 13 is not a CloudWatch Logs retention period (one of 1, 3, 5, 7, "
        "14, 30,"
    ) in "\n".join(problems)
    assert (
        "modelyard:inference.schedule.scaleDownCron: 'cron(0 25 ? * MON-FRI *)': hours '25' is not in 0-23"
        in problems
    )
    assert "modelyard:training: publicAccessCidrs only applies with publicEndpoint: true" in problems


def test_off_hours_capacity_above_the_maximum():
    schedule = {"offHoursCapacity": 3}
    assert problems_of({"modelyard:inference": json.dumps({"maxCapacity": 2, "schedule": schedule})}) == [
        "modelyard:inference: schedule.offHoursCapacity 3 exceeds maxCapacity 2"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("rate(1 days)", "the unit is singular for a value of 1 and plural otherwise"),
        ("cron(0 7 * * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("weekly", "'weekly' is not a cron(), rate() or at() expression"),
    ],
)
def test_pipeline_schedule_follows_aws_syntax(value, message):
    [problem] = problems_of({"modelyard:pipeline": json.dumps({"schedule": value})})
    assert problem.startswith("modelyard:pipeline.schedule: ") and problem.endswith(message)


def test_non_finite_numbers_are_refused():
    # YAML's 1e999 reaches the schema as float('inf'); a ceiling nothing can exceed is no ceiling.
    assert problems_of({"modelyard:monthlyCostCeilingUsd": float("inf")}) == [
        "modelyard:monthlyCostCeilingUsd: Input should be a finite number"
    ]
    [problem] = problems_of({"modelyard:pipeline": json.dumps({"driftPsiThreshold": float("nan")})})
    assert problem == "modelyard:pipeline.driftPsiThreshold: Input should be a finite number"


def test_duplicate_yaml_keys_are_refused(tmp_path):
    from modelyard.stacks.stack_files import StackFileError

    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n  modelyard:environment: dev\n  modelyard:network:\n    azCount: 2\n"
        "  modelyard:owner: team\n  modelyard:network:\n    azCount: 3\n"
    )
    with pytest.raises(StackFileError, match=r"found duplicate key 'modelyard:network' \(first at line 3\)"):
        load_stack_config("dev", str(path))


def test_a_yaml_ceiling_of_1e999_is_refused(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        "config:\n  modelyard:environment: dev\n  modelyard:owner: team\n  modelyard:costCenter: cc\n"
        "  modelyard:monthlyCostCeilingUsd: 1e999\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_stack_config("dev", str(path))
    assert caught.value.problems == ["modelyard:monthlyCostCeilingUsd: Input should be a finite number"]


def test_existing_vpc_settings_are_checked_by_the_schema():
    [problem] = problems_of({"modelyard:network": json.dumps({"existingVpcId": "vpc-nope"})})
    assert problem.startswith("modelyard:network.existingVpcId: String should match pattern '^vpc-")
    network = {
        "existingVpcId": "vpc-0123456789abcdef0",
        "existingPrivateSubnetIds": ["subnet-0123456789abcdef0"],
    }
    assert problems_of({"modelyard:network": json.dumps(network)}) == [
        "modelyard:network: existingVpcId needs at least 2 existingPrivateSubnetIds (in different AZs)"
    ]
    [problem] = problems_of({"modelyard:network": json.dumps({"existingPrivateSubnetIds": ["subnet-x"]})})
    assert problem.startswith("modelyard:network.existingPrivateSubnetIds[0]: String should match pattern")
    assert problems_of(
        {"modelyard:network": json.dumps({"existingPrivateSubnetIds": ["subnet-0123456789abcdef0"]})}
    ) == ["modelyard:network: existingPrivateSubnetIds only applies with existingVpcId"]


def test_node_group_config_builds_the_components_spec():
    training = parse_config(BASE).training
    assert training.system_node_group.to_spec() == default_system_node_group()
    for stack in ("dev", "staging", "prod"):
        groups = load_stack_config(stack).training.gpu_node_groups
        specs = [group.to_spec() for group in groups]
        assert all(isinstance(spec, NodeGroupSpec) and spec.problems("g") == [] for spec in specs)
        assert [spec.name for spec in specs] == [group.name for group in groups]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("name", "a" * 31, True),
        ("name", "a" * 32, False),
        ("name", "Gpu", False),
        ("disk_size_gb", 20, True),
        ("disk_size_gb", 19, False),
    ],
)
def test_node_group_limits_are_the_components(field, value, valid):
    group = {"name": "gpu", "instance_types": ["g5.xlarge"], field: value}
    assert (NodeGroupSpec(**group).problems("g") == []) is valid
    camel = {to_camel(key): item for key, item in group.items()}
    if valid:
        parse_config({**BASE, "modelyard:training": json.dumps({"gpuNodeGroups": [camel]})})
    else:
        [problem] = problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": [camel]})})
        assert problem.startswith(f"modelyard:training.gpuNodeGroups[0].{to_camel(field)}: ")
