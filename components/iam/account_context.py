"""The account, partition and region a component deploys into: what every ARN in a policy is built from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AccountContext:
    """The account, partition and region a component deploys into, for building ARNs."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]

    @classmethod
    def lookup(cls, parent: pulumi.Resource) -> AccountContext:
        """Ask the provider the component's resources use (so a program's explicit provider applies)."""
        opts = pulumi.InvokeOutputOptions(parent=parent)
        return cls(
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            partition=aws.get_partition_output(opts=opts).partition,
            region=aws.get_region_output(opts=opts).region,
        )

    def arn(self, service: str, resource: pulumi.Input[str]) -> pulumi.Output[str]:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` of a regional service."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region, ":", self.account_id, ":", resource
        )

    @property
    def root_arn(self) -> pulumi.Output[str]:
        """The account principal: trusting it delegates the decision to the account's IAM policies."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")
