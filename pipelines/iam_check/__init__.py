"""The local run's IAM check: each step's AWS and MLflow calls evaluated against its role's policies in the plan."""
