"""AWS API validation of a plan: every input checked against botocore's models of the request it becomes."""

from modelyard.policies.aws_api.validation import as_policy_violations, validate_api_inputs

__all__ = ["as_policy_violations", "validate_api_inputs"]
