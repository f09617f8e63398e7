"""How many CPU cores this process may really use: its affinity mask, capped by a cgroup CPU quota."""

from __future__ import annotations

import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def usable_cpu_count(cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP) -> int:
    """Cores in the affinity mask, lowered to a cgroup quota (v2 cpu.max or v1 cfs), rounded down, at least 1."""
    cores = len(os.sched_getaffinity(0))
    quota = cgroup_cpu_quota(cgroup_root, proc_self_cgroup)
    if quota is not None:
        # Rounded down: a worker per partial core would be throttled, which shows up as p99 spikes.
        cores = min(cores, max(1, int(quota)))
    return cores


def cgroup_cpu_quota(
    cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP
) -> float | None:
    """The CPU quota in cores from this process's cgroup (v2 or v1), or None when unlimited or unknown."""
    v2_path, v1_path = _own_cgroup_paths(proc_self_cgroup)
    # Our own (possibly nested) cgroup first; inside a container's cgroup namespace it is the root.
    for folder in (cgroup_root / v2_path, cgroup_root):
        cpu_max = folder / "cpu.max"
        if cpu_max.is_file():
            quota, _, period = cpu_max.read_text().strip().partition(" ")
            return None if quota == "max" else int(quota) / int(period or 100000)
    for folder in (cgroup_root / "cpu" / v1_path, cgroup_root / "cpu"):
        quota_file, period_file = folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"
        if quota_file.is_file() and period_file.is_file():
            quota_us = int(quota_file.read_text())
            return None if quota_us < 0 else quota_us / int(period_file.read_text())
    return None


def _own_cgroup_paths(proc_self_cgroup: Path) -> tuple[str, str]:
    """(v2 unified path, v1 cpu-controller path) of this process, relative to the hierarchy root."""
    v2_path = v1_path = ""
    if proc_self_cgroup.is_file():
        for line in proc_self_cgroup.read_text().splitlines():
            _, _, rest = line.partition(":")
            controllers, _, path = rest.partition(":")
            if controllers == "":
                v2_path = path.lstrip("/")
            elif "cpu" in controllers.split(","):
                v1_path = path.lstrip("/")
    return v2_path, v1_path
