"""What each experiment asks a cluster for (the Ray executor, ``ray_executor.py``).

Declared here, by the build, and not in the experiment modules: every experiment module is part
of its own result's cache key, so tuning a memory estimate there would rerun a training. The needs
follow from what each experiment already declares (``USES_BACKEND``, the resources it uses, such
as a dataset that a network trains on) and the device:

* on ``--device cuda``, every experiment that runs a network (Part A on the backend, every Part B
  training and evaluation) asks for one whole GPU; the rest (plots of cached numbers, classical
  filters) stay on CPUs;
* on the CPU, each task asks for ``cpus`` cores and torch uses that many threads;
* memory is a rough peak of the process, measured on this project's runs (Part B trainings below
  2 GiB; a Part A task takes at least what its model declares, ``BackendChoice.memory_gib``: about
  16 GiB for DeepFloyd IF's two stages in fp16 with the T5 encoder offloaded), so that Ray does not
  pack more tasks on a node than its memory holds.
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


# rough peak memory per experiment where it is far from the default (bytes)
MEMORY = {
    "prompt_embeddings": 24 * GIB,   # T5-XXL in fp16 on the CPU before it moves to the GPU
    "train_class_ddpm": 2 * GIB, "train_time_ddpm": 2 * GIB, "train_denoiser": 2 * GIB,
    "train_improved_ddpm": 2 * GIB, "train_flow": 2 * GIB,
    "ddpm_results": 3 * GIB, "improved_results": 3 * GIB,
}


def needs(exp, device: str, backend_gib: float, cpus: int = 1) -> Needs:
    """What the task of experiment ``exp`` asks for on ``device``; a Part A task takes at least the
    memory its model declares (``BackendChoice.memory_gib``)."""
    from .resources import registered

    runs_network = exp.uses_backend or any(exp.uses(r.name) for r in registered().values() if r.runs_network)
    gpus = 1 if device.startswith("cuda") and runs_network else 0
    memory = MEMORY.get(exp.name, 1 * GIB)
    if exp.uses_backend:
        memory = max(memory, int(backend_gib * GIB))
    return Needs(cpus=cpus, gpus=gpus, memory=memory)
