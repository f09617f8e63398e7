"""AWS's API models as botocore ships them (botocore/data/<service>/<date>/service-2.json), read at run time."""

from __future__ import annotations

from functools import lru_cache

import botocore
import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError, ServiceModel, StructureShape

# Which models judged the plan: enums grow with each release, so a violation names the version it read.
MODELS_VERSION = f"botocore {botocore.__version__}"


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@lru_cache(maxsize=64)
def service_model(service: str) -> ServiceModel | None:
    """The service's model, or None when botocore has no service of that name."""
    try:
        return _session().get_service_model(service)
    except UnknownServiceError:
        return None


def operation_named(service: str, name: str) -> str | None:
    """The service's operation called `name`, compared case-insensitively (CreateNodegroup for CreateNodeGroup)."""
    model = service_model(service)
    if model is None:
        return None
    wanted = name.lower()
    return next((operation for operation in model.operation_names if operation.lower() == wanted), None)


def operation_input(service: str, operation: str) -> StructureShape:
    """The request shape of `operation`; KeyError naming both when the model has no such operation."""
    model = service_model(service)
    if model is None:
        raise KeyError(f"botocore has no service {service!r}")
    try:
        shape = model.operation_model(operation).input_shape
    except OperationNotFoundError:
        raise KeyError(f"botocore's {service} model has no operation {operation!r}") from None
    if shape is None:
        raise KeyError(f"{service} {operation} takes no input")
    return shape
