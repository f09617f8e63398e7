"""Where a pipeline gets its StackOutputs: a JSON file, a deployed stack (`pulumi stack output`), or the offline plan."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from modelyard.catalog.errors import InputError
from modelyard.catalog.outputs import StackOutputs
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
from modelyard.stacks.stack_files import StackFileError


class StackOutputsError(InputError):
    """The stack outputs are missing or incomplete; the message names the source and each missing key."""


def outputs_from_plan(stack: str) -> StackOutputs:
    """The outputs the offline plan of `stack` exports (mock ARNs: account 123456789012, the stack's region)."""
    try:
        plan = plan_program(DEFAULT_PROGRAM_DIR, stack)
    except (ProgramError, StackFileError) as error:
        raise StackOutputsError(f"the offline plan of stack {stack!r} failed: {error}") from None
    return _validated(plan.outputs, f"the offline plan of stack {stack!r}")


def outputs_from_file(path: str | Path) -> StackOutputs:
    """Outputs saved by `pulumi stack output --json --show-secrets` or `modelyard plan --outputs FILE`."""
    path = Path(path)
    if not path.is_file():
        raise StackOutputsError(f"stack outputs file {path} does not exist")
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise StackOutputsError(f"stack outputs file {path} is not valid JSON: {error}") from None
    return _validated(document, f"stack outputs file {path}")


def load_stack_outputs(
    outputs_file: str | Path | None = None, stack: str | None = None, source: str = "plan"
) -> StackOutputs:
    """From `outputs_file` when given, else for `stack` from `source`: "plan" (offline, local mode) or "pulumi"."""
    if outputs_file is not None:
        return outputs_from_file(outputs_file)
    if stack is None:
        raise StackOutputsError("give either an outputs file (--outputs-file) or a stack name (--stack)")
    if source == "pulumi":
        try:
            return StackOutputs.from_pulumi(stack)
        except ValidationError as error:
            raise StackOutputsError(_describe(error, f"`pulumi stack output -s {stack}`")) from None
        except RuntimeError as error:
            raise StackOutputsError(str(error)) from None
    if source == "plan":
        return outputs_from_plan(stack)
    raise StackOutputsError(f"unknown stack outputs source {source!r}; expected 'plan' or 'pulumi'")


def _validated(document: object, origin: str) -> StackOutputs:
    try:
        return StackOutputs.model_validate(document)
    except ValidationError as error:
        raise StackOutputsError(_describe(error, origin)) from None


def _describe(error: ValidationError, origin: str) -> str:
    problems = [f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()]
    return f"{origin} does not satisfy the StackOutputs contract:\n  " + "\n  ".join(problems)
