"""`make lint`: import-linter's layer contract on the package as it installs.

The editable install maps `modelyard.<sub>` onto top-level folders (setup.py), which import-linter cannot walk; so the
installed layout is laid out in a temporary folder first and `lint-imports` runs against that copy.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layer_packages() -> list[str]:
    """Every package the contract names (`a | b` layers split), from pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    names = []
    for contract in config["contracts"]:
        for layer in contract.get("layers", []):
            names += [name.strip() for name in layer.split("|")]
    return names


def lay_out_package(destination: Path) -> Path:
    """Copy `modelyard` and each layer's package, as the installed package finds them, under `destination`."""
    root_spec = importlib.util.find_spec("modelyard")
    package_dir = destination / "modelyard"
    package_dir.mkdir(parents=True)
    shutil.copy(root_spec.origin, package_dir / "__init__.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in layer_packages():
        spec = importlib.util.find_spec(name)
        source = Path(next(iter(spec.submodule_search_locations)))
        shutil.copytree(source, package_dir / name.removeprefix("modelyard."), ignore=ignore)
    return destination


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    command = [str(Path(sys.executable).with_name("lint-imports")), str(ROOT / "pyproject.toml")]
    return subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="modelyard-layers-") as folder:
        result = lint_imports(lay_out_package(Path(folder)))
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
