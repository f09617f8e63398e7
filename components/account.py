"""Account-wide singletons (the GitHub OIDC provider, EC2 Auto Scaling's service-linked role): created by one
stack of the account, looked up or assumed by the others."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.github_oidc import GITHUB_OIDC_HOST, GITHUB_OIDC_URL
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

TYPE_TOKEN = "modelyard:account:AccountSingletons"
AUTO_SCALING_SERVICE = "autoscaling.amazonaws.com"
# The role EC2 Auto Scaling (and so every EKS managed node group) launches instances as; its path and name are
# fixed by AWS ("Service-linked roles for Amazon EC2 Auto Scaling", EC2 Auto Scaling user guide).
AUTO_SCALING_ROLE_PATH = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def auto_scaling_role_arn(account: AccountContext) -> pulumi.Output[str]:
    """ARN of AWSServiceRoleForAutoScaling in the account."""
    return pulumi.Output.concat(
        "arn:", account.partition, ":iam::", account.account_id, ":", AUTO_SCALING_ROLE_PATH
    )


def github_oidc_provider_arn(account: AccountContext) -> pulumi.Output[str]:
    """ARN of the account's GitHub Actions OIDC provider."""
    return pulumi.Output.concat(
        "arn:", account.partition, ":iam::", account.account_id, ":oidc-provider/", GITHUB_OIDC_HOST
    )


@dataclass(kw_only=True)
class AccountSingletonsArgs:
    """Which account-wide resources this stack owns."""

    tags: dict[str, str]
    """Tags on what is created (project, environment, owner, cost-center). Required."""
    create_github_oidc_provider: bool = False
    """Create the account's GitHub OIDC provider (an account holds one per URL: IAM answers EntityAlreadyExists
    to a second). Default False: look up the one another stack created."""
    create_auto_scaling_role: bool = False
    """Create AWSServiceRoleForAutoScaling. AWS creates it on an account's first Auto Scaling group, but a key
    policy may only name a role that exists (KMS refuses the policy otherwise), and the key comes first.
    Default False: the role exists already."""

    def problems(self) -> list[str]:
        return tag_problems(self.tags)


class AccountSingletons(pulumi.ComponentResource):
    """The account-wide resources the platform needs, created here or found."""

    github_oidc_provider_arn: pulumi.Output[str]
    """ARN of the GitHub Actions OIDC provider."""
    auto_scaling_role_arn: pulumi.Output[str]
    """ARN of AWSServiceRoleForAutoScaling."""
    created: list[pulumi.Resource]
    """What this stack created (resources that use the singletons depend on these)."""

    def __init__(self, name: str, args: AccountSingletonsArgs, opts: pulumi.ResourceOptions | None = None):
        raise_for_problems("AccountSingletons", name, args.problems())
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.created = []
        if args.create_github_oidc_provider:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                aws.iam.OpenIdConnectProviderArgs(
                    url=GITHUB_OIDC_URL,
                    client_id_lists=["sts.amazonaws.com"],
                    # No thumbprints: IAM verifies GitHub's certificate against its own trusted CAs.
                    tags=args.tags,
                ),
                child,
            )
            self.created.append(provider)
            self.github_oidc_provider_arn = provider.arn
        else:
            # By ARN (IAM names a provider after its URL), so reading it needs only iam:GetOpenIDConnectProvider on
            # that one ARN; a missing provider fails the preview, naming it, before anything is created.
            account = AccountContext.lookup(self)
            self.github_oidc_provider_arn = aws.iam.get_open_id_connect_provider_output(
                arn=github_oidc_provider_arn(account), opts=pulumi.InvokeOutputOptions(parent=self)
            ).arn
        if args.create_auto_scaling_role:
            role = aws.iam.ServiceLinkedRole(
                f"{name}-autoscaling-role",
                aws.iam.ServiceLinkedRoleArgs(aws_service_name=AUTO_SCALING_SERVICE, tags=args.tags),
                child,
            )
            self.created.append(role)
            self.auto_scaling_role_arn = role.arn
        else:
            self.auto_scaling_role_arn = auto_scaling_role_arn(AccountContext.lookup(self))
        self.register_outputs(
            {
                "github_oidc_provider_arn": self.github_oidc_provider_arn,
                "auto_scaling_role_arn": self.auto_scaling_role_arn,
            }
        )
