"""Inside a step's process: every boto3 and MLflow call is authorized against the step's role as the plan defines it;
a denied call fails with AccessDenied as AWS would answer it, and every decision is appended to the run's log."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from modelyard.pipelines.iam_check.aws_call_requests import CallSite, iam_prefix, requests_for_call
from modelyard.pipelines.iam_check.role_policies import RolePolicies, role_name
from modelyard.policies.iam_evaluation import AuthorizationRequest, Decision, NamedPolicy, evaluate

# The one variable a step process reads: the path of its StepIdentity JSON.
IDENTITY_VARIABLE = "MODELYARD_IAM_CHECK"
SESSION_NAME = "SageMaker"
# The host MLflow calls go to: the tracking server, behind SageMaker's MLflow endpoint service.
MLFLOW_ENDPOINT = "mlflow"


@dataclass(frozen=True)
class StepIdentity:
    """Who a step process acts as, where its policies and call log lie, and how local ARNs map to the plan's."""

    step: str
    role_arn: str
    policies_file: str
    calls_file: str
    tracking_server_arn: str
    arn_aliases: Mapping[str, str]
    """ARN in the local cloud -> the ARN the plan's policies name (the local cloud issues its own KMS key ids)."""
    origin: str = "step"
    """"step": calls the step's own code makes (from inside its VPC); "service": calls the service makes for it."""

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(self.__dict__ | {"arn_aliases": dict(self.arn_aliases)}, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> StepIdentity:
        return cls(**json.loads(Path(path).read_text()))


class IamGuard:
    """Authorizes calls for one identity and records each decision (JSON lines, appended under a lock)."""

    def __init__(self, identity: StepIdentity, policies: list[NamedPolicy]):
        self.identity = identity
        self.policies = policies
        self.account_id = identity.role_arn.split(":")[4]
        self._lock = threading.Lock()

    @classmethod
    def for_identity(cls, identity: StepIdentity) -> IamGuard:
        return cls(identity, RolePolicies.load(Path(identity.policies_file)).for_role(identity.role_arn))

    def authorize(
        self,
        operation: str,
        requests: list[AuthorizationRequest],
        error_code: str = "AccessDenied",
        endpoint: str = MLFLOW_ENDPOINT,
    ) -> None:
        """Evaluate every request of one call to `endpoint` (the service host it goes to); raise
        ClientError(AccessDenied) at the first denial."""
        for request in requests:
            request = self._as_planned(request)
            decision = evaluate(self.policies, request)
            self._record(operation, endpoint, decision)
            if not decision.allowed:
                raise ClientError(
                    {"Error": {"Code": error_code, "Message": self._message(decision)}},
                    operation.rsplit(".", 1)[-1],
                )

    def authorize_boto3(
        self, service_model: Any, operation: str, params: Mapping[str, Any], region: str
    ) -> None:
        site = CallSite(self.account_id, region, self.identity.role_arn.split(":")[1])
        prefix = iam_prefix(service_model)
        self.authorize(
            f"{prefix}.{operation}",
            requests_for_call(service_model, operation, params, site),
            "AccessDenied" if prefix == "s3" else "AccessDeniedException",
            service_model.endpoint_prefix,
        )

    def _as_planned(self, request: AuthorizationRequest) -> AuthorizationRequest:
        resource = self.identity.arn_aliases.get(request.resource, request.resource)
        return (
            request
            if resource == request.resource
            else AuthorizationRequest(request.action, resource, request.context)
        )

    def _message(self, decision: Decision) -> str:
        # The wording AWS uses for an identity-policy denial.
        partition = self.identity.role_arn.split(":")[1]
        principal = (
            f"arn:{partition}:sts::{self.account_id}:assumed-role/{role_name(self.identity.role_arn)}/"
            f"{SESSION_NAME}"
        )
        return (
            f"User: {principal} is not authorized to perform: {decision.request.action} on resource: "
            f"{decision.request.resource} {decision.reason}"
        )

    def _record(self, operation: str, endpoint: str, decision: Decision) -> None:
        matched = decision.matched
        line = json.dumps(
            {
                "step": self.identity.step,
                "role": self.identity.role_arn,
                "origin": self.identity.origin,
                "endpoint": endpoint,
                "operation": operation,
                "action": decision.request.action,
                "resource": decision.request.resource,
                "allowed": decision.allowed,
                "reason": decision.reason,
                "policy": matched.policy if matched else None,
                "sid": matched.sid if matched else None,
                "pattern": matched.action_pattern if matched else None,
            }
        )
        with self._lock, open(self.identity.calls_file, "a") as log:
            log.write(line + "\n")


def install_in_process(identity: StepIdentity) -> IamGuard:
    """Every boto3 client created from now on, and every MLflow store call, goes through the guard."""
    import botocore.session

    from modelyard.pipelines.iam_check import mlflow_calls

    guard = IamGuard.for_identity(identity)
    create_client = botocore.session.Session.create_client

    def checked_create_client(session, service_name, *args, **kwargs):
        client = create_client(session, service_name, *args, **kwargs)
        attach(guard, client)
        return client

    botocore.session.Session.create_client = checked_create_client
    mlflow_calls.install(guard.authorize, identity.tracking_server_arn)
    return guard


_EVENT = "before-parameter-build.*.*"


def attach(guard: IamGuard, client: Any, unique_id: str | None = None) -> None:
    """Authorize each call of `client` before its parameters are even serialized."""
    region = client.meta.region_name

    def before_call(params, model, **_):
        guard.authorize_boto3(model.service_model, model.name, params, region)

    client.meta.events.register_first(_EVENT, before_call, unique_id=unique_id)


@contextlib.contextmanager
def acting_as(guard: IamGuard, client: Any) -> Iterator[None]:
    """While the block runs, `client`'s calls are authorized as `guard`'s identity (a service acting for a role)."""
    unique_id = f"modelyard-iam-check-{id(guard)}"
    attach(guard, client, unique_id)
    try:
        yield
    finally:
        client.meta.events.unregister(_EVENT, unique_id=unique_id)


def install_from_environment() -> IamGuard | None:
    """The guard this process's step asks for ($MODELYARD_IAM_CHECK), or None when the run checks nothing."""
    path = os.environ.get(IDENTITY_VARIABLE)
    return install_in_process(StepIdentity.load(path)) if path else None
