"""The config keys a Pulumi provider package reads (`aws:region`, `aws:profile`, ...), from its own SDK: the
generated `pulumi_<package>/config/vars.py` reads each with `__config__.get('<key>')` (or get_bool/get_int)."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path


@cache
def provider_config_keys(package: str) -> frozenset[str]:
    """The keys of `package`'s namespace (e.g. "aws" -> {"region", "profile", ...}), without importing the SDK."""
    spec = importlib.util.find_spec(f"pulumi_{package}")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"the Pulumi SDK pulumi_{package} is not installed")
    tree = ast.parse((Path(spec.origin).parent / "config" / "vars.py").read_text())
    return frozenset(
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "__config__"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )
