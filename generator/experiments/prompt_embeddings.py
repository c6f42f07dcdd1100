"""T5 embeddings of every Part A prompt, computed once (backends that embed prompts: DeepFloyd IF).

The build fills ``prompts`` itself: the plan collects every prompt that a Part A
experiment uses, from its resolved parameters (front-matter overrides included),
and adds it here, so a new prompt just works. List extra prompts in the front
matter only to embed them ahead of use.

A user without the T5 encoder (about 9.5 GB in fp16) can supply a safetensors file
of embeddings instead: keys ``prompt0, prompt1, ...`` (each (1, 77, 4096)) in the
order of the ``prompts`` list printed by ``python build.py --explain``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from ..constraints import RELATIVE_PATH, TEXT, each
from ..errors import BuildError

ARTIFACTS = {"embeddings": "checkpoint", "prompts": "metrics"}


@dataclass
class Params:
    prompts: Annotated[list[str], each(TEXT)] = field(default_factory=list)  # extra prompts; the plan appends every used one
    embeddings_file: Annotated[str, RELATIVE_PATH] = ""  # optional user-supplied safetensors, relative to the repository root

    def input_files(self) -> list[str]:
        return [self.embeddings_file] if self.embeddings_file else []


def consumer_view(ingredients: dict, consumer) -> dict:
    """A Part A result depends on the embeddings of its own prompts (and the empty prompt, for CFG
    and stage II) only: each prompt is embedded by its own T5 call, so adding a prompt elsewhere
    leaves its key alone. With a user's embeddings file the tensors are found by their position in
    the whole list, so there every result depends on the whole list."""
    if ingredients["params"].get("embeddings_file"):
        return ingredients
    used = sorted({"", *getattr(consumer, "used_prompts", list)()})
    return {**ingredients, "params": {**ingredients["params"], "prompts": used}}


def run(p: Params, ctx) -> dict:
    if p.embeddings_file:
        from safetensors.torch import load_file

        from ..paths import ROOT

        tensors = load_file(str(ROOT / p.embeddings_file))
        missing = [f"prompt{i}" for i in range(len(p.prompts)) if f"prompt{i}" not in tensors]
        if missing:
            raise BuildError(f"missing {missing}. Fix: store prompt0, prompt1, ... in the order of prompts",
                             p.embeddings_file)
        emb = {q: tensors[f"prompt{i}"] for i, q in enumerate(p.prompts)}
    else:
        emb = ctx.env.backend.choice.embed_prompts(p.prompts)   # the chosen model's T5, before the model is built
    return {"embeddings": {f"prompt{i}": emb[q].half() for i, q in enumerate(p.prompts)},
            "prompts": list(p.prompts)}
