"""Evaluates identity-based IAM policies for one request, as AWS's policy evaluation logic does within one account.

Source: "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
and the policy grammar pages it links: an explicit Deny in any statement wins; otherwise an Allow whose Action
(or NotAction), Resource (or NotResource) and every Condition match allows; otherwise the request is implicitly
denied. Action names are case-insensitive, ARNs case-sensitive; `*` and `?` are the only wildcards and, in an ARN,
match within the segment they sit in (the resource part may hold ':' and '/'). Condition operators: the String,
Arn and Bool families with IfExists (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
several keys or operators must all match, several values of one key match when any does. Resource-based
policies, permission boundaries, SCPs and session policies are out of scope: the stacks use none on these roles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ALLOW, DENY = "Allow", "Deny"
ContextValue = str | Sequence[str]


class PolicyEvaluationError(ValueError):
    """A policy uses something this evaluator does not model (an unknown condition operator, a malformed statement)."""


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization AWS makes for a call: an action on a resource ARN ("*" when the action has no resource
    type), with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementMatch:
    """Which statement of which policy decided, and the action pattern that matched (for unused-permission reports)."""

    policy: str
    sid: str
    action_pattern: str


@dataclass(frozen=True)
class Decision:
    """The outcome for one request: allowed, or denied explicitly or implicitly, and by what."""

    request: AuthorizationRequest
    allowed: bool
    explicit_deny: bool = False
    matched: StatementMatch | None = None

    @property
    def reason(self) -> str:
        if self.allowed:
            return f"allowed by {self.matched.policy} statement {self.matched.sid}"
        if self.explicit_deny:
            return f"with an explicit deny in {self.matched.policy} statement {self.matched.sid}"
        return f"because no identity-based policy allows the {self.request.action} action"


@dataclass(frozen=True)
class NamedPolicy:
    """A policy document and the name it is attached under."""

    name: str
    document: Mapping[str, Any]

    @classmethod
    def parse(cls, name: str, document: str | Mapping[str, Any]) -> NamedPolicy:
        parsed = json.loads(document) if isinstance(document, str) else document
        if not isinstance(parsed, Mapping) or "Statement" not in parsed:
            raise PolicyEvaluationError(f"policy {name}: not a policy document (no Statement)")
        return cls(name, parsed)

    def statements(self) -> list[Mapping[str, Any]]:
        statements = self.document["Statement"]
        return [statements] if isinstance(statements, Mapping) else list(statements)


def evaluate(policies: Iterable[NamedPolicy], request: AuthorizationRequest) -> Decision:
    """Deny beats Allow beats the implicit deny."""
    allowed_by: StatementMatch | None = None
    for policy in policies:
        for position, statement in enumerate(policy.statements()):
            pattern = _statement_applies(statement, request, f"{policy.name}[{position}]")
            if pattern is None:
                continue
            match = StatementMatch(policy.name, str(statement.get("Sid", position)), pattern)
            if statement.get("Effect") == DENY:
                return Decision(request, allowed=False, explicit_deny=True, matched=match)
            if statement.get("Effect") == ALLOW and allowed_by is None:
                allowed_by = match
    return Decision(request, allowed=allowed_by is not None, matched=allowed_by)


def allowed_action_patterns(policies: Iterable[NamedPolicy]) -> list[StatementMatch]:
    """Every (policy, statement, action pattern) an Allow statement grants: the universe an unused-permission report
    subtracts the matched ones from. NotAction statements count as their own pattern, "NotAction:<list>"."""
    patterns = []
    for policy in policies:
        for position, statement in enumerate(policy.statements()):
            if statement.get("Effect") != ALLOW:
                continue
            sid = str(statement.get("Sid", position))
            if "Action" in statement:
                patterns.extend(
                    StatementMatch(policy.name, sid, action) for action in _as_list(statement["Action"])
                )
            else:
                patterns.append(
                    StatementMatch(
                        policy.name, sid, "NotAction:" + ",".join(_as_list(statement["NotAction"]))
                    )
                )
    return patterns


def _statement_applies(statement: Mapping[str, Any], request: AuthorizationRequest, where: str) -> str | None:
    """The matching action pattern when the statement covers the request, else None."""
    if statement.get("Effect") not in (ALLOW, DENY):
        raise PolicyEvaluationError(f"{where}: Effect must be Allow or Deny, not {statement.get('Effect')!r}")
    if "Principal" in statement or "NotPrincipal" in statement:
        raise PolicyEvaluationError(f"{where}: an identity-based policy has no Principal")
    if "Action" in statement:
        pattern = next((p for p in _as_list(statement["Action"]) if _action_matches(p, request.action)), None)
    elif "NotAction" in statement:
        excluded = any(_action_matches(p, request.action) for p in _as_list(statement["NotAction"]))
        pattern = None if excluded else "NotAction:" + ",".join(_as_list(statement["NotAction"]))
    else:
        raise PolicyEvaluationError(f"{where}: a statement needs Action or NotAction")
    if pattern is None:
        return None
    if "Resource" in statement:
        if not any(_arn_matches(p, request.resource) for p in _as_list(statement["Resource"])):
            return None
    elif "NotResource" in statement:
        if any(_arn_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return None
    else:
        raise PolicyEvaluationError(f"{where}: a statement needs Resource or NotResource")
    if not _conditions_match(statement.get("Condition", {}), request.context, where):
        return None
    return pattern


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (str, bool)):
        return [str(value).lower() if isinstance(value, bool) else value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool, segment_bound: bool) -> re.Pattern[str]:
    any_run = "[^:]*" if segment_bound else ".*"
    any_one = "[^:]" if segment_bound else "."
    body = "".join(
        any_run if char == "*" else any_one if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _matches(pattern: str, value: str, case_sensitive: bool, segment_bound: bool = False) -> bool:
    """IAM's `*` and `?` wildcards; a pattern without either (most actions and ARNs) is compared as it is."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value if case_sensitive else pattern.lower() == value.lower()
    return bool(_wildcard(pattern, case_sensitive, segment_bound).match(value))


def _action_matches(pattern: str, action: str) -> bool:
    return _matches(pattern, action, case_sensitive=False)


def _arn_matches(pattern: str, arn: str) -> bool:
    """ARN-aware matching: "*" matches anything; otherwise the five leading segments match one by one and the
    resource part (which may contain ':') as a whole."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return _matches(pattern, arn, case_sensitive=True)
    return all(
        _matches(p, a, case_sensitive=True, segment_bound=True)
        for p, a in zip(pattern_parts[:5], arn_parts[:5])
    ) and _matches(pattern_parts[5], arn_parts[5], case_sensitive=True)


def _string_like(pattern: str, value: str) -> bool:
    return _matches(pattern, value, case_sensitive=True)


_OPERATORS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _string_like,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": _arn_matches,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _conditions_match(conditions: Mapping[str, Any], context: Mapping[str, ContextValue], where: str) -> bool:
    lowered = {key.lower(): value for key, value in context.items()}
    for operator, keys in conditions.items():
        base = operator.removesuffix("IfExists")
        if_exists = base != operator
        negated = base in _NEGATIONS
        compare = _OPERATORS.get(_NEGATIONS.get(base, base))
        if compare is None:
            raise PolicyEvaluationError(f"{where}: condition operator {operator!r} is not modelled")
        for key, expected in keys.items():
            present = key.lower() in lowered
            if not present:
                # A missing key: ...IfExists and negated operators match, the others do not.
                if if_exists or negated:
                    continue
                return False
            actual_values = _as_list(lowered[key.lower()])
            hit = any(compare(str(value), actual) for value in _as_list(expected) for actual in actual_values)
            if hit == negated:
                return False
    return True
