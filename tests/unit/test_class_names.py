"""Each public class name is defined once in the package, so a name says which thing it is (issue 17: two classes
were named ModelRegistry, the Pulumi component and the MLflow registry client)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_PACKAGE = {"tests", "benchmarks", "examples", "scripts"}


def test_no_two_public_classes_share_a_name():
    defined: dict[str, list[str]] = defaultdict(list)
    folders = [
        path for path in ROOT.iterdir() if (path / "__init__.py").is_file() and path.name not in NOT_PACKAGE
    ]
    assert {"components", "pipelines", "cli"} <= {folder.name for folder in folders}
    for folder in folders:
        for source in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(), str(source))):
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    defined[node.name].append(str(source.relative_to(ROOT)))
    assert {name: files for name, files in defined.items() if len(files) > 1} == {}
