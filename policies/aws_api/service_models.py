"""AWS's API models as botocore ships them (botocore/data/<service>/<date>/service-2.json), read at run time.

Parsing a model's JSON is most of what API validation costs (ec2's alone is megabytes), so each model botocore loads
is kept, without its documentation, in the user's cache as marshal data and read from there by later plans. A plan
needs a handful of each service's hundreds of operations, so the cache also keeps, per service, its operation
names, and per operation a slice of the model: the operation and the shapes its request reaches. A plan reads
those (a few KB each) instead of the whole model (ec2's is 1 MB even without documentation). The cache is keyed by
the botocore and Python versions, so an upgrade reads the new models; a missing, unreadable or unwritable cache only
means the JSON is parsed again.
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
from botocore.model import ServiceModel, StructureShape

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


def _store(name: str, value: Any) -> None:
    """Keep `value` in the cache under `name`, atomically (a concurrent plan reads the old file or the new one, never
    half of one); best effort."""
    path = models_cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
            handle.write(marshal.dumps(value))
        os.replace(handle.name, path)
    except OSError:
        return


def _cached(name: str) -> Any:
    """What the cache holds under `name`, or None when it holds nothing readable there."""
    try:
        return marshal.loads((models_cache_dir() / name).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def service_description(service: str) -> dict[str, Any] | None:
    """The service's model as botocore loads it (after its data-loaded hooks), documentation left out; None when
    botocore has no service of that name."""
    description = _cached(f"{service}.marshal")
    if description is not None:
        return description
    try:
        description = _without_prose(_session().get_service_data(service))
    except UnknownServiceError:
        return None
    _store(f"{service}.marshal", description)
    return description


@lru_cache(maxsize=64)
def operation_names(service: str) -> tuple[str, ...] | None:
    """The service's operations, or None when botocore has no service of that name."""
    names = _cached(f"{service}.operations.marshal")
    if names is not None:
        return tuple(names)
    description = service_description(service)
    if description is None:
        return None
    names = sorted(description["operations"])
    _store(f"{service}.operations.marshal", names)
    return tuple(names)


def _reachable_shapes(shapes: dict[str, Any], root: str) -> dict[str, Any]:
    """The shapes a value of shape `root` may contain: structure members, list members, map keys and values."""
    reached: dict[str, Any] = {}
    waiting = [root]
    while waiting:
        name = waiting.pop()
        if name in reached:
            continue
        shape = reached[name] = shapes[name]
        references = [
            *shape.get("members", {}).values(),
            shape.get("member"),
            shape.get("key"),
            shape.get("value"),
        ]
        waiting.extend(reference["shape"] for reference in references if reference)
    return reached


def operation_slice(service: str, operation: str) -> dict[str, Any] | None:
    """A model of `service` holding only `operation` and the shapes its request reaches (what validation reads);
    None when the service or the operation does not exist."""
    cache_name = f"{service}.{operation}.marshal"
    cached = _cached(cache_name)
    if cached is not None:
        return cached
    description = service_description(service)
    if description is None or operation not in description["operations"]:
        return None
    definition = description["operations"][operation]
    request = definition.get("input", {}).get("shape")
    model_slice = {
        "version": description.get("version"),
        "metadata": description["metadata"],
        "operations": {operation: definition},
        "shapes": _reachable_shapes(description["shapes"], request) if request else {},
    }
    _store(cache_name, model_slice)
    return model_slice


def operation_named(service: str, name: str) -> str | None:
    """The service's operation called `name`, compared case-insensitively (CreateNodegroup for CreateNodeGroup)."""
    wanted = name.lower()
    return next(
        (operation for operation in operation_names(service) or () if operation.lower() == wanted), None
    )


@lru_cache(maxsize=512)
def operation_input(service: str, operation: str) -> StructureShape:
    """The request shape of `operation`; KeyError naming both when the model has no such operation."""
    if operation_names(service) is None:
        raise KeyError(f"botocore has no service {service!r}")
    model_slice = operation_slice(service, operation)
    if model_slice is None:
        raise KeyError(f"botocore's {service} model has no operation {operation!r}")
    shape = ServiceModel(model_slice, service_name=service).operation_model(operation).input_shape
    if shape is None:
        raise KeyError(f"{service} {operation} takes no input")
    return shape
