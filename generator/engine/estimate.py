"""How long a recompute will take, said before it starts.

Each result that must run is estimated from the seconds recorded in the provenance of the entry it
replaces, scaled to this machine: by the ratio of a short benchmark's speed (``speed``, recorded in
every new entry's provenance) where the old entry has one, else by the ratio of thread counts
(on this project's 2-core machines 1 thread ran the trainings about 2x slower than 2). A result
never computed before has no estimate and is named as such.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Optional

ASK_OVER_S = 600   # on a terminal, a recompute estimated above this asks before starting

_SPEED: dict[int, float] = {}


def speed() -> float:
    """GFLOP/s of a fixed small convolution workload at torch's current thread count (about 0.3 s),
    measured once per process: the machine's speed as the experiments see it."""
    import torch

    n = torch.get_num_threads()
    if n not in _SPEED:
        conv = torch.nn.Conv2d(32, 32, 3, padding=1)
        x = torch.randn(16, 32, 28, 28)
        flops = 2 * 16 * 32 * 32 * 9 * 28 * 28
        with torch.no_grad():
            conv(x)
            reps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.3:
                conv(x)
                reps += 1
        _SPEED[n] = reps * flops / (time.perf_counter() - t0) / 1e9
    return _SPEED[n]


@dataclass
class Estimate:
    seconds: float            # the sum over the results that have a record
    unknown: list[str]        # results with no earlier record
    how: str                  # how the records were scaled

    def text(self) -> str:
        if not self.seconds and self.unknown:
            return f"no estimate: {', '.join(self.unknown)} never ran before"
        s = f"about {duration(self.seconds)} ({self.how})"
        if self.unknown:
            s += f", plus {', '.join(self.unknown)} (never ran before)"
        return s


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def of_node(node, threads: int) -> Optional[float]:
    """Estimated seconds of rerunning ``node`` here, None without a record."""
    rec = node.recorded
    if not rec or rec.get("seconds") is None:
        return None
    if rec.get("speed"):
        return rec["seconds"] * rec["speed"] / speed()
    return rec["seconds"] * (rec.get("threads") or 1) / threads


def of_nodes(nodes, threads: int) -> Estimate:
    total, unknown, by_speed = 0.0, [], False
    for n in nodes:
        s = of_node(n, threads)
        if s is None:
            unknown.append(n.name)
        else:
            total += s
            by_speed = by_speed or bool(n.recorded.get("speed"))
    how = ("recorded seconds scaled by this machine's measured speed" if by_speed else
           f"recorded seconds scaled to {threads} thread{'s' if threads > 1 else ''}")
    return Estimate(total, unknown, how)


def confirm(est: Estimate, assume_yes: bool) -> bool:
    """Ask on a terminal before a long recompute; never blocks without one (CI, pipes)."""
    if assume_yes or est.seconds <= ASK_OVER_S or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return True
    answer = input(f"This will take {duration(est.seconds)}. Start? [y/N] ").strip().lower()
    return answer in ("y", "yes")
