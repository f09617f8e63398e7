"""Stack outputs for the integration suite: the dev stack's offline plan, or a hand-built stand-in while the
program does not yet export every StackOutputs key."""

from __future__ import annotations

from modelyard.outputs import StackOutputs
from modelyard.pipelines.stack_outputs import StackOutputsError, outputs_from_plan

ACCOUNT, REGION = "123456789012", "us-east-1"


def hand_built_dev_outputs() -> StackOutputs:
    """Realistic dev outputs (account 123456789012, us-east-1). Remove once the plan exports every key."""
    prefix = "modelyard-dev"
    return StackOutputs(
        environment="dev", region=REGION, account_id=ACCOUNT,
        data_bucket=f"{prefix}-data-{ACCOUNT}", artifact_bucket=f"{prefix}-artifacts-{ACCOUNT}",
        capture_bucket=f"{prefix}-capture-{ACCOUNT}", access_logs_bucket=f"{prefix}-access-logs-{ACCOUNT}",
        data_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        training_repository_url=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{prefix}-training",
        serving_repository_url=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{prefix}-serving",
        model_package_group_name=f"{prefix}-models", mlflow_tracking_uri="http://127.0.0.1:5000",
        sagemaker_training_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-training",
        sagemaker_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-pipeline",
        ci_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-ci-deploy",
        vpc_id="vpc-0a1b2c3d4e5f60718", private_subnet_ids=["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        training_security_group_id="sg-0a1b2c3d4e5f60011", inference_security_group_id="sg-0a1b2c3d4e5f60012",
        training_output_path=f"s3://{prefix}-artifacts-{ACCOUNT}/training",
        training_instance_type="ml.g5.xlarge", training_instance_count=1, inter_container_traffic_encryption=True,
        eks_cluster_name=f"{prefix}-training", kubeconfig="{}", training_namespace="training",
        training_service_account="trainer", endpoint_name=f"{prefix}-endpoint", inference_instance_type="ml.g5.xlarge",
        alarm_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:{prefix}-alarms", pipeline_name=f"{prefix}-training",
        deploy_function_name=f"{prefix}-deploy", drift_metric_namespace="Modelyard/dev",
    )


def dev_outputs() -> StackOutputs:
    """The plan's outputs when they satisfy the contract; the hand-built stand-in while they do not."""
    try:
        return outputs_from_plan("dev")
    except StackOutputsError:
        return hand_built_dev_outputs()
