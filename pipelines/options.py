"""The options the training and pipeline commands share (`modelyard pipeline ...`, `modelyard train`, each step's
command line), defined once with one wording. Where a command's stack outputs or AWS calls go when an option is
left out differs by command, so each command's help says it; these texts are true for all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

_STACK = typer.Option("--stack", "-s", help="Stack name: dev, staging, prod.")
_OUTPUTS_FILE = typer.Option(
    "--outputs-file",
    help="Stack outputs JSON (`pulumi stack output --json --show-secrets`, or the local cloud's "
    "outputs.json); replaces the outputs the command would otherwise load.",
)
_ENDPOINT = typer.Option(
    "--aws-endpoint-url",
    help="AWS endpoint override: an emulator such as the local cloud or LocalStack (default: "
    "$AWS_ENDPOINT_URL, else $LOCALSTACK_ENDPOINT).",
)

# Where the embedded local cloud keeps each stack's state (`local-cloud up|down|status --root`), relative to the
# working directory: the CLI's default and the lifecycle's.
LOCAL_CLOUD_ROOT = Path(".modelyard") / "local-cloud"

StackOption = Annotated[str, _STACK]
OptionalStackOption = Annotated[Optional[str], _STACK]
OutputsFileOption = Annotated[Optional[Path], _OUTPUTS_FILE]
EndpointOption = Annotated[Optional[str], _ENDPOINT]
