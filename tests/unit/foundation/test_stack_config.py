"""Stack config validation: every shipped stack is valid, and each kind of mistake names its key."""

import json

import pytest

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
        "modelyard:network.cidrr: unknown key"
    ]


def test_wrong_type():
    [problem] = problems_of({"modelyard:inference": json.dumps({"instanceCount": "many"})})
    assert problem.startswith("modelyard:inference.instanceCount: Input should be a valid integer")


def test_instance_type_outside_gpu_families():
    [problem] = problems_of({"modelyard:inference": json.dumps({"instanceType": "ml.m5.large"})})
    assert problem.startswith("modelyard:inference.instanceType: instance type 'ml.m5.large' is not an ml.* type")


def test_node_group_instance_type_outside_gpu_families():
    groups = [{"name": "gpu", "instanceTypes": ["t3.large"], "maxSize": 1}]
    [problem] = problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": groups})})
    assert problem.startswith("modelyard:training.gpuNodeGroups: instance type 't3.large' of node group 'gpu'")


def test_bad_cidr():
    [problem] = problems_of({"modelyard:network": json.dumps({"cidr": "10.0.0.0/33"})})
    assert problem.startswith("modelyard:network.cidr: '10.0.0.0/33' is not a valid CIDR block")


def test_public_cidr_rejected():
    [problem] = problems_of({"modelyard:network": json.dumps({"cidr": "8.8.0.0/16"})})
    assert problem == "modelyard:network.cidr: '8.8.0.0/16' must be a private IPv4 range"


def test_negative_count():
    groups = [{"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": -1, "maxSize": 1}]
    [problem] = problems_of({"modelyard:training": json.dumps({"gpuNodeGroups": groups})})
    assert problem == "modelyard:training.gpuNodeGroups[0].minSize: Input should be greater than or equal to 0"


def test_region_typo_suggests_the_region():
    assert problems_of({"aws:region": "us-est-1"}) == ["aws:region: 'us-est-1' is not an AWS region (did you mean 'us-east-1'?)"]


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
    problems = problems_of({"modelyard:environment": "prod", "modelyard:inference": json.dumps({"minCapacity": 1})})
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
