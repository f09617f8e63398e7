"""The stack-outputs contract: what the Pulumi program exports and the pipelines read, key by key."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pydantic import BaseModel, ConfigDict

# The metric the monitor step publishes and the stack's drift alarm watches: the count of features the report's rule
# (PSI over the threshold AND a significant KS test) judges drifted; unlike MaxFeaturePSI it stays 0 on small
# undrifted samples, whose PSI crosses the threshold by chance.
DRIFTED_FEATURES_METRIC = "DriftedFeatureCount"


class StackOutputs(BaseModel):
    """Every name, ARN and URL the pipelines need; the program exports exactly these keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    environment: str
    region: str
    account_id: str
    # storage
    data_bucket: str
    artifact_bucket: str
    capture_bucket: str
    access_logs_bucket: str
    data_key_arn: str
    # registry
    training_repository_url: str
    serving_repository_url: str
    model_package_group_name: str
    mlflow_tracking_uri: str
    # IAM
    sagemaker_training_role_arn: str
    sagemaker_execution_role_arn: str
    pipeline_role_arn: str
    ci_role_arn: str
    # network
    vpc_id: str
    private_subnet_ids: list[str]
    training_security_group_id: str
    inference_security_group_id: str
    # training
    training_output_path: str
    training_instance_type: str
    training_instance_count: int
    inter_container_traffic_encryption: bool
    eks_cluster_name: str
    kubeconfig: str
    training_namespace: str
    training_service_account: str
    # inference
    endpoint_name: str
    inference_instance_type: str
    # monitoring
    alarm_topic_arn: str
    # pipeline
    pipeline_name: str
    deploy_function_name: str
    drift_metric_namespace: str

    @classmethod
    def from_pulumi(cls, stack: str, cwd: str | Path | None = None) -> StackOutputs:
        """Ask the Pulumi CLI for a deployed stack's outputs."""
        try:
            result = subprocess.run(
                ["pulumi", "stack", "output", "--json", "--show-secrets", "-s", stack],
                cwd=cwd,
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            raise RuntimeError(
                "the Pulumi CLI is not on PATH: install it, or save the outputs where it runs "
                f"(`pulumi stack output --json --show-secrets -s {stack} > outputs.json`) and pass that file"
            ) from None
        if result.returncode != 0:
            raise RuntimeError(f"`pulumi stack output -s {stack}` failed: {result.stderr.strip()}")
        return cls.model_validate(json.loads(result.stdout))
