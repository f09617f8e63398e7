"""The output properties each resource type declares, read from the provider SDK's own classes.

Provider SDKs register, per module, the class for every resource type token (`_utilities.register`); each class's
output getters name its properties on the wire (`pulumi._types.resource_pulumi_to_py_names`). These are the
properties `pulumi preview` resolves for the resource: the ones the plan does not answer stay unknown.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from pulumi import _types
from pulumi.runtime import rpc


@lru_cache(maxsize=None)
def output_properties(token: str) -> frozenset[str]:
    """Wire names of the outputs the SDK class of `token` (e.g. `aws:s3/bucket:Bucket`) declares; empty when no
    installed SDK registers the token (a component, or a package without a Python SDK here)."""
    package, module, _ = (token.split(":") + ["", ""])[:3]
    resource_module = rpc.get_resource_module(package, module, "")
    mod_info = getattr(resource_module, "mod_info", None)
    if not mod_info or token not in mod_info.get("classes", {}):
        return frozenset()
    resource_class = getattr(importlib.import_module(mod_info["fqn"]), mod_info["classes"][token])
    return frozenset(_types.resource_pulumi_to_py_names(resource_class))
