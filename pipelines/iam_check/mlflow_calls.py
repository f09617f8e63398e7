"""MLflow calls as SageMaker managed MLflow authorizes them: one `sagemaker-mlflow:<Operation>` action per REST call,
on the tracking server's ARN.

Locally MLflow runs on sqlite, so there is no REST call to see. The operations a remote tracking server receives are
exactly the public methods of MLflow's REST stores (each sends one request); the same methods of the sqlite stores
are wrapped, and the outermost one per call counts (a store method calling another is one request, not two).
Action names follow the Service Authorization Reference for SageMaker with MLflow
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerwithmlflow.html): the
operation's name in CamelCase, except the renames below.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable

from modelyard.policies.iam_evaluation import AuthorizationRequest

# REST operations SageMaker authorizes under another name. The reference has no CreateLoggedModel or
# RecordLoggedModel: MLflow 3's log_model creates the LoggedModel through them, and LogModel is the action that
# "grants permission to log a model".
_RENAMED = {
    "get_model_version_download_uri": "GetDownloadURIForModelVersionArtifacts",
    "get_latest_versions": "GetLatestModelVersions",
    "update_run_info": "UpdateRun",
    "create_logged_model": "LogModel",
    "record_logged_model": "LogModel",
}
# Client-side bookkeeping of the REST stores that sends nothing.
_LOCAL_ONLY = frozenset({"end_async_logging", "flush_async_logging", "shut_down_async_logging"})

Authorize = Callable[[str, list[AuthorizationRequest]], None]


def action_for(method: str) -> str:
    """`sagemaker-mlflow:<Operation>` for a store method name."""
    return "sagemaker-mlflow:" + _RENAMED.get(
        method, "".join(part.capitalize() for part in method.split("_"))
    )


def rest_operations() -> dict[str, list[str]]:
    """The store methods that are REST calls, per store kind ("tracking", "registry")."""
    from mlflow.store.model_registry.rest_store import RestStore as RegistryRestStore
    from mlflow.store.tracking.rest_store import RestStore as TrackingRestStore

    def public(cls: type) -> list[str]:
        return sorted(
            name
            for name, _ in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name not in _LOCAL_ONLY
        )

    return {"tracking": public(TrackingRestStore), "registry": public(RegistryRestStore)}


def install(authorize: Authorize, tracking_server_arn: str) -> None:
    """Wrap the sqlite stores' REST-call methods so each outermost call is authorized first."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

    depth = threading.local()
    operations = rest_operations()
    for store, kind in ((TrackingStore, "tracking"), (RegistryStore, "registry")):
        for method in operations[kind]:
            original = getattr(store, method, None)
            if original is None or getattr(original, "_iam_checked", False):
                continue
            setattr(store, method, _checked(original, method, authorize, tracking_server_arn, depth))


def _checked(
    original: Callable, method: str, authorize: Authorize, resource: str, depth: threading.local
) -> Callable:
    request = AuthorizationRequest(action_for(method), resource)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        level = getattr(depth, "level", 0)
        if level == 0:
            authorize(f"mlflow.{method}", [request])
        depth.level = level + 1
        try:
            return original(*args, **kwargs)
        finally:
            depth.level = level

    wrapper._iam_checked = True
    return wrapper
