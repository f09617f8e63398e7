"""AccountSingletons: one stack creates the account-wide resources, the others look them up."""

from __future__ import annotations

import pulumi

from modelyard.components import AccountSingletons, AccountSingletonsArgs, ComponentArgsError

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
AUTO_SCALING = (
    "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)


def _run(program, **flags):
    def build():
        singletons = AccountSingletons("modelyard-unit", AccountSingletonsArgs(tags=TAGS, **flags))
        pulumi.export("provider", singletons.github_oidc_provider_arn)
        pulumi.export("auto_scaling", singletons.auto_scaling_role_arn)
        pulumi.export("created", len(singletons.created))

    return program(build)


TAGS = {"project": "modelyard", "environment": "test", "owner": "ml-platform", "cost-center": "ml-research"}


def test_the_owning_stack_creates_the_provider_and_the_service_linked_role(program):
    run = _run(program, create_github_oidc_provider=True, create_auto_scaling_role=True)

    assert run.error is None, run.error
    provider = run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    role = run.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "autoscaling.amazonaws.com"
    assert run.outputs == {"provider": PROVIDER, "auto_scaling": AUTO_SCALING, "created": 2}


def test_other_stacks_look_the_singletons_up_and_create_nothing(program):
    run = _run(program)

    assert run.error is None, run.error
    assert [r.type for r in run.resources] == ["modelyard:account:AccountSingletons"]
    assert run.outputs == {"provider": PROVIDER, "auto_scaling": AUTO_SCALING, "created": 0}


def test_untagged_args_are_refused_before_anything_is_created(program):
    run = program(lambda: AccountSingletons("x", AccountSingletonsArgs(tags={})))
    assert isinstance(run.error, ComponentArgsError)
    assert run.resources == []
