"""How many CPU threads torch may use: the cores that are idle now, never more.

On a shared 2-core machine, torch with 2 threads collapsed when another process was busy
(a forced Part A build took 10 m 35 s with 2 threads and 126 s with 1): its threads wait
for each other at every barrier while the neighbour holds a core. So ``auto`` samples how
busy the machine is at start-up (the CPU's busy share in /proc/stat over 0.2 s, else the
1-minute load average) and takes the cores left idle, at least 1. The choice is printed and
stored in every result's provenance.
"""
from __future__ import annotations

import os
import time
from typing import Optional


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _cpu_times() -> Optional[tuple[float, float]]:
    """(busy, total) jiffies over all CPUs since boot, None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(window: float = 0.2) -> float:
    """How many cores other processes keep busy right now."""
    a = _cpu_times()
    if a is not None:
        time.sleep(window)
        b = _cpu_times()
        if b is not None and b[1] > a[1]:
            return (b[0] - a[0]) / (b[1] - a[1]) * (os.cpu_count() or cores())  # /proc/stat sums all CPUs
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def choose(requested: Optional[int]) -> tuple[int, str]:
    """(threads, why). ``requested``: the --threads value, None for auto."""
    if requested is not None:
        return requested, f"--threads {requested}"
    n_cores, busy = cores(), busy_cores()
    n = max(1, min(n_cores, n_cores - round(busy)))
    return n, f"auto: {n_cores} cores, {busy:.1f} busy with other work"


def apply(requested: Optional[int]) -> tuple[int, str]:
    import torch

    n, why = choose(requested)
    torch.set_num_threads(n)
    return n, why
