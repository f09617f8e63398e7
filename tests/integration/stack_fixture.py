"""Stack outputs for the integration suite: the dev stack's offline plan, planned once per session."""

from __future__ import annotations

import functools

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.stack_outputs import outputs_from_plan


@functools.cache
def dev_outputs() -> StackOutputs:
    """The outputs the offline plan of the dev stack exports (account 123456789012); the plan takes seconds, so it
    runs once and every caller shares the (immutable) result."""
    return outputs_from_plan("dev")
