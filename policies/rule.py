"""What a policy rule is: metadata, enforcement per environment, and a check with three outcomes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from modelyard.policies.resources import Resource, StackResources

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["mandatory", "advisory", "disabled"]
Outcome = Literal["pass", "fail", "not_applicable"]

ENVIRONMENTS = ("dev", "staging", "prod")
SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Levels:
    """Enforcement per environment. Any other stack name gets prod's level: foreign stacks are held to prod."""

    dev: Enforcement
    staging: Enforcement
    prod: Enforcement

    def for_stack(self, stack: str) -> Enforcement:
        return getattr(self, stack) if stack in ENVIRONMENTS else self.prod

    def as_dict(self) -> dict[str, Enforcement]:
        return {environment: getattr(self, environment) for environment in ENVIRONMENTS}


MANDATORY = Levels(dev="mandatory", staging="mandatory", prod="mandatory")
ADVISORY_IN_DEV = Levels(dev="advisory", staging="mandatory", prod="mandatory")
# For rules about production-grade availability, which a deliberately small dev stack does not aim for.
OFF_IN_DEV = Levels(dev="disabled", staging="mandatory", prod="mandatory")


@dataclass(frozen=True)
class NotApplicable:
    """The rule does not apply to this resource (or stack), with the reason."""

    reason: str


@dataclass(frozen=True)
class Finding:
    """One failure: which resource (None for the stack as a whole) and what is wrong with it."""

    urn: str | None
    message: str


# A resource check returns the failure messages for one resource (empty: it passes) or NotApplicable.
ResourceCheck = Callable[[Resource], Sequence[str] | NotApplicable]
# A stack check sees every resource at once and returns findings (empty: pass) or NotApplicable.
StackCheck = Callable[[StackResources], Sequence[Finding] | NotApplicable]


@dataclass(frozen=True)
class RuleResult:
    outcome: Outcome
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Rule:
    """Metadata shared by both kinds of rule."""

    id: str
    description: str
    severity: Severity
    anchors: tuple[str, ...]
    levels: Levels

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"rule {self.id}: severity {self.severity!r} is not one of {', '.join(SEVERITIES)}"
            )
        if not self.anchors:
            raise ValueError(f"rule {self.id}: every rule names the anchors it mirrors")


@dataclass(frozen=True)
class ResourceRule(Rule):
    """A rule judged one resource at a time (CrossGuard: ResourceValidationPolicy)."""

    resource_types: frozenset[str]
    check: ResourceCheck

    def run(self, stack: StackResources) -> RuleResult:
        findings: list[Finding] = []
        applicable = False
        for resource in stack.of_types(self.resource_types):
            verdict = self.check(resource)
            if isinstance(verdict, NotApplicable):
                continue
            applicable = True
            findings.extend(Finding(resource.urn, message) for message in verdict)
        return _result(applicable, findings)


@dataclass(frozen=True)
class StackRule(Rule):
    """A rule that needs several resources (or the cost estimate) at once (CrossGuard: StackValidationPolicy)."""

    check: StackCheck
    needs_cost: bool = False
    """Whether the check reads the stack's cost estimate (only then does CrossGuard compute one)."""

    def run(self, stack: StackResources) -> RuleResult:
        verdict = self.check(stack)
        if isinstance(verdict, NotApplicable):
            return RuleResult("not_applicable")
        return _result(True, list(verdict))


def _result(applicable: bool, findings: list[Finding]) -> RuleResult:
    if findings:
        # A companion resource can be reached from two buckets; report each finding once.
        return RuleResult("fail", tuple(dict.fromkeys(findings)))
    return RuleResult("pass" if applicable else "not_applicable")
