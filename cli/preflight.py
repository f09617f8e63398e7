"""`modelyard preflight`: plan the stacks one account will hold, then check the account quotas they need together."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

EXIT_OK, EXIT_SHORT, EXIT_ERROR = 0, 1, 2


def preflight(
    stacks: Annotated[
        list[str],
        typer.Option(
            "--stack", "-s", help="A stack the account will hold; repeat for each (dev, staging, prod)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print what was checked as JSON.")] = False,
) -> None:
    """Before the first `pulumi up`: do the account's quotas (Elastic IPs, VPCs, NAT gateways per zone, EC2 vCPUs
    of the node groups at full size) hold every given stack at once? Uses the AWS credentials of the shell.

    Exit codes: 0 enough quota, 1 a quota is short (the message says how to raise it), 2 a config, program or AWS
    access error.
    """
    import botocore.exceptions

    from modelyard.pipelines.aws_clients import AwsClients
    from modelyard.pipelines.quota import QuotaError, check_account_quotas, plan_needs
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, ProgramError, plan_program
    from modelyard.stacks.stack_files import StackFileError

    console, errors = Console(), Console(stderr=True)
    try:
        plans = [plan_program(DEFAULT_PROGRAM_DIR, stack) for stack in stacks]
    except (ProgramError, StackFileError) as error:
        errors.print(f"[red]cannot plan[/red]: {error}", markup=True)
        raise typer.Exit(EXIT_ERROR) from None
    regions = {plan.region for plan in plans}
    if len(regions) != 1:
        errors.print(
            f"[red]the stacks are in several regions ({', '.join(sorted(regions))})[/red]: quotas are "
            "per region; check each region's stacks on their own"
        )
        raise typer.Exit(EXIT_ERROR)
    needs = plan_needs(resource.to_json() for plan in plans for resource in plan.resources)
    try:
        checked = check_account_quotas(AwsClients(regions.pop()), needs)
    except QuotaError as error:
        errors.print(str(error), markup=False)
        raise typer.Exit(EXIT_SHORT) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        errors.print(f"cannot read the account's quotas: {error}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    if as_json:
        typer.echo(json.dumps(checked, indent=2))
        return
    for row in checked:
        console.print(
            f"{row['quota_name']} ({row['quota_code']}): {row['in_use']} in use + {row['required']} "
            f"planned <= {row['value']:g}",
            markup=False,
        )
