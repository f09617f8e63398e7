"""`pulumi up` loads only what it needs: the stack program imports no data or ML library (issue 17, item 5)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY_LIBRARIES = (
    "pandas",
    "onnx",
    "onnxruntime",
    "sklearn",
    "torch",
    "mlflow",
    "matplotlib",
    "numpy",
    "scipy",
)


def test_the_stack_program_imports_no_data_or_ml_library():
    # A fresh interpreter: the test session has long imported all of these.
    probe = (
        "import json, sys; import modelyard.stacks.program; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    )
    assert [library for library in HEAVY_LIBRARIES if library in loaded] == []
