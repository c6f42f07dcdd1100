"""What each experiment asks a cluster for (the Ray executor, ``ray_executor.py``).

Declared by the science's registration (``generator/resources/``) and not in the experiment
modules: every experiment module is part of its own result's cache key, so tuning a memory
estimate there would rerun a training. The needs follow from the resources each experiment uses
and the device:

* on ``--device cuda``, every experiment that uses a resource that runs a network (a model it
  samples, a dataset it trains on) asks for one whole GPU; the rest (plots of cached numbers,
  classical filters) stay on CPUs;
* on the CPU, each task asks for ``cpus`` cores and torch uses that many threads;
* memory is a rough peak of the process, measured on this project's runs, at least what each of
  its resources declares, so that Ray does not pack more tasks on a node than its memory holds.
"""
from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3


@dataclass(frozen=True)
class Needs:
    cpus: float = 1
    gpus: float = 0
    memory: int = 1 * GIB        # bytes

    def ray_options(self) -> dict:
        return {"num_cpus": self.cpus, "num_gpus": self.gpus, "memory": self.memory}

    def describe(self) -> str:
        gpu = f", {self.gpus:g} GPU" if self.gpus else ""
        return f"{self.cpus:g} CPU{gpu}, {self.memory / GIB:g} GiB"


def needs(exp, device: str, used: list, cpus: int = 1) -> Needs:
    """What the task of experiment ``exp`` asks for on ``device``: a GPU where a resource it uses
    (``used``, ``Environment.used_by``) runs a network, and at least the memory the science gives the
    experiment (``task_memory``) and each of those resources declares (``Resource.memory_gib``)."""
    from .resources import task_memory

    gpus = 1 if device.startswith("cuda") and any(r.runs_network for r in used) else 0
    memory = int(max([task_memory().get(exp.name, 1.0), *(r.memory_gib() for r in used)]) * GIB)
    return Needs(cpus=cpus, gpus=gpus, memory=memory)
