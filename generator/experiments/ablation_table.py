"""Section 15: the ablation of the flow model, as a table of the benchmark's recorded runs.

Each run of ``bench/ablation.py`` retrains the flow model with one design choice undone (or from
another seed) and appends one JSON line to the results file, which this experiment reads: the build
keys it on the file's bytes, so a new run re-renders the table and nothing else. The trainings take
about 20 minutes each at one thread, so the build reads their record rather than repeating them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from ..constraints import NON_EMPTY, RELATIVE_PATH
from ..errors import BuildError
from ..paths import ROOT

SECTION = 15
ARTIFACTS = {"runs": "table"}
VARIANTS = {"committed": "this page's", "full": "the same", "no_attention": "no attention",
            "batchnorm": "BatchNorm, not GroupNorm", "raw_time": "raw noise level, not sinusoidal",
            "additive": "shift only, no scale"}
SEEDED = {"committed", "full"}   # rows that differ by seed alone name their seed


@dataclass
class Params:
    results: Annotated[str, NON_EMPTY, RELATIVE_PATH] = "bench/results/ablation.jsonl"   # one JSON line per run, relative to the repository

    def input_files(self) -> list[str]:
        return [self.results]


def percent(share: float) -> str:
    return f"{100 * share:.1f}".rstrip("0").rstrip(".") + "%"


def row(run: dict) -> list[str]:
    name = VARIANTS.get(run["variant"], run["variant"].replace("_", " "))
    if run["variant"] in SEEDED:
        name += f", seed {run['seed']}"
    best, part_a = run["heun4_1000"], run["part_a_sampler_100"]
    trained = f"{run['train_seconds'] / 60:.0f} min" if run["train_seconds"] else "trained by the build"
    return [name, f"{percent(best['recognised'])} ({percent(best['worst_digit'])})", f"{best['fid']:.1f}",
            f"{percent(part_a['recognised'])}, {part_a['fid']:.1f}", trained]


def run(p: Params, ctx) -> dict:
    lines = (ROOT / p.results).read_text().splitlines()
    runs = []
    for i, line in enumerate(lines, 1):
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise BuildError(f"not a JSON line ({e.msg}). Fix: rerun the benchmark or remove the line",
                             f"{p.results}:{i}") from None
    for i, r in enumerate(runs, 1):
        missing = {"variant", "seed", "train_seconds", "heun4_1000", "part_a_sampler_100"} - set(r)
        if missing:
            raise BuildError(f"the run lacks {', '.join(sorted(missing))}. Fix: rerun the benchmark for it",
                             f"{p.results}:{i}")
    # the page's model first, then its other seeds, then the variants in the order they were run
    runs.sort(key=lambda r: (r["variant"] != "committed", r["variant"] != "full", r["seed"] if r["variant"]
                             in SEEDED else 0))
    return {"runs": {"columns": ["flow model", "recognised (worst digit)", "FID", "Part A's sampler",
                                 "training"],
                     "rows": [row(r) for r in runs]}}
