"""Stack outputs for the integration suite: the dev stack's offline plan, planned once per session."""

from __future__ import annotations

import functools

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.iam_check.role_policies import RolePolicies


@functools.cache
def _dev_plan():
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program

    return plan_program(DEFAULT_PROGRAM_DIR, "dev")


def dev_outputs() -> StackOutputs:
    """The outputs the offline plan of the dev stack exports (account 123456789012); the plan takes seconds, so it
    runs once and every caller shares the (immutable) result."""
    return StackOutputs.model_validate(_dev_plan().outputs)


@functools.cache
def dev_role_policies() -> RolePolicies:
    """The IAM policies of the dev plan's roles, which the local runs' IAM check evaluates every call against."""
    return RolePolicies.from_resources(_dev_plan().resources)
