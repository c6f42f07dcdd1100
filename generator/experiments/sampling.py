"""Section 1: sampling from the model for three prompts at two step counts, 64 px and upsampled."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import GUIDANCE, NON_EMPTY, TEXT, between, each
from ..diffusion.schedule import strided_timesteps
from ._parta import backend_note, caption, eps_for, panel, sample, show

SECTION = 1
USES_BACKEND = True
ARTIFACTS = {"samples": "image", "upsampled": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    prompts: Annotated[list[str], NON_EMPTY, each(TEXT)] = field(default_factory=lambda: [
        "an oil painting of a snowy mountain village", "a man wearing a hat", "a rocket ship"])
    # num_inference_steps
    steps: Annotated[list[int], NON_EMPTY, each(between(1, 1000))] = field(default_factory=lambda: [20, 100])
    gamma: Annotated[float, GUIDANCE] = 7.0  # CFG scale, IFPipeline's default

    def used_prompts(self) -> list[str]:
        return list(self.prompts)


def inference_timesteps(T: int, n: int) -> list[int]:
    """n evenly spaced steps, as diffusers' "leading" spacing: [T - T/n, ..., T/n, 0] (n <= T)."""
    n = min(n, T)
    k = T // n
    return strided_timesteps(T, start=k * (n - 1), stride=k, T_ref=T)


def run(p: Params, ctx) -> dict:
    b = ctx.backend
    rows, ups, trajs, finals = [], [], [], []
    for prompt in ctx.progress(p.prompts, desc="prompts"):
        row, up_row = [], []
        for n in p.steps:
            y, tr = sample(b, eps_for(b, prompt, p.gamma), 1, inference_timesteps(b.T, n), ctx.generator())
            row += show(b, y)
            up = b.upsample(y, prompt, ctx.generator())
            up_row.append(b.to_image(up[0]) if up is not None else media.upscale(show(b, y)[0], 4 * y.shape[-1]))
            trajs.append((tr, 0))    # every step count, side by side: one slider drives them all
            finals.append(y[0])
        rows.append(row)
        ups.append(up_row)
    labels = [caption(b, q) for q in p.prompts]
    cols = [f"{n} steps" for n in p.steps]
    up_note = ("Upsampled by the model's super-resolution stage (stage II, 256 px)." if b.has_upsampler else
               "This model has no super-resolution stage: shown enlarged 4x (nearest neighbour).")
    note = f"CFG scale {p.gamma}, seed {ctx.seed}. {backend_note(b)}"
    return {
        "samples": media.Grid(rows, labels, cols, note=note),
        "upsampled": media.Grid(ups, labels, cols, note=f"{up_note} {note}"),
        # columns prompt by prompt, each at every step count; a shorter chain holds its latest frame
        # until its next timestep comes (the union of all the chains' timesteps is the slider)
        # short column names on a digit model ("digit 4, 20 steps": the prompts are the row labels of the
        # grids above), the prompt itself on DeepFloyd
        "trajectory": panel(trajs, finals, b, [f"{b.describe(q) or q}, {n} steps" for q in p.prompts for n in p.steps],
                            note=f"{' and '.join(map(str, p.steps))} steps from the same noise. {note}"),
    }
