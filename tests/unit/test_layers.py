"""The layer contract (pyproject [tool.importlinter]) holds, and an upward import breaks it."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lint_layers.py"


@pytest.fixture(scope="module")
def lint_layers():
    spec = importlib.util.spec_from_file_location("lint_layers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_package_keeps_its_layers(lint_layers, tmp_path):
    result = lint_layers.lint_imports(lint_layers.lay_out_package(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_of_a_higher_layer_inside_a_function_breaks_the_contract(lint_layers, tmp_path):
    tree = lint_layers.lay_out_package(tmp_path)
    (tree / "modelyard" / "components" / "upward.py").write_text(
        "def leak():\n    from modelyard.pipelines import aws_clients\n    return aws_clients\n"
    )
    result = lint_layers.lint_imports(tree)
    assert result.returncode == 1
    assert "modelyard.components.upward -> modelyard.pipelines.aws_clients" in result.stdout
