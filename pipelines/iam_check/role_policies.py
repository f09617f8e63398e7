"""The IAM policies each role has in a stack's plan, and the roles the plan's Lambda functions run as."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.policies.iam_evaluation import NamedPolicy

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"
LAMBDA_FUNCTION = "aws:lambda/function:Function"


class RolePoliciesError(ValueError):
    """A role is not in the plan, or its policies cannot be evaluated (an AWS-managed policy, a malformed document)."""


@dataclass(frozen=True)
class RolePolicies:
    """Role name -> its policies (inline and customer-managed), and Lambda function name -> its role ARN."""

    roles: Mapping[str, list[NamedPolicy]]
    lambda_roles: Mapping[str, str] = field(default_factory=dict)
    unresolved: Mapping[str, list[str]] = field(default_factory=dict)
    """Role name -> policy ARNs attached to it that the plan does not define (AWS-managed)."""

    def for_role(self, role_arn: str) -> list[NamedPolicy]:
        name = role_name(role_arn)
        if name not in self.roles:
            raise RolePoliciesError(
                f"role {role_arn} is not in the stack's plan (known: {', '.join(sorted(self.roles))})"
            )
        if self.unresolved.get(name):
            raise RolePoliciesError(
                f"role {role_arn} has AWS-managed policies the plan does not contain: "
                f"{', '.join(self.unresolved[name])}"
            )
        return self.roles[name]

    def lambda_role(self, function_name: str) -> str:
        if function_name not in self.lambda_roles:
            raise RolePoliciesError(f"Lambda function {function_name!r} is not in the stack's plan")
        return self.lambda_roles[function_name]

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": {
                name: [{"name": p.name, "document": p.document} for p in policies]
                for name, policies in self.roles.items()
            },
            "lambda_roles": dict(self.lambda_roles),
            "unresolved": {name: list(arns) for name, arns in self.unresolved.items()},
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RolePolicies:
        return cls(
            roles={
                name: [NamedPolicy.parse(p["name"], p["document"]) for p in policies]
                for name, policies in document["roles"].items()
            },
            lambda_roles=dict(document.get("lambda_roles", {})),
            unresolved={name: list(arns) for name, arns in document.get("unresolved", {}).items()},
        )

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: Path) -> RolePolicies:
        return cls.from_json(json.loads(Path(path).read_text()))

    @classmethod
    def from_resources(cls, resources: Iterable[Any]) -> RolePolicies:
        """From a plan's recorded resources (`type`, `name`, `id`, `inputs` each)."""
        resources = list(resources)
        roles: dict[str, list[NamedPolicy]] = {}
        for resource in resources:
            if resource.type == ROLE:
                roles[resource.id or resource.name] = []
        managed = {_policy_arn(r): r for r in resources if r.type == MANAGED_POLICY}
        unresolved: dict[str, list[str]] = {}
        lambda_roles: dict[str, str] = {}
        for resource in resources:
            if resource.type == ROLE_POLICY:
                name = role_name(resource.inputs["role"])
                try:
                    roles.setdefault(name, []).append(
                        NamedPolicy.parse(resource.name, resource.inputs["policy"])
                    )
                except (ValueError, KeyError) as error:
                    raise RolePoliciesError(f"role policy {resource.name}: {error}") from None
            elif resource.type == ROLE_POLICY_ATTACHMENT:
                name, arn = role_name(resource.inputs["role"]), resource.inputs["policyArn"]
                if arn in managed:
                    roles.setdefault(name, []).append(
                        NamedPolicy.parse(managed[arn].name, managed[arn].inputs["policy"])
                    )
                else:
                    unresolved.setdefault(name, []).append(arn)
            elif resource.type == LAMBDA_FUNCTION:
                lambda_roles[resource.inputs.get("name") or resource.id or resource.name] = resource.inputs[
                    "role"
                ]
        return cls(roles, lambda_roles, unresolved)


def role_name(role: str) -> str:
    """A role's name from its ARN (path included) or its name."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def _policy_arn(resource: Any) -> str:
    return resource.outputs.get("arn") or resource.inputs.get("arn") or resource.id or resource.name


def role_policies_for_stack(stack: str) -> RolePolicies:
    """Plan `stack` offline and read its roles' policies."""
    from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program

    return RolePolicies.from_resources(plan_program(DEFAULT_PROGRAM_DIR, stack).resources)
