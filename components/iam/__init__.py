"""IAM for the platform: the PlatformRoles component (roles.py; its ENI rights in network_interfaces.py) and the
policy plumbing other components' grants import (account_context.py, policy_documents.py, github_oidc.py)."""

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.github_oidc import GITHUB_OIDC_HOST, GITHUB_OIDC_URL
from modelyard.components.iam.network_interfaces import RoleNetwork
from modelyard.components.iam.policy_documents import (
    Statement,
    attach_policy,
    grant_name,
    policy_document,
    service_trust_policy,
)
from modelyard.components.iam.roles import PREVIEW_ACTIONS, PlatformRoles, PlatformRolesArgs

__all__ = [
    "GITHUB_OIDC_HOST",
    "GITHUB_OIDC_URL",
    "PREVIEW_ACTIONS",
    "AccountContext",
    "PlatformRoles",
    "PlatformRolesArgs",
    "RoleNetwork",
    "Statement",
    "attach_policy",
    "grant_name",
    "policy_document",
    "service_trust_policy",
]
