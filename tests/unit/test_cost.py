"""The cost estimate: hand-computed arithmetic, spot, schedules, linking, and dev < staging <= prod."""

import json
import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelyard.cli import app
from modelyard.costing import (
    CostAssumptions,
    CostError,
    estimate_cost,
    load_price_table,
)
from modelyard.costing.schedule import ScheduledCapacity, ScheduleError, capacity_profile, parse_cron
from modelyard.planning.assessment import estimate_plan_cost
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
from modelyard.stacks.cost_assumptions import assumptions_from_config

PRICES = load_price_table().region("us-east-1")
GPU_TYPE = re.compile(r"\b(ml\.)?(g5|g6|g6e|p4d|p5|inf2)\.\w+")


def record(resource_type: str, name: str, inputs: dict, dependencies: tuple[str, ...] = ()) -> dict:
    return {
        "urn": f"urn:pulumi:test::costs::{resource_type}::{name}",
        "type": resource_type,
        "name": name,
        "parent": None,
        "inputs": inputs,
        "dependencies": list(dependencies),
    }


def estimate(*resources: dict, region: str = "us-east-1", **assumptions) -> dict:
    return estimate_cost(list(resources), region, CostAssumptions(**assumptions))


def item(result: dict, name: str) -> dict:
    [match] = [entry for entry in result["items"] if entry["name"] == name]
    return match


def endpoint_with(
    instance_type: str, count: int = 1, endpoint_name: str | None = "serving", logical: str = "serving"
) -> list[dict]:
    config = record(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        f"{logical}-config",
        {
            "name": f"{logical}-config",
            "productionVariants": [
                {"variantName": "AllTraffic", "instanceType": instance_type, "initialInstanceCount": count}
            ],
        },
    )
    inputs = {"endpointConfigName": f"{logical}-config"}
    if endpoint_name:
        inputs["name"] = endpoint_name
    return [config, record("aws:sagemaker/endpoint:Endpoint", logical, inputs, (config["urn"],))]


def scaling_target(minimum: int, maximum: int, endpoint: str = "serving") -> dict:
    return record(
        "aws:appautoscaling/target:Target",
        "target",
        {
            "serviceNamespace": "sagemaker",
            "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "resourceId": f"endpoint/{endpoint}/variant/AllTraffic",
            "minCapacity": minimum,
            "maxCapacity": maximum,
        },
    )


def scheduled(name: str, schedule: str, endpoint: str = "serving", **capacity) -> dict:
    return record(
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        name,
        {
            "serviceNamespace": "sagemaker",
            "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "resourceId": f"endpoint/{endpoint}/variant/AllTraffic",
            "schedule": schedule,
            "scalableTargetAction": capacity,
        },
    )


def node_group(instance_type: str, nodes: int, spot: bool = False, disk_gb: int = 20) -> dict:
    inputs = {
        "instanceTypes": [instance_type],
        "scalingConfig": {"desiredSize": nodes, "minSize": 0, "maxSize": 4},
        "diskSize": disk_gb,
    }
    if spot:
        inputs["capacityType"] = "SPOT"
    return record("aws:eks/nodeGroup:NodeGroup", "gpu", inputs)


# -- hand-computed arithmetic (us-east-1 list prices: ml.g5.2xlarge $1.515/h, NAT $0.045/h, public IPv4
#    $0.005/h, KMS key $1/month, EKS $0.10/h, interface endpoint $0.01/h per AZ; 730 h/month) ------------


def test_small_stack_total_is_hand_computed():
    result = estimate(
        *endpoint_with("ml.g5.2xlarge", count=2),  # 2 x 730 x 1.515 = 2211.90
        record("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": "subnet-a"}),  # 730 x 0.045 = 32.85
        record("aws:ec2/eip:Eip", "nat", {"domain": "vpc"}),  # 730 x 0.005 = 3.65
        record("aws:kms/key:Key", "data", {}),  # 1.00
        record("aws:kms/key:Key", "logs", {}),  # 1.00
        record("aws:eks/cluster:Cluster", "training", {}),  # 730 x 0.10 = 73.00
        record(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "sts",
            {  # 3 x 730 x 0.01 = 21.90
                "vpcEndpointType": "Interface",
                "serviceName": "com.amazonaws.us-east-1.sts",
                "subnetIds": ["a", "b", "c"],
            },
        ),
        record(
            "aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"serviceName": "com.amazonaws.us-east-1.s3"}
        ),  # gateway: free
    )
    assert item(result, "serving/AllTraffic")["monthly_usd"] == 2211.90
    assert item(result, "sts")["monthly_usd"] == 21.90 and item(result, "sts")["quantity"] == 3 * 730
    assert [entry["name"] for entry in result["items"]].count("s3") == 0
    assert result["total_monthly_usd"] == pytest.approx(2211.90 + 32.85 + 3.65 + 2.00 + 73.00 + 21.90)
    assert result["currency"] == "USD" and result["region"] == "us-east-1" and result["unpriced"] == []
    assert (
        "AWS public on-demand list prices" in result["price_source"] and "compiled" in result["price_source"]
    )
    assert any("730 hours per month" in line for line in result["assumptions"])


def test_spot_discount_applies_to_spot_node_groups_only():
    # g5.xlarge $1.006/h, 20 GB gp3 at $0.08/GB-month per node.
    on_demand = estimate(node_group("g5.xlarge", 1))
    spot = estimate(node_group("g5.xlarge", 1, spot=True))
    deeper = estimate(node_group("g5.xlarge", 1, spot=True), spot_discount=0.7)
    assert on_demand["total_monthly_usd"] == pytest.approx(730 * 1.006 + 1.60, abs=0.005)  # 735.98
    assert spot["total_monthly_usd"] == pytest.approx(730 * 1.006 * 0.4 + 1.60, abs=0.005)  # 295.35
    assert deeper["total_monthly_usd"] == pytest.approx(730 * 1.006 * 0.3 + 1.60, abs=0.005)  # 221.91
    assert any("60% discount" in line for line in spot["assumptions"])
    assert not any("spot" in line for line in on_demand["assumptions"])


def test_node_groups_run_their_desired_size():
    result = estimate(node_group("g5.2xlarge", 3, disk_gb=200))
    assert result["total_monthly_usd"] == pytest.approx(3 * 730 * 1.212 + 3 * 200 * 0.08, abs=0.005)
    assert estimate(node_group("p4d.24xlarge", 0))["total_monthly_usd"] == 0


def test_weekday_working_hours_schedule_costs_60_of_168_hours():
    result = estimate(
        *endpoint_with("ml.g5.xlarge"),
        scaling_target(1, 1),
        scheduled("down", "cron(0 19 ? * MON-FRI *)", minCapacity=0),
        scheduled("up", "cron(0 7 ? * MON-FRI *)", minCapacity=1),
    )
    line = item(result, "serving/AllTraffic")
    assert line["monthly_usd"] == pytest.approx(60 / 168 * 730 * 1.408, abs=0.005)  # 367.09
    assert line["quantity"] == pytest.approx(60 / 168 * 730, abs=0.001)
    assert "1 for 35.7% of hours" in line["detail"] and "0 for 64.3% of hours" in line["detail"]


def test_weekend_cap_on_maximum_lowers_the_running_count():
    result = estimate(
        *endpoint_with("ml.g5.xlarge", count=2),
        scaling_target(2, 4),
        scheduled("weekend", "cron(0 0 ? * SAT *)", maxCapacity=1),
        scheduled("weekdays", "cron(0 0 ? * MON *)", maxCapacity=4),
    )
    average = (120 * 2 + 48 * 1) / 168
    assert item(result, "serving/AllTraffic")["monthly_usd"] == pytest.approx(
        average * 730 * 1.408, abs=0.005
    )


def test_autoscaled_endpoint_without_schedule_runs_at_its_minimum():
    result = estimate(*endpoint_with("ml.g5.2xlarge", count=2), scaling_target(3, 6))
    assert item(result, "serving/AllTraffic")["monthly_usd"] == pytest.approx(3 * 730 * 1.515, abs=0.005)


def test_schedule_that_cannot_be_replayed_uses_the_stated_off_hours_fraction():
    resources = [
        *endpoint_with("ml.g5.xlarge"),
        scaling_target(1, 1),
        scheduled("down", "rate(1 day)", minCapacity=0),
    ]
    assumed = estimate(*resources, off_hours_fraction=0.64)
    assert item(assumed, "serving/AllTraffic")["monthly_usd"] == pytest.approx(0.36 * 730 * 1.408, abs=0.005)
    assert any(
        "64% of the month" in line and "rate() and at() are not replayed" in line
        for line in assumed["assumptions"]
    )
    unassumed = estimate(*resources)
    assert item(unassumed, "serving/AllTraffic")["monthly_usd"] == pytest.approx(730 * 1.408, abs=0.005)
    assert any("costed at its minimum all month" in line for line in unassumed["assumptions"])


def test_auto_named_endpoint_links_config_and_target_through_dependencies():
    config, endpoint = endpoint_with("ml.g5.xlarge", endpoint_name=None)
    config["inputs"].pop("name")
    endpoint["inputs"]["endpointConfigName"] = "config-1a2b3c4"  # the mock's physical name, not an input
    other_config, other = endpoint_with("ml.g5.2xlarge", endpoint_name="other", logical="other")
    target = scaling_target(0, 2, endpoint="serving-9f8e7d6")
    target["dependencies"] = [endpoint["urn"]]
    result = estimate(config, endpoint, other_config, other, target)
    assert item(result, "serving/AllTraffic")["monthly_usd"] == 0  # minimum 0: scaled to zero
    assert "autoscaling minimum 0" in item(result, "serving/AllTraffic")["detail"]
    # The other endpoint has no target: it runs its initial count.
    assert item(result, "other/AllTraffic")["monthly_usd"] == pytest.approx(730 * 1.515, abs=0.005)


def test_endpoint_config_without_endpoint_costs_nothing():
    config, _ = endpoint_with("ml.g5.xlarge")
    assert estimate(config)["items"] == []


def test_unknown_instance_type_is_reported_not_guessed():
    result = estimate(*endpoint_with("ml.x99.mega"), node_group("z9.huge", 1))
    assert result["total_monthly_usd"] == 0 and result["items"] == []
    reasons = sorted(entry["reason"] for entry in result["unpriced"])
    assert reasons == [
        "no EC2 price for 'z9.huge' in us-east-1",
        "no SageMaker hosting price for 'ml.x99.mega' in us-east-1",
    ]


def test_storage_and_logs_follow_the_assumptions():
    result = estimate(
        record("aws:s3/bucket:Bucket", "datasets", {}),
        record("aws:s3/bucket:Bucket", "models", {}),
        record("aws:cloudwatch/logGroup:LogGroup", "endpoint", {"retentionInDays": 30}),
        record("aws:cloudwatch/logGroup:LogGroup", "audit", {}),
        storage_gb=200,
        log_gb_per_month=10,
    )
    storage = item(result, "s3-storage")
    assert storage["monthly_usd"] == pytest.approx(200 * 0.023) and storage["urn"] is None
    # 10 GB/month over 2 groups: 5 GB each at $0.50/GB, stored for the retention at $0.03/GB-month.
    assert item(result, "endpoint")["monthly_usd"] == pytest.approx(
        5 * 0.5 + 5 * 30 / (365 / 12) * 0.03, abs=0.005
    )
    assert item(result, "audit")["monthly_usd"] == pytest.approx(
        5 * 0.5 + 5 * 365 / (365 / 12) * 0.03, abs=0.005
    )


def test_region_prices_differ_and_unknown_regions_are_errors():
    stack = endpoint_with("ml.g5.xlarge")
    assert estimate(*stack, region="eu-west-1")["total_monthly_usd"] > estimate(*stack)["total_monthly_usd"]
    assert estimate(*stack, region="us-west-2")["total_monthly_usd"] == estimate(*stack)["total_monthly_usd"]
    with pytest.raises(CostError, match=r"no prices for region 'ap-south-1'.*us-east-1"):
        estimate(*stack, region="ap-south-1")


def test_a_ceiling_in_a_region_without_prices_fails_the_plan_as_cost_fails(tmp_path):
    # Issue 20 #9: the mandatory ceiling rule passed ("0 violations") where `modelyard cost` exits 2.
    shipped = (DEFAULT_PROGRAM_DIR / "Pulumi.staging.yaml").read_text()
    config = tmp_path / "Pulumi.staging.yaml"
    config.write_text(
        re.sub(r"aws:region: \S+", "aws:region: eu-central-1", shipped).replace(
            "modelyard:monthlyCostCeilingUsd:", "modelyard:monthlyCostCeilingUsd: 100 #"
        )
    )
    arguments = ["--stack", "staging", "--config", str(config), "--json"]

    planned = CliRunner().invoke(app, ["plan", *arguments])
    costed = CliRunner().invoke(app, ["cost", *arguments])

    assert costed.exit_code == 2 and "no prices for region 'eu-central-1'" in costed.stderr
    assert planned.exit_code == 1, planned.output
    violations = json.loads(planned.stdout)["policy"]["violations"]
    assert [(v["rule_id"], v["enforcement"]) for v in violations] == [("MY-COST-001", "mandatory")]
    assert violations[0]["message"].startswith(
        "the stack's ceiling $100.00 cannot be checked: no prices for region 'eu-central-1'"
    )


def test_invalid_assumptions_name_the_field():
    with pytest.raises(CostError, match="storage_gb must be >= 0"):
        CostAssumptions(storage_gb=-1)
    with pytest.raises(CostError, match=r"off_hours_fraction must be in \[0, 1\]"):
        CostAssumptions(off_hours_fraction=1.5)


def test_price_table_covers_the_instance_types_the_stacks_use():
    table = load_price_table()
    assert table.source and re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.compiled) and 0 < table.spot_discount < 1
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        prices = table.region(region)
        for ec2 in ("g5.xlarge", "g5.2xlarge", "g6.xlarge", "p4d.24xlarge", "p5.48xlarge", "m6i.large"):
            assert prices.ec2_hourly[ec2] > 0
        for sagemaker in (
            "ml.g5.xlarge",
            "ml.g5.2xlarge",
            "ml.g6.xlarge",
            "ml.p4d.24xlarge",
            "ml.p5.48xlarge",
            "ml.m5.large",
        ):
            assert prices.sagemaker_hourly[sagemaker] > 0
        # SageMaker manages the instance, so it costs more than the same EC2 type.
        assert prices.sagemaker_hourly["ml.g5.xlarge"] > prices.ec2_hourly["g5.xlarge"]


# -- cron replay ------------------------------------------------------------------------------------------


def test_cron_fields_follow_aws_syntax():
    cron = parse_cron("cron(0/15 7-9 ? JAN,JUL MON-FRI *)")
    assert cron.minutes == {0, 15, 30, 45} and cron.hours == {7, 8, 9}
    assert cron.months == {1, 7} and cron.days_of_week == {2, 3, 4, 5, 6}  # AWS: 1 = Sunday
    assert parse_cron("cron(30 2 1 * ? *)").days_of_month == {1}


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 hour)",
        "at(2026-01-01T00:00:00)",
        "cron(0 7 * * MON *)",
        "cron(0 7 ? * ? *)",
        "cron(0 7 L * ? *)",
        "cron(0 7 ? * MON#2 *)",
        "cron(0 7 ? * MON-FRI 2027)",
        "cron(0 25 ? * MON *)",
        "cron(0 7 ? *)",
    ],
)
def test_cron_forms_that_cannot_be_replayed_are_errors(expression):
    with pytest.raises(ScheduleError):
        parse_cron(expression)


def test_first_of_month_scale_up_for_one_day():
    profile = capacity_profile(
        0,
        None,
        [
            ScheduledCapacity("cron(0 0 1 * ? *)", min_capacity=1, max_capacity=None),
            ScheduledCapacity("cron(0 0 2 * ? *)", min_capacity=0, max_capacity=None),
        ],
    )
    # 12 (or 13, the reference 52 weeks span) first-of-month days out of 364.
    assert profile.average == pytest.approx(12 / 364, abs=1 / 364)


# -- config and the offline plan --------------------------------------------------------------------------


def test_assumptions_come_from_the_stack_config(tmp_path):
    prod = assumptions_from_config(plan_program(DEFAULT_PROGRAM_DIR, "prod").config_values)
    assert prod.storage_gb == 1000 and prod.ceiling_usd == 20000
    dev = assumptions_from_config(plan_program(DEFAULT_PROGRAM_DIR, "dev").config_values)
    assert dev.storage_gb == 50 and dev.ceiling_usd == 3000
    assert assumptions_from_config({"aws:region": "us-east-1"}) == CostAssumptions()


FLEET_PROGRAM = """
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
model = aws.sagemaker.Model("model", execution_role_arn="arn:aws:iam::123456789012:role/serve",
    primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
        image="123456789012.dkr.ecr.us-east-1.amazonaws.com/s:1"))
endpoint_config = aws.sagemaker.EndpointConfiguration("config", production_variants=[
    aws.sagemaker.EndpointConfigurationProductionVariantArgs(variant_name="AllTraffic", model_name=model.name,
        instance_type=config.require("instanceType"), initial_instance_count=1)])
endpoint = aws.sagemaker.Endpoint("endpoint", endpoint_config_name=endpoint_config.name)
target = aws.appautoscaling.Target("target", service_namespace="sagemaker",
    resource_id=endpoint.name.apply(lambda name: f"endpoint/{name}/variant/AllTraffic"),
    scalable_dimension="sagemaker:variant:DesiredInstanceCount", min_capacity=1, max_capacity=2)
for name, cron, minimum in (("down", "cron(0 19 ? * MON-FRI *)", 0), ("up", "cron(0 7 ? * MON-FRI *)", 1)):
    aws.appautoscaling.ScheduledAction(name, service_namespace=target.service_namespace,
        resource_id=target.resource_id, scalable_dimension=target.scalable_dimension, schedule=cron,
        scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
            min_capacity=minimum))
cluster = aws.eks.Cluster("cluster", role_arn="arn:aws:iam::123456789012:role/eks",
    vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-a", "subnet-b"]))
template = aws.ec2.LaunchTemplate("gpu", block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
    device_name="/dev/xvda",
    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=200, volume_type="gp3"))])
aws.eks.NodeGroup("gpu", cluster_name=cluster.name, node_role_arn="arn:aws:iam::123456789012:role/node",
    subnet_ids=["subnet-a"], instance_types=["g5.xlarge", "g6.xlarge"], capacity_type="SPOT",
    launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version="1"),
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, min_size=0, max_size=3))
"""


@pytest.fixture
def fleet_program(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: fleet\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  fleet:instanceType: ml.g5.xlarge\n"
    )
    (tmp_path / "__main__.py").write_text(textwrap.dedent(FLEET_PROGRAM))
    return tmp_path


def test_a_planned_program_is_costed_from_its_recorded_inputs(fleet_program):
    plan = plan_program(fleet_program, "dev")
    result = estimate_cost([r.to_json() for r in plan.resources], plan.region, CostAssumptions())
    # The auto-named endpoint reaches its config, target and schedule through recorded dependencies.
    assert item(result, "endpoint/AllTraffic")["monthly_usd"] == pytest.approx(
        60 / 168 * 730 * 1.408, abs=0.005
    )
    # Spot g5.xlarge (the first listed type) with the launch template's 200 GB volume.
    assert item(result, "gpu")["monthly_usd"] == pytest.approx(
        2 * 730 * 1.006 * 0.4 + 2 * 200 * 0.08, abs=0.005
    )
    assert item(result, "cluster")["monthly_usd"] == 73.00


def test_cost_command_prints_json(fleet_program):
    result = CliRunner().invoke(app, ["cost", "--program", str(fleet_program), "--stack", "dev", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["stack"] == "dev" and document["total_monthly_usd"] == pytest.approx(
        sum(entry["monthly_usd"] for entry in document["items"]), abs=0.02
    )
    human = CliRunner().invoke(app, ["cost", "--program", str(fleet_program), "--stack", "dev"])
    assert human.exit_code == 0 and "assumptions" in human.stdout and "total:" in human.stdout


def test_cost_command_fails_cleanly_on_a_missing_stack(fleet_program):
    result = CliRunner().invoke(app, ["cost", "--program", str(fleet_program), "--stack", "nope"])
    assert result.exit_code == 2 and "Pulumi.nope.yaml" in result.stderr


# -- the shipped stacks (meaningful once the components are composed in stacks/) --------------------------


@pytest.fixture(scope="module")
def shipped_costs() -> dict[str, dict]:
    costs = {}
    for stack in ("dev", "staging", "prod"):
        costs[stack] = estimate_plan_cost(plan_program(DEFAULT_PROGRAM_DIR, stack))
    return costs


def test_prod_has_gpu_line_items_and_a_positive_total(shipped_costs):
    prod = shipped_costs["prod"]
    assert prod["total_monthly_usd"] > 0
    gpu_items = [
        entry for entry in prod["items"] if GPU_TYPE.search(entry["detail"]) and entry["monthly_usd"] > 0
    ]
    assert {entry["type"] for entry in gpu_items} >= {
        "aws:sagemaker/endpoint:Endpoint",
        "aws:eks/nodeGroup:NodeGroup",
    }


def test_dev_costs_less_than_staging_which_costs_no_more_than_prod(shipped_costs):
    dev, staging, prod = (shipped_costs[stack]["total_monthly_usd"] for stack in ("dev", "staging", "prod"))
    assert 0 < dev < staging <= prod


def test_each_shipped_stack_is_within_its_ceiling(shipped_costs):
    for stack, cost in shipped_costs.items():
        assert cost["total_monthly_usd"] <= cost["ceiling_usd"], stack
