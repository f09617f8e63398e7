"""The large components are packages whose imports run one way: the component uses its builders, the builders use
the args; and components that grant access import IAM's policy plumbing, never the PlatformRoles component."""

from __future__ import annotations

import ast
from pathlib import Path

import modelyard.components

COMPONENTS = Path(next(iter(modelyard.components.__path__)))
IAM = "modelyard.components.iam"
TRAINING_CLUSTER = "modelyard.components.training_cluster"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at module level or inside functions (`from a import b` counts as `a`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_components_that_grant_import_the_iam_plumbing_not_the_roles_component():
    importers = {}
    for path in sorted(COMPONENTS.rglob("*.py")):
        relative = path.relative_to(COMPONENTS).as_posix()
        if relative in ("__init__.py", "iam/__init__.py", "iam/roles.py"):
            continue
        wrong = imported_modules(path) & {IAM, f"{IAM}.roles"}
        if wrong:
            importers[relative] = sorted(wrong)
    assert importers == {}


def test_iam_plumbing_modules_do_not_depend_on_platform_roles():
    for name in ("account_context.py", "policy_documents.py", "github_oidc.py"):
        assert f"{IAM}.roles" not in imported_modules(COMPONENTS / "iam" / name), name


def test_training_cluster_builders_do_not_import_the_component_or_the_package():
    builders = [
        path
        for path in (COMPONENTS / "training_cluster").glob("*.py")
        if path.name not in ("__init__.py", "component.py")
    ]
    assert {path.stem for path in builders} >= {
        "args",
        "control_plane",
        "node_groups",
        "gpu_daemons",
        "kubeflow_trainer",
    }
    for path in builders:
        assert not imported_modules(path) & {TRAINING_CLUSTER, f"{TRAINING_CLUSTER}.component"}, path.name
