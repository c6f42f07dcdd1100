"""T5 embeddings of every Part A prompt, computed once (DeepFloyd backend only).

A user without the T5 encoder (it needs ~20 GB) can supply a safetensors file
of embeddings instead: keys ``prompt0, prompt1, ...`` (each (1, 77, 4096)) in
the order of ``prompts``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ARTIFACTS = {"embeddings": "checkpoint", "prompts": "metrics"}

PROMPTS = [
    "", "a high quality photo", "an oil painting of a snowy mountain village", "a man wearing a hat",
    "a rocket ship", "an oil painting of an old man", "an oil painting of people around a campfire",
    "a lithograph of a skull", "a lithograph of waterfalls", "a handwritten 6", "a handwritten 9",
    "a handwritten 0", "a handwritten 8", "a pencil sketch of a dog", "a photo of the amalfi coast",
]


@dataclass
class Params:
    prompts: list[str] = field(default_factory=lambda: list(PROMPTS))
    embeddings_file: str = ""  # optional user-supplied safetensors, relative to the repository root

    def input_files(self) -> list[str]:
        return [self.embeddings_file] if self.embeddings_file else []


def run(p: Params, ctx) -> dict:
    if p.embeddings_file:
        from safetensors.torch import load_file

        from ..data.images import ROOT

        tensors = load_file(str(ROOT / p.embeddings_file))
        missing = [f"prompt{i}" for i in range(len(p.prompts)) if f"prompt{i}" not in tensors]
        if missing:
            raise ValueError(f"{p.embeddings_file}: missing {missing}; keys are prompt0.. in the order of prompts")
        return {"embeddings": {f"prompt{i}": tensors[f"prompt{i}"].half() for i in range(len(p.prompts))},
                "prompts": list(p.prompts)}
    from ..models.deepfloyd import embed_prompts, require_cuda

    require_cuda(str(ctx.device))
    emb = embed_prompts(p.prompts, device=str(ctx.device))
    return {"embeddings": {f"prompt{i}": emb[q].half() for i, q in enumerate(p.prompts)},
            "prompts": list(p.prompts)}
