"""The IAM check of one local execution: identities for the step processes, the executor's own service-side calls,
and the report (calls checked, denials, permissions no call used)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.pipelines.iam_check.guard import IDENTITY_VARIABLE, IamGuard, StepIdentity
from modelyard.pipelines.iam_check.role_policies import RolePolicies
from modelyard.policies.iam_evaluation import allowed_action_patterns

RUN_AS_ROLE = "modelyard.pipelines.iam_check.run_as_role"


class IamCheckError(ValueError):
    """A step cannot be checked (a container command that is not Python, a role missing from the plan)."""


@dataclass
class IamReport:
    """What the check saw: every call, the denied ones, and per role the granted action patterns nothing used."""

    calls: list[dict[str, Any]]
    unused: dict[str, list[str]] = field(default_factory=dict)

    @property
    def denied(self) -> list[dict[str, Any]]:
        return [call for call in self.calls if not call["allowed"]]

    def summary(self) -> str:
        return f"{len(self.calls)} calls checked, {len(self.denied)} denied"

    def to_json(self) -> dict[str, Any]:
        return {"calls_checked": len(self.calls), "denied": self.denied, "unused_permissions": self.unused}


class LocalIamCheck:
    """Writes the plan's role policies once under `work_dir`, hands each step process its identity, and reads the
    decisions back. `arn_aliases` maps ARNs the local cloud issued to the plan's (see StepIdentity)."""

    def __init__(
        self,
        role_policies: RolePolicies,
        work_dir: Path,
        tracking_server_arn: str,
        arn_aliases: Mapping[str, str] | None = None,
    ):
        self.role_policies = role_policies
        self.folder = Path(work_dir) / "iam"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.policies_file = role_policies.save(self.folder / "role-policies.json")
        self.calls_file = self.folder / "calls.jsonl"
        self.calls_file.write_text("")
        self.tracking_server_arn = tracking_server_arn
        self.arn_aliases = dict(arn_aliases or {})

    def identity(self, step: str, role_arn: str, origin: str = "step") -> StepIdentity:
        self.role_policies.for_role(role_arn)  # a role outside the plan fails before the step runs
        return StepIdentity(
            step,
            role_arn,
            str(self.policies_file),
            str(self.calls_file),
            self.tracking_server_arn,
            self.arn_aliases,
            origin,
        )

    def step_environment(self, step: str, role_arn: str) -> dict[str, str]:
        """The variable that makes the step's process check its calls as `role_arn`."""
        path = self.identity(step, role_arn).save(self.folder / f"{step}.identity.json")
        return {IDENTITY_VARIABLE: str(path)}

    def wrap(self, command: Sequence[str]) -> list[str]:
        """`python -m X ...` / `python -c ...` run under the guard; anything else cannot be checked and is refused."""
        if len(command) < 2 or command[1] not in ("-m", "-c"):
            raise IamCheckError(
                f"cannot check the IAM calls of {' '.join(command[:3])!r}: the local run checks "
                f"`python -m MODULE` and `python -c CODE` container commands"
            )
        return [command[0], "-m", RUN_AS_ROLE, *command[1:]]

    def service_guard(self, step: str, role_arn: str) -> IamGuard:
        """The guard for calls the service makes as `role_arn` (SageMaker Pipelines creating a step's job)."""
        return IamGuard.for_identity(self.identity(step, role_arn, origin="service"))

    def calls(self, step: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.calls_file.read_text().splitlines() if line.strip()]
        return [line for line in lines if step is None or line["step"] == step]

    def report(self) -> IamReport:
        calls = self.calls()
        used = {(c["role"], c["policy"], c["sid"], c["pattern"]) for c in calls if c["allowed"]}
        unused: dict[str, list[str]] = {}
        for role in sorted({c["role"] for c in calls}):
            unused[role] = [
                f"{m.policy}/{m.sid}: {m.action_pattern}"
                for m in allowed_action_patterns(self.role_policies.for_role(role))
                if (role, m.policy, m.sid, m.action_pattern) not in used
            ]
        return IamReport(calls, unused)
