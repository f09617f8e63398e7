"""IAM policy documents (identity, trust and resource policies) parsed into statements rules can query."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.catalog.errors import InputError
from modelyard.policies.values import ABSENT, is_unknown

# Condition keys that pin a wildcard principal to an account, organization, network path or source.
# A "*" principal qualified by one of these is how AWS's own key and bucket policies grant "anyone in
# this account via this service"; without one, "*" means anyone on the internet.
SCOPING_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:userid",
        "kms:CallerAccount",
    )
)


class PolicyDocumentError(InputError, ValueError):
    """A policy document that is not valid JSON or not shaped like an IAM policy."""


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value)
    return (str(value),)


@dataclass(frozen=True)
class Statement:
    """One statement, with every list-or-string field normalized to a tuple."""

    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    principals: tuple[tuple[str, str], ...]
    conditions: Mapping[str, Mapping[str, Any]]

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    @property
    def condition_keys(self) -> set[str]:
        return {
            key.lower()
            for operator in self.conditions.values()
            if isinstance(operator, Mapping)
            for key in operator
        }

    def condition_values(self, key: str) -> list[str]:
        """Every value the statement's conditions test `key` against, whatever the operator."""
        found: list[str] = []
        for operator in self.conditions.values():
            if isinstance(operator, Mapping):
                for condition_key, values in operator.items():
                    if condition_key.lower() == key.lower():
                        found.extend(_as_tuple(values))
        return found

    @property
    def has_wildcard_principal(self) -> bool:
        return any(value == "*" for _, value in self.principals)

    @property
    def grants_everyone(self) -> bool:
        """An Allow to a wildcard principal with no condition that scopes who can use it."""
        return (
            self.allows and self.has_wildcard_principal and not (self.condition_keys & SCOPING_CONDITION_KEYS)
        )

    def principals_of_kind(self, kind: str) -> list[str]:
        return [value for principal_kind, value in self.principals if principal_kind == kind]


def _principals(value: Any) -> tuple[tuple[str, str], ...]:
    # "Principal": "*" is shorthand for {"AWS": "*"}.
    if value is None:
        return ()
    if isinstance(value, str):
        return (("AWS", value),)
    if isinstance(value, Mapping):
        return tuple(
            (str(kind), principal)
            for kind, principals in value.items()
            for principal in _as_tuple(principals)
        )
    raise PolicyDocumentError(f"Principal must be a string or an object, got {type(value).__name__}")


def _statement(raw: Any, position: int) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyDocumentError(f"Statement[{position}] must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyDocumentError(f"Statement[{position}].Effect must be Allow or Deny, got {effect!r}")
    conditions = raw.get("Condition") or {}
    if not isinstance(conditions, Mapping):
        raise PolicyDocumentError(f"Statement[{position}].Condition must be an object")
    return Statement(
        effect=effect,
        actions=_as_tuple(raw.get("Action")),
        not_actions=_as_tuple(raw.get("NotAction")),
        resources=_as_tuple(raw.get("Resource")),
        not_resources=_as_tuple(raw.get("NotResource")),
        principals=_principals(raw.get("Principal")),
        conditions=conditions,
    )


@dataclass(frozen=True)
class PolicyDocument:
    version: str | None
    statements: tuple[Statement, ...]


def parse_policy(value: Any) -> PolicyDocument | None:
    """The document in a `policy`-style input (JSON string or object); None when absent or not known yet.

    Raises PolicyDocumentError for a document AWS would reject.
    """
    if value is ABSENT or is_unknown(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise PolicyDocumentError(
                f"is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
            ) from None
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(f"must be a JSON object, got {type(value).__name__}")
    raw_statements = value.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyDocumentError("has no Statement")
    version = value.get("Version")
    return PolicyDocument(
        version=version if isinstance(version, str) else None,
        statements=tuple(_statement(raw, position) for position, raw in enumerate(raw_statements)),
    )


def statements_or_empty(value: Any) -> tuple[Statement, ...]:
    """The statements of a document, or none when it is unknown or malformed (MY-IAM-008 reports those)."""
    try:
        document = parse_policy(value)
    except PolicyDocumentError:
        return ()
    return document.statements if document else ()


def public_statements(resource: Any, label: str = "Statement") -> list[str]:
    """One finding per statement of `resource`'s `policy` that allows principal "*" without a scoping condition."""
    return [
        f'{label}[{position}] allows {", ".join(statement.actions) or "NotAction"} to principal "*" '
        "without a condition that scopes the caller"
        for position, statement in enumerate(statements_or_empty(resource.get("policy")))
        if statement.grants_everyone
    ]
