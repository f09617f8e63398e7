"""Which AWS service hosts each pipeline step's own code calls: a table generated from a local run's recorded calls
(modelyard.pipelines.iam_check.step_services), never edited by hand."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TABLE_FILE = Path(__file__).with_name("step_aws_services.json")


@cache
def recorded_step_services() -> dict[str, list[str]]:
    """Step name -> service hosts (botocore endpoint prefixes, "mlflow") its code called in the recorded run."""
    return json.loads(TABLE_FILE.read_text())["steps"]
