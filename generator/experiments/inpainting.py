"""Section 9: inpainting (RePaint-style): regenerate inside the mask, keep the rest at forward(x_orig, t)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import GUIDANCE, NON_EMPTY, TEXT, Check, each
from ..data.images import rect_mask
from ..diffusion.editing import inpaint
from ..diffusion.schedule import Schedule
from ._parta import IMAGE, backend_note, caption, eps_for, image_label, load_image, panel, show, timesteps

SECTION = 9
USES_BACKEND = True
RECT = "(row_start, row_end, col_start, col_end) with 0 <= start < end <= 1"


def _is_rectangle(m: tuple) -> bool:
    return 0 <= m[0] < m[1] <= 1 and 0 <= m[2] < m[3] <= 1
ARTIFACTS = {"grid": "image", "compare": "comparison", "trajectory": "trajectory"}


@dataclass
class Params:
    images: Annotated[list[str], NON_EMPTY, each(IMAGE)] = field(default_factory=lambda: ["test", "own1", "own2"])
    # one rectangle per image: (row_start, row_end, col_start, col_end) in fractions of the side.
    # The first is the course's test mask: rows 2-19 and columns 24-41 of 64 x 64.
    masks: Annotated[list[tuple[float, float, float, float]], each(Check(_is_rectangle, RECT))] = field(
        default_factory=lambda: [(2 / 64, 20 / 64, 24 / 64, 42 / 64), (0.5, 1.0, 0.0, 1.0), (0.0, 0.5, 0.5, 1.0)])
    prompt: Annotated[str, TEXT] = "a high quality photo"
    gamma: Annotated[float, GUIDANCE] = 7.0

    def used_prompts(self) -> list[str]:
        return [self.prompt]

    def problems(self) -> list[str]:
        return [] if len(self.masks) == len(self.images) else \
            [f"{len(self.images)} images but {len(self.masks)} masks; give one mask per image"]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    ts = timesteps(b)
    rows, before, after, trajs, finals = [], [], [], [], []
    for role, (r0, r1, c0, c1) in zip(p.images, p.masks):
        x = load_image(ctx, role)
        m = rect_mask(b.image_shape[-1], (r0, r1), (c0, c1)).to(x.device)
        y, tr = inpaint(eps_for(b, p.prompt, p.gamma), x, m, Schedule.of(b, ts), ctx.generator())
        shown_x = show(b, x)[0]                  # display tensors live on the CPU, whatever the device
        mask_img = m.cpu().expand_as(shown_x)
        rows.append([shown_x, mask_img, shown_x * mask_img, show(b, y)[0]])
        before.append(shown_x)
        after.append(show(b, y)[0])
        trajs.append((tr, 0))
        finals.append(y[0])
    names = [image_label(b, r) for r in p.images]
    note = f"Prompt {caption(b, p.prompt)}, CFG scale {p.gamma}, seed {ctx.seed}. {backend_note(b)}"
    return {"grid": media.Grid(rows, names, ["image", "mask", "region to replace", "inpainted"], note=note),
            "compare": media.Comparison(before, after, "original", "inpainted", names, note=note),
            "trajectory": panel(trajs, finals, b, names, note=note)}
