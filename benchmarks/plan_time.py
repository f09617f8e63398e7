"""Wall time of `modelyard plan --stack prod` against the import floor: a bare interpreter importing pulumi and every
pulumi_aws / pulumi_kubernetes module the plan executes (service packages, their resource files, `_inputs`, `outputs`).

The modules are found by running the plan once and reading what it imported, so the floor follows the program.
All commands run in fresh interpreters, alternated, in the same run; the ratio of medians is what to compare
across machines (target: <= 1.5). Run: .venv/bin/python benchmarks/plan_time.py [--repeat N] [--stack prod]

Three floors are timed, because the plan ends without CPython's module teardown (cli/process_exit.py) and pauses
the cyclic garbage collector (planning/engine.py `collector_paused`, cli/__init__.py):
- the floor process as Python runs it: imports, then teardown at exit;
- the imports alone: the same process ending with `os._exit(0)` once they are done, CPython's defaults otherwise.
  This is the strict floor the target is read against;
- the imports alone with the collector paused: what importing those modules costs with the plan's own setting,
  the lowest any plan could go.

`--instructions` also counts each command's instructions once under valgrind's cachegrind (`valgrind` on PATH,
Debian's package): unlike wall time, the count does not move with other load on the machine.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
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


def instructions(command: list[str]) -> int:
    """Instructions the command executes in user space (valgrind --tool=cachegrind, its "I refs" total)."""
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    [total] = re.findall(r"I\s+refs:\s+([\d,]+)", result.stderr)
    return int(total.replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--stack", default="prod")
    parser.add_argument(
        "--instructions", action="store_true", help="Also count instructions under cachegrind."
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH (Debian: apt-get install valgrind)")
    submodules = plan_submodules(args.stack)
    floor_imports = ", ".join([*BASE_IMPORTS, *submodules])
    commands = {
        "import floor (process, with teardown)": [sys.executable, "-c", f"import {floor_imports}"],
        "import floor (imports alone)": [sys.executable, "-c", f"import os, {floor_imports}; os._exit(0)"],
        "import floor (imports alone, collector paused)": [
            sys.executable,
            "-c",
            f"import gc, os; gc.disable(); import {floor_imports}; os._exit(0)",
        ],
        f"modelyard plan --stack {args.stack} --json": [
            sys.executable,
            "-m",
            "modelyard.cli",
            "plan",
            "--stack",
            args.stack,
            "--json",
        ],
    }
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(args.repeat):
        for label, command in commands.items():
            runs[label].append(timed(command))
    print(f"import floor: pulumi and the {len(submodules)} provider modules the plan executes")
    for label, timings in runs.items():
        walls, cpus = [wall for wall, _ in timings], [cpu for _, cpu in timings]
        print(
            f"{label}: wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
            f"CPU median {statistics.median(cpus):.2f} s over {args.repeat} runs"
        )
    # Wall time is the target; CPU time is the steadier figure where other work shares the cores.
    *floor_labels, plan_label = commands
    for floor_label in floor_labels:
        for measure, index in (("wall", 0), ("CPU", 1)):
            ratio = statistics.median(run[index] for run in runs[plan_label]) / statistics.median(
                run[index] for run in runs[floor_label]
            )
            print(f"ratio plan / {floor_label} ({measure}): {ratio:.2f}x")
    if args.instructions:
        counts = {label: instructions(command) for label, command in commands.items()}
        for label, count in counts.items():
            print(f"{label}: {count / 1e9:.2f}G instructions")
        for floor_label in floor_labels:
            print(
                f"ratio plan / {floor_label} (instructions): {counts[plan_label] / counts[floor_label]:.2f}x"
            )


if __name__ == "__main__":
    main()
