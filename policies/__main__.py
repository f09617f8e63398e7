"""CrossGuard entry point: `pulumi preview --policy-pack policies` runs this file to serve the pack."""

import os

from pulumi_policy import PolicyPack

from modelyard.policies.crossguard import build_policies, cost_estimator_from, environment_from

# Constructing the pack starts the analyzer's gRPC server and blocks; nothing else belongs here.
PolicyPack(
    "modelyard",
    policies=build_policies(environment_from(os.environ), cost_estimator_from(os.environ)),
    description="Modelyard guardrails for MLOps stacks on AWS (S3, ECR, IAM, KMS, EKS, EC2, CloudWatch, SageMaker).",
)
