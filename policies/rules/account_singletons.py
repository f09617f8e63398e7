"""Account singletons at most once: a second GitHub OIDC provider or service-linked role fails with EntityAlreadyExists."""

from __future__ import annotations

from collections.abc import Callable

from modelyard.policies.resources import Resource, StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.values import ABSENT, is_unknown, lookup

# Resource type -> what identifies the one instance an account (or account and region) may hold.
SINGLETON_KEYS: dict[str, Callable[[Resource], str | None]] = {
    # IAM holds one OIDC provider per issuer URL (CreateOpenIDConnectProvider: EntityAlreadyExists).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda resource: _known(
        resource, "url", transform=lambda url: url.removeprefix("https://").rstrip("/")
    ),
    # One service-linked role per service and custom suffix (CreateServiceLinkedRole: InvalidInput, name taken).
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda resource: _known(
        resource,
        "awsServiceName",
        transform=lambda service: (
            service
            + "/"
            + str(
                lookup(resource.inputs, "customSuffix")
                if lookup(resource.inputs, "customSuffix") is not ABSENT
                else ""
            )
        ),
    ),
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": lambda resource: "account password policy",
    "aws:iam/accountAlias:AccountAlias": lambda resource: "account alias",
    "aws:guardduty/detector:Detector": lambda resource: "GuardDuty detector",
    "aws:securityhub/account:Account": lambda resource: "Security Hub account",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": lambda resource: "EBS encryption by default",
}


def _known(resource: Resource, key: str, transform: Callable[[str], str]) -> str | None:
    value = lookup(resource.inputs, key)
    if value is ABSENT or is_unknown(value):
        return None
    return transform(str(value))


def _at_most_once(stack: StackResources) -> list[Finding] | NotApplicable:
    singletons = stack.of_types(SINGLETON_KEYS)
    if not singletons:
        return NotApplicable("this plan creates no account-wide singleton")
    first: dict[tuple[str, str], Resource] = {}
    findings = []
    for resource in singletons:
        key = SINGLETON_KEYS[resource.type](resource)
        if key is None:
            continue
        earlier = first.setdefault((resource.type, key), resource)
        if earlier is not resource:
            findings.append(
                Finding(
                    resource.urn,
                    (
                        f"{key!r} is an account singleton that {earlier.name} already creates: AWS refuses the second "
                        "(EntityAlreadyExists); create it in one stack and look it up in the others"
                    ),
                )
            )
    return findings


RULE = StackRule(
    id="MY-DEP-005",
    description="Account-wide singletons (OIDC providers, service-linked roles, ...) are created at most once.",
    severity="high",
    anchors=("IAM CreateOpenIDConnectProvider EntityAlreadyExists", "IAM CreateServiceLinkedRole"),
    levels=MANDATORY,
    check=_at_most_once,
)

RULES = (RULE,)
