"""Wall time of `modelyard plan --stack prod` against the bare import of pulumi, pulumi_aws, pulumi_kubernetes.

Both are measured in fresh interpreters, interleaved, in the same run; the ratio is what to compare
across machines. Run: .venv/bin/python benchmarks/plan_time.py [--repeat N] [--stack prod]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

IMPORTS = "import pulumi, pulumi_aws, pulumi_kubernetes"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stack", default="prod")
    args = parser.parse_args()
    baseline = [sys.executable, "-c", IMPORTS]
    plan = [sys.executable, "-m", "modelyard.cli", "plan", "--stack", args.stack, "--json"]
    imports, plans = [], []
    for _ in range(args.repeat):
        imports.append(timed(baseline))
        plans.append(timed(plan))
    import_median, plan_median = statistics.median(imports), statistics.median(plans)
    print(f"bare import ({IMPORTS}): median {import_median:.2f} s over {args.repeat} runs")
    print(f"modelyard plan --stack {args.stack} --json: median {plan_median:.2f} s over {args.repeat} runs")
    print(f"ratio plan / import: {plan_median / import_median:.2f}x")


if __name__ == "__main__":
    main()
