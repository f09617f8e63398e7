"""Wall time of `modelyard plan --stack prod` against the import floor: a bare interpreter importing pulumi and every
pulumi_aws / pulumi_kubernetes module the plan executes (service packages, their resource files, `_inputs`, `outputs`).

The modules are found by running the plan once and reading what it imported, so the floor follows the program.
All commands run in fresh interpreters, alternated, in the same run; the ratio of medians is what to compare
across machines (target: <= 1.5). Run: .venv/bin/python benchmarks/plan_time.py [--repeat N] [--stack prod]

Two floors are timed, because the plan ends without CPython's module teardown (cli/process_exit.py): the floor
process as Python runs it (imports, then teardown at exit), and the imports alone (the same process ending with
`os._exit(0)` once they are done). The second is the strict one: it is what no plan can go below.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

BASE_IMPORTS = ("pulumi", "pulumi_aws", "pulumi_kubernetes")
# Runs the plan in-process and prints every provider module it executed; lazily registered, untouched ones are left out.
DISCOVER = """
import json, sys
from modelyard.cli import app
sys.argv = ["modelyard", "plan", "--stack", STACK, "--json"]
try:
    app()
except SystemExit:
    pass
loaded = [  # in the order the plan imported them: a package's files load after its __init__ starts
    name for name, module in list(sys.modules.items())
    if name.split(".")[0] in ("pulumi_aws", "pulumi_kubernetes") and module is not None
    and type(module).__name__ != "_LazyModule"  # registered by the provider's __init__, never executed
]
print(json.dumps(loaded), file=sys.stderr)
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, all threads) of one run in a fresh interpreter."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def plan_submodules(stack: str) -> list[str]:
    """The pulumi_aws / pulumi_kubernetes modules `modelyard plan --stack STACK` executes."""
    result = subprocess.run(
        [sys.executable, "-c", DISCOVER.replace("STACK", repr(stack))],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--stack", default="prod")
    args = parser.parse_args()
    submodules = plan_submodules(args.stack)
    floor_imports = ", ".join([*BASE_IMPORTS, *submodules])
    floor = [sys.executable, "-c", f"import {floor_imports}"]
    imports_only = [sys.executable, "-c", f"import os, {floor_imports}; os._exit(0)"]
    plan = [sys.executable, "-m", "modelyard.cli", "plan", "--stack", args.stack, "--json"]
    floors, import_floors, plans = [], [], []
    for _ in range(args.repeat):
        floors.append(timed(floor))
        import_floors.append(timed(imports_only))
        plans.append(timed(plan))
    print(f"import floor: pulumi and the {len(submodules)} provider modules the plan executes")
    for label, runs in (
        ("import floor (process, with teardown)", floors),
        ("import floor (imports alone)", import_floors),
        (f"modelyard plan --stack {args.stack} --json", plans),
    ):
        walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        print(
            f"{label}: wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
            f"CPU median {statistics.median(cpus):.2f} s over {args.repeat} runs"
        )
    # Wall time is the target; CPU time is the steadier figure where other work shares the cores.
    for floor_label, floor_runs in (("process", floors), ("imports alone", import_floors)):
        for label, index in (("wall", 0), ("CPU", 1)):
            ratio = statistics.median(run[index] for run in plans) / statistics.median(
                run[index] for run in floor_runs
            )
            print(f"ratio plan / import floor, {floor_label} ({label}): {ratio:.2f}x")


if __name__ == "__main__":
    main()
