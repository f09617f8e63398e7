"""IAM for the platform: the PlatformRoles component and the policy plumbing other components' grants share."""

from modelyard.components.iam.roles import (
    GITHUB_OIDC_HOST,
    GITHUB_OIDC_URL,
    AccountContext,
    PlatformRoles,
    PlatformRolesArgs,
    Statement,
    attach_policy,
    grant_name,
    policy_document,
    service_trust_policy,
)

__all__ = [
    "GITHUB_OIDC_HOST",
    "GITHUB_OIDC_URL",
    "AccountContext",
    "PlatformRoles",
    "PlatformRolesArgs",
    "Statement",
    "attach_policy",
    "grant_name",
    "policy_document",
    "service_trust_policy",
]
