"""Where a pipeline command sends its AWS calls: an explicit endpoint, the stack's running local cloud, or AWS."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.aws_clients import endpoint_environment, resolve_endpoint_url
from modelyard.pipelines.local_cloud.lifecycle import status
from modelyard.pipelines.stack_outputs import load_stack_outputs


@dataclasses.dataclass(frozen=True)
class Target:
    """The stack's outputs, the endpoint (None for AWS itself) and the variables a step process needs for it."""

    outputs: StackOutputs
    endpoint_url: str | None
    environment: dict[str, str]
    description: str


def resolve_target(
    stack: str, outputs_file: Path | None, endpoint_url: str | None, aws_outputs_source: str
) -> Target:
    """An explicit (or $AWS_ENDPOINT_URL / $LOCALSTACK_ENDPOINT) endpoint with the plan's outputs; else the stack's
    running local cloud with its outputs; else AWS with outputs from `aws_outputs_source` ("pulumi" or "plan").
    `outputs_file` replaces the outputs in every case."""
    endpoint = resolve_endpoint_url(endpoint_url)
    if endpoint:
        outputs = load_stack_outputs(outputs_file, stack, "plan")
        return Target(
            outputs, endpoint, endpoint_environment(endpoint, outputs.region), f"endpoint {endpoint}"
        )
    cloud = status(stack)
    if cloud.running:
        outputs = load_stack_outputs(outputs_file or cloud.state.outputs_file)
        return Target(
            outputs,
            cloud.state.endpoint_url,
            cloud.state.environment(),
            f"the local cloud of {stack} at {cloud.state.endpoint_url}",
        )
    outputs = load_stack_outputs(outputs_file, stack, aws_outputs_source)
    return Target(outputs, None, {}, f"AWS ({outputs.region}, account {outputs.account_id})")
