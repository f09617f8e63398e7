"""IAM rules: no wildcard actions or resources, specific trust principals, no user policies, no broad managed policies."""

from __future__ import annotations

import re

from modelyard.policies.policy_document import (
    PolicyDocumentError,
    Statement,
    parse_policy,
    statements_or_empty,
)
from modelyard.policies.resources import Resource
from modelyard.policies.rule import MANDATORY, ResourceRule
from modelyard.policies.values import is_unknown, items_of, lookup, shown
from modelyard.policies.wildcard_resource_exceptions import exception_for

ROLE = "aws:iam/role:Role"
# Where identity-based policy documents live, by type: (path shown in messages, input key) pairs.
IDENTITY_POLICY_TYPES = frozenset(
    {
        ROLE,
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
RESOURCE_POLICY_TYPES = frozenset(
    {
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:kms/key:Key",
        "aws:sns/topic:Topic",
        "aws:sns/topicPolicy:TopicPolicy",
    }
)
USER_POLICY_TYPES = frozenset(
    {"aws:iam/userPolicy:UserPolicy", "aws:iam/userPolicyAttachment:UserPolicyAttachment"}
)
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ATTACHMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        POLICY_ATTACHMENT,
    }
)

CURRENT_POLICY_VERSION = "2012-10-17"
SERVICE_WIDE_ACTION = re.compile(r"^([a-z0-9-]+):\*$", re.IGNORECASE)
# AWS managed policies that grant a whole service or the whole account.
BROAD_MANAGED_POLICY = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*(\w*FullAccess\w*|AdministratorAccess|PowerUserAccess)$"
)
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# A GitHub subject that names one repository: repo:<owner>/<name>:<what>, with no wildcard in owner/name.
GITHUB_SUBJECT = re.compile(r"^repo:[^*/:]+/[^*/:]+:(.+)$")


def identity_documents(resource: Resource) -> list[tuple[str, object]]:
    """(path, document) for every identity-based policy document a resource carries."""
    if resource.type == ROLE:
        return [
            (f"inlinePolicies[{position}].policy", lookup(inline, "policy"))
            for position, inline in enumerate(items_of(resource.get("inlinePolicies")))
        ]
    if resource.type in IDENTITY_POLICY_TYPES:
        return [("policy", resource.get("policy"))]
    return []


def _allow_statements(resource: Resource) -> list[tuple[str, Statement]]:
    return [
        (f"{path} Statement[{position}]", statement)
        for path, document in identity_documents(resource)
        for position, statement in enumerate(statements_or_empty(document))
        if statement.allows
    ]


# -- MY-IAM-001: no "*" action ----------------------------------------------------------------------------------


def _no_full_wildcard_action(resource: Resource) -> list[str]:
    problems = []
    for where, statement in _allow_statements(resource):
        if any(action in ("*", "*:*") for action in statement.actions):
            problems.append(f'{where} allows every action ("*")')
        if statement.not_actions:
            problems.append(
                f"{where} allows NotAction {', '.join(statement.not_actions)}, which grants every other action"
            )
    return problems


NO_WILDCARD_ACTION = ResourceRule(
    id="MY-IAM-001",
    description='No identity policy allows Action "*" (or NotAction, its complement).',
    severity="critical",
    anchors=("CKV_AWS_62", "CKV_AWS_63", "AwsSolutions-IAM5", "SecurityHub IAM.1"),
    levels=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    check=_no_full_wildcard_action,
)


# -- MY-IAM-002: no service-wide wildcard ---------------------------------------------------------------------


def _no_service_wildcard(resource: Resource) -> list[str]:
    return [
        f'{where} allows every {match.group(1)} action ("{action}")'
        for where, statement in _allow_statements(resource)
        for action in statement.actions
        if (match := SERVICE_WIDE_ACTION.match(action))
    ]


NO_SERVICE_WILDCARD_ACTION = ResourceRule(
    id="MY-IAM-002",
    description='No identity policy allows every action of a service ("s3:*").',
    severity="high",
    anchors=("AwsSolutions-IAM5", "SecurityHub IAM.21"),
    levels=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    check=_no_service_wildcard,
)


# -- MY-IAM-003: no unconstrained "*" resource ---------------------------------------------------------------


def _unexcused(statement: Statement) -> list[str]:
    """Actions of a Resource "*" statement that no documented exception (with its conditions) covers."""
    if statement.not_actions:
        return [f"NotAction {', '.join(statement.not_actions)}"]
    unexcused = []
    for action in statement.actions:
        exception = exception_for(action)
        if exception is None:
            unexcused.append(action)
            continue
        missing = [
            key for key in exception.required_condition_keys if key.lower() not in statement.condition_keys
        ]
        if missing:
            unexcused.append(f"{action} (needs a {', '.join(missing)} condition)")
    return unexcused


def _no_unconstrained_resource(resource: Resource) -> list[str]:
    problems = []
    for where, statement in _allow_statements(resource):
        if statement.not_resources:
            problems.append(f"{where} uses NotResource, which grants every resource not listed")
        elif "*" in statement.resources and (unexcused := _unexcused(statement)):
            problems.append(f'{where} allows {", ".join(unexcused)} on Resource "*"')
    return problems


NO_UNCONSTRAINED_RESOURCE = ResourceRule(
    id="MY-IAM-003",
    description='No identity policy allows Resource "*" except for the documented actions AWS only authorizes on "*".',
    severity="high",
    anchors=("CKV_AWS_355", "AwsSolutions-IAM5"),
    levels=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    check=_no_unconstrained_resource,
)


# -- MY-IAM-004 / 005: trust policies ----------------------------------------------------------------------


def _trust_statements(role: Resource) -> list[tuple[int, Statement]]:
    return [
        (position, statement)
        for position, statement in enumerate(statements_or_empty(role.get("assumeRolePolicy")))
        if statement.allows
    ]


def _no_wildcard_trust(role: Resource) -> list[str]:
    return [
        f'assumeRolePolicy Statement[{position}] lets any principal ("*") assume the role'
        for position, statement in _trust_statements(role)
        if statement.has_wildcard_principal
    ]


TRUST_NAMES_PRINCIPALS = ResourceRule(
    id="MY-IAM-004",
    description='Role trust policies name specific principals, never "*".',
    severity="critical",
    anchors=("CKV_AWS_60", "CKV_AWS_61"),
    levels=MANDATORY,
    resource_types=frozenset({ROLE}),
    check=_no_wildcard_trust,
)


def _subject_problem(key: str, subject: str) -> str | None:
    if subject == "*" or subject.startswith("*"):
        return "matches any subject"
    if key.startswith(GITHUB_OIDC_HOST):
        match = GITHUB_SUBJECT.match(subject)
        if not match:
            return "does not name one repository"
        if match.group(1) == "*":
            return "allows every branch, tag, pull request and environment of the repository"
    return None


def _oidc_trust_constrained(role: Resource) -> list[str]:
    problems = []
    for position, statement in _trust_statements(role):
        federated = statement.principals_of_kind("Federated")
        if not any("oidc-provider/" in principal or is_unknown(principal) for principal in federated):
            continue
        where = f"assumeRolePolicy Statement[{position}]"
        subject_keys = sorted(key for key in statement.condition_keys if key.endswith(":sub"))
        if not subject_keys:
            problems.append(
                f"{where} trusts an OIDC provider without a :sub condition, so any identity it issues can assume the role"
            )
        if not any(key.endswith(":aud") for key in statement.condition_keys):
            problems.append(f"{where} trusts an OIDC provider without an :aud condition")
        for key in subject_keys:
            for subject in statement.condition_values(key):
                if problem := _subject_problem(key, subject):
                    problems.append(f"{where} {key} allows {subject!r}, which {problem}")
    return problems


OIDC_TRUST_CONSTRAINED = ResourceRule(
    id="MY-IAM-005",
    description="Roles trusted by an OIDC provider (GitHub Actions, EKS IRSA) pin the audience and a specific subject.",
    severity="critical",
    anchors=("CKV_AWS_358",),
    levels=MANDATORY,
    resource_types=frozenset({ROLE}),
    check=_oidc_trust_constrained,
)


# -- MY-IAM-006: no policies on users -----------------------------------------------------------------------


def _no_user_policy(resource: Resource) -> list[str]:
    if resource.type == "aws:iam/userPolicy:UserPolicy":
        return ["puts an inline policy directly on an IAM user; grant permissions through roles"]
    if resource.type == "aws:iam/userPolicyAttachment:UserPolicyAttachment":
        return ["attaches a managed policy directly to an IAM user; grant permissions through roles"]
    users = resource.get("users")
    if items_of(users) or (is_unknown(users) and "users" in resource.inputs):
        return [
            "users is set: attaches a managed policy directly to IAM users; grant permissions through roles"
        ]
    return []


NO_USER_POLICIES = ResourceRule(
    id="MY-IAM-006",
    description="No policy is attached to IAM users directly (people and CI assume roles).",
    severity="medium",
    anchors=("CKV_AWS_40", "SecurityHub IAM.2"),
    levels=MANDATORY,
    resource_types=USER_POLICY_TYPES | frozenset({POLICY_ATTACHMENT}),
    check=_no_user_policy,
)


# -- MY-IAM-007: no broad AWS managed policies ---------------------------------------------------------------


def _no_broad_managed_policy(resource: Resource) -> list[str]:
    if resource.type == ROLE:
        candidates = [
            (f"managedPolicyArns[{i}]", arn)
            for i, arn in enumerate(items_of(resource.get("managedPolicyArns")))
        ]
    else:
        candidates = [("policyArn", resource.get("policyArn"))]
    return [
        f"{where} {arn!r} is an AWS managed policy granting {match.group(1)}; write a least-privilege policy"
        for where, arn in candidates
        if isinstance(arn, str) and (match := BROAD_MANAGED_POLICY.match(arn))
    ]


NO_BROAD_MANAGED_POLICIES = ResourceRule(
    id="MY-IAM-007",
    description="No AWS managed FullAccess, AdministratorAccess or PowerUserAccess policy is attached.",
    severity="high",
    anchors=("AwsSolutions-IAM4", "CKV_AWS_274"),
    levels=MANDATORY,
    resource_types=ATTACHMENT_TYPES | frozenset({ROLE}),
    check=_no_broad_managed_policy,
)


# -- MY-IAM-008: well-formed documents ---------------------------------------------------------------------


def _all_documents(resource: Resource) -> list[tuple[str, object]]:
    documents = identity_documents(resource)
    if resource.type == ROLE:
        documents.insert(0, ("assumeRolePolicy", resource.get("assumeRolePolicy")))
    elif resource.type in RESOURCE_POLICY_TYPES and "policy" in resource.inputs:
        documents.append(("policy", resource.get("policy")))
    return documents


def _well_formed(resource: Resource) -> list[str]:
    problems = []
    for path, value in _all_documents(resource):
        try:
            document = parse_policy(value)
        except PolicyDocumentError as error:
            problems.append(f"{path} {error}")
            continue
        if document is not None and document.version != CURRENT_POLICY_VERSION:
            problems.append(
                f"{path} Version is {shown(document.version) if document.version else 'not set'}, not "
                f"{CURRENT_POLICY_VERSION} (older versions disable policy variables)"
            )
    return problems


WELL_FORMED_DOCUMENTS = ResourceRule(
    id="MY-IAM-008",
    description="Policy documents are valid JSON, have statements with a valid Effect, and use Version 2012-10-17.",
    severity="medium",
    anchors=("IAM Access Analyzer policy validation (MISSING_VERSION, syntax errors)",),
    levels=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES | RESOURCE_POLICY_TYPES,
    check=_well_formed,
)


RULES = (
    NO_WILDCARD_ACTION,
    NO_SERVICE_WILDCARD_ACTION,
    NO_UNCONSTRAINED_RESOURCE,
    TRUST_NAMES_PRINCIPALS,
    OIDC_TRUST_CONSTRAINED,
    NO_USER_POLICIES,
    NO_BROAD_MANAGED_POLICIES,
    WELL_FORMED_DOCUMENTS,
)
