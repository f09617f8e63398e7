"""AWS's API models as botocore ships them (botocore/data/<service>/<date>/service-2.json), read at run time.

Parsing a model's JSON is most of what API validation costs (ec2's alone is megabytes), so each model botocore loads
is kept, without its documentation, in the user's cache as marshal data and read from there by later plans. The
cache is keyed by the botocore and Python versions, so an upgrade reads the new models; a missing, unreadable or
unwritable cache only means the JSON is parsed again.
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import botocore
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError, ServiceModel, StructureShape

# Which models judged the plan: enums grow with each release, so a violation names the version it read.
MODELS_VERSION = f"botocore {botocore.__version__}"
# Keys validation never reads; dropping them makes the cached ec2 model about a quarter of its size.
_PROSE_KEYS = frozenset({"documentation", "documentationUrl", "examples"})


def models_cache_dir() -> Path:
    """$MODELYARD_CACHE_DIR, else $XDG_CACHE_HOME/modelyard, else ~/.cache/modelyard; one folder per botocore,
    marshal format and Python version (marshal data is only readable by the version that wrote it)."""
    root = os.environ.get("MODELYARD_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "modelyard"
    )
    version = f"botocore-{botocore.__version__}-py{sys.version_info[0]}{sys.version_info[1]}-marshal{marshal.version}"
    return Path(root) / "aws-api-models" / version


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    # Only a cache miss parses JSON through a session; its import (botocore's client machinery) waits for one.
    import botocore.session

    return botocore.session.get_session()


def _without_prose(value: Any) -> Any:
    """Plain dicts and lists (marshal takes no OrderedDict) without the documentation strings."""
    if isinstance(value, dict):
        return {key: _without_prose(item) for key, item in value.items() if key not in _PROSE_KEYS}
    if isinstance(value, list):
        return [_without_prose(item) for item in value]
    return value


def _store(path: Path, description: dict[str, Any]) -> None:
    """Write atomically (a concurrent plan reads the old file or the new one, never half of one); best effort."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
            handle.write(marshal.dumps(description))
        os.replace(handle.name, path)
    except OSError:
        return


def service_description(service: str) -> dict[str, Any] | None:
    """The service's model as botocore loads it (after its data-loaded hooks), documentation left out; None when
    botocore has no service of that name."""
    path = models_cache_dir() / f"{service}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    try:
        description = _without_prose(_session().get_service_data(service))
    except UnknownServiceError:
        return None
    _store(path, description)
    return description


@lru_cache(maxsize=64)
def service_model(service: str) -> ServiceModel | None:
    """The service's model, or None when botocore has no service of that name."""
    description = service_description(service)
    return None if description is None else ServiceModel(description, service_name=service)


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
