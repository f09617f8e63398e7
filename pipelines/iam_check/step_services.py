"""The step-to-service table the network-reach policy rule uses, derived from the calls a local run recorded.

`python -m modelyard.pipelines.iam_check.step_services CALLS.jsonl` rewrites the table the policy pack ships
(modelyard/policies/step_aws_services.json) from a run's calls; the integration run compares it with its own calls,
so the table cannot drift from what the steps really call.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from modelyard.policies.step_aws_services import TABLE_FILE

SOURCE = "the dev stack's compiled pipeline, run by `modelyard pipeline run` with the IAM check"


def step_services(calls: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Step -> the service hosts (botocore endpoint prefixes, "mlflow") its own code called."""
    found: dict[str, set[str]] = {}
    for call in calls:
        if call.get("origin") == "step":
            found.setdefault(call["step"], set()).add(call["endpoint"])
    return {step: sorted(hosts) for step, hosts in sorted(found.items())}


def table_document(calls: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"source": SOURCE, "steps": step_services(calls)}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print("usage: python -m modelyard.pipelines.iam_check.step_services CALLS.jsonl", file=sys.stderr)
        return 2
    calls = [json.loads(line) for line in Path(argv[0]).read_text().splitlines() if line.strip()]
    TABLE_FILE.write_text(json.dumps(table_document(calls), indent=2, sort_keys=True) + "\n")
    print(f"wrote {TABLE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
