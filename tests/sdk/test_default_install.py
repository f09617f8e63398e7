"""The default install never imports the SageMaker SDK: not the package, not the plan, not the stack program, not
the server, not even this bridge's own modules until one of their functions is called."""

from __future__ import annotations

import json
import subprocess
import sys

# Imports every modelyard module (entry-point `__main__` modules aside: they run programs) and plans the dev stack,
# recording any import of `sagemaker` or a submodule, whether or not the SDK is installed.
PROBE = r"""
import importlib, json, pkgutil, sys

attempts = []

class RecordSageMakerImports:
    def find_spec(self, name, path=None, target=None):
        if name == "sagemaker" or name.startswith("sagemaker."):
            attempts.append(name)
        return None

sys.meta_path.insert(0, RecordSageMakerImports())
# setup.py maps each top-level folder onto its own subpackage, so each is walked from its own path.
modules = []
for root in ("modelyard", "modelyard.stacks", "modelyard.components", "modelyard.policies",
             "modelyard.model_code", "modelyard.pipelines"):
    package = importlib.import_module(root)
    modules += [info.name for info in pkgutil.walk_packages(package.__path__, root + ".")
                if not info.name.endswith(".__main__")]
without_extra = []
for name in modules:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        # A module of the `torch` extra, where that extra is not installed (the SDK check's venv).
        if error.name.split(".")[0] not in ("torch", "onnxscript"):
            raise
        without_extra.append(name)
from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program

plan = plan_program(DEFAULT_PROGRAM_DIR, "dev")
print(json.dumps({"modules": modules, "without_extra": without_extra, "resources": len(plan.resources), "attempts": attempts,
                  "loaded": sorted(name for name in sys.modules if name.split(".")[0] == "sagemaker")}))
"""


def test_no_module_nor_the_plan_imports_the_sdk():
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=240, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "modelyard.pipelines.sagemaker_sdk.trainer" in report["modules"]
    assert "modelyard.model_code.serving.app" in report["modules"]
    assert report["resources"] > 0
    assert all(name.startswith("modelyard.model_code.training.") for name in report["without_extra"])
    assert report["attempts"] == [] and report["loaded"] == []
