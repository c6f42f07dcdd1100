"""Helpers shared by the Part A experiments (sections 1-12): images, prompts, figures.

Every technique runs on ``ctx.backend`` through the ``Backend`` protocol of
generator/models/backend.py, so the same code makes the DeepFloyd and the scratch pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Optional

import torch

from .. import media
from ..constraints import GUIDANCE, I_START, NON_EMPTY, TEXT, Check, between, each
from ..data import images
from ..diffusion.editing import sdedit
from ..diffusion.readings import share_read_as, two_way
from ..diffusion.sampling import conditional, denoise, guided
from ..diffusion.schedule import Schedule, strided_timesteps


# An input image, checked when the build plans, before anything runs (images.spec_problem)
IMAGE = Check(lambda v: images.spec_problem(v) is None,
              f"an image: a role ({', '.join(images.ROLES)}) or photo:NAME (NAME one of {', '.join(images.PHOTOS)}), "
              "sketch:NAME, digit:N, scribble:N, font:N, mnist:N[:K] or file:PATH",
              reason=images.spec_problem)


def backend_note(backend) -> str:
    return f"Made with {backend.model_label}."


def caption(backend, prompt: str) -> str:
    """'"a rocket ship" → digit 1' where the model maps prompts (scratch), the prompt alone on DeepFloyd."""
    shown = f'"{prompt}"' if prompt else '"" (empty prompt)'
    meaning = backend.describe(prompt)
    return shown if meaning is None else f"{shown} → {meaning}"


def image_label(backend, role_or_spec: str) -> str:
    """Words for an input image: 'test image (a 7 from MNIST)' for a role, the spec otherwise."""
    return backend.image_labels.get(role_or_spec, role_or_spec)


def timesteps(backend) -> list[int]:
    """The course's strided schedule [990, 960, ..., 0] (docs/course.md), scaled to the backend's T."""
    return strided_timesteps(backend.T)


def load_image(ctx, role_or_spec: str) -> torch.Tensor:
    """(1, C, H, W) in model space for a role of the report ('test', 'own1', ...) or an image spec."""
    b = ctx.backend
    spec = b.images.get(role_or_spec, role_or_spec)
    c, h, _ = b.image_shape
    # MNIST is loaded only for an mnist: image (the DeepFloyd page never needs it)
    img = images.load(spec, h, c, lambda n, k: ctx.mnist.test_x[(ctx.mnist.test_y == n).nonzero()[k, 0]],
                      ctx.content)
    return b.from_image(img)[None]


def show(backend, x: torch.Tensor) -> list[torch.Tensor]:
    """Model-space batch (B, C, H, W) -> list of (C, H, W) display tensors in [0, 1]."""
    return list(backend.to_image(x).cpu())


def noise_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=generator.device, dtype=x.dtype).to(x.device)


def sample(backend, eps_fn, n: int, ts: list[int], g: torch.Generator):
    """n images from pure noise x ~ N(0, I) (drawn from ``g``), denoised over ``ts`` on the backend.
    Returns (final (n, C, H, W) in model space, Trajectory)."""
    x = torch.randn((n, *backend.image_shape), generator=g, device=g.device).to(backend.device)
    return denoise(eps_fn, x, Schedule.of(backend, ts), g)


def eps_for(backend, prompt: str, gamma: float):
    """Noise predictor for a prompt: CFG against the empty prompt when gamma != 1."""
    cond = backend.embed(prompt)
    if gamma == 1.0:
        return conditional(backend, cond)
    return guided(backend, cond, backend.embed(""), gamma)


def ranked_columns(n: int, ranked: bool) -> list[str]:
    """Column labels of n candidates: by rank where a reader ordered them, else by drawing order."""
    return [("best" if i == 0 else f"rank {i + 1}") if ranked else f"candidate {i + 1}" for i in range(n)]


def rank_candidates(b, first: torch.Tensor, second: torch.Tensor, prompt1: str, prompt2: str, label: str,
                    shown: int) -> tuple[list[int], Optional[list], int]:
    """Two-way illusions (sections 11, 12): candidate order, best first by min(P(prompt1's digit in
    ``first``), P(prompt2's digit in ``second``)) where the backend has a reader, else drawing order;
    the table row (label, how many of all candidates work, the shown candidates' probabilities); and
    how many work (0 without a reader)."""
    n = len(first)
    if b.reader is None:
        return list(range(n)), None, 0
    r = two_way(b.reader, first, second, b.reader.digit(prompt1), b.reader.digit(prompt2))
    order, works = r.ranking(), int(r.works.sum())
    return order, [label, f"{works} of {n}"] + [
        f"{float(r.p_first[i]):.2f} / {float(r.p_second[i]):.2f}" for i in order[:shown]], works


def ranking_note(b, n: int, shown: int, looks: str) -> str:
    if b.reader is None:
        return f"{n} candidates each. "
    return (f"{n} candidates drawn each, the {shown} best shown (highest min({looks}) by the project's digit "
            "classifier). ")


def illusion_figures(b, grid: str, kind: str, rows: list, labels: list[str], trajs: list, finals: list,
                     table: list, shown: int, looks: str, note: str, hover: list[str]) -> dict:
    """Sections 11 and 12's artifacts: the grid of shown candidates (two rows per illusion, the first
    with the CSS transform ``hover`` shows on the page), the trajectories of each illusion's first
    shown candidate, and the readings table."""
    ranked = b.reader is not None
    return {grid: media.Grid(rows, labels, ranked_columns(shown, ranked), note=note, row_hover=hover),
            "trajectory": panel(trajs, finals, b, [f"{kind} {i + 1}, first shown" for i in range(len(trajs))],
                                note=note),
            "readings": readings_table([kind, "candidates that work"], looks, table, shown, ranked)}


NOT_MEASURED = {"columns": ["readings"], "rows": [["not measured: no classifier reads this model's pictures"]]}


def readings_table(columns: list[str], per_candidate: str, rows: list, shown: int, ranked: bool) -> dict:
    """The table of an illusion's readings: fixed columns, then one per shown candidate."""
    if not ranked:
        return NOT_MEASURED
    return {"columns": columns + [f"{c}: {per_candidate}" for c in ranked_columns(shown, True)], "rows": rows}


def panel(trajs, finals_model, backend, labels, note: str = "") -> media.TrajectoryPanel:
    """A TrajectoryPanel of several model-space trajectories (first batch item of each)."""
    items = [(tr.t, [backend.to_image(x[k]) for x in tr.x_t], [backend.to_image(x[k]) for x in tr.x0_hat])
             for tr, k in trajs]
    return media.TrajectoryPanel(items, [backend.to_image(f) for f in finals_model], labels, note=note)


@dataclass
class SDEditParams:
    """Parameters of sections 7, 8 and 10; each section's module changes only its defaults."""

    # roles of the report or image specs
    images: Annotated[list[str], NON_EMPTY, each(IMAGE)] = field(default_factory=lambda: ["test", "own1", "own2"])
    i_starts: Annotated[list[int], NON_EMPTY, each(I_START)] = field(
        default_factory=lambda: [1, 3, 5, 7, 10, 20])
    compare_i_start: Annotated[int, I_START] = 10  # the column shown in the before/after comparison
    prompt: Annotated[str, TEXT] = "a high quality photo"
    gamma: Annotated[float, GUIDANCE] = 7.0
    reads: Annotated[int, between(1, 64)] = 16     # edits per image and i_start that a digit reader judges

    def used_prompts(self) -> list[str]:
        return [self.prompt]


def sdedit_figures(p: SDEditParams, ctx) -> dict:
    """Sections 7, 8 and 10: SDEdit of each image at every i_start, with CFG.

    Where the backend has a digit reader, ``reads`` edits (independent noise) are made per image and
    i_start, the first one is shown, and the table gives the share of all of them still read as the
    original's digit (the reader's reading of the input) and, for a prompt that names a digit, the
    share read as that digit.
    """
    b = ctx.backend
    ts = timesteps(b)
    eps_fn = eps_for(b, p.prompt, p.gamma)
    k = p.reads if b.reader is not None else 1
    target = b.reader.digit(p.prompt) if b.reader is not None else None
    rows, originals, picked, trajs, finals, table = [], [], [], [], [], []
    for r, role in enumerate(ctx.progress(p.images, desc="images")):
        x = load_image(ctx, role)
        g = ctx.generator()
        outs: list[torch.Tensor] = []
        shares: dict[str, list[float]] = {"original": [], "prompt": []}
        own = int(b.reader(x).argmax()) if b.reader is not None else None   # the input's digit
        for i_start in p.i_starts:
            y, tr = sdedit(eps_fn, x.expand(k, *x.shape[1:]), Schedule.of(b, ts), i_start, g)
            outs.append(y[:1])
            if b.reader is not None and own is not None:
                shares["original"].append(share_read_as(b.reader, y, own))
                if target is not None:
                    shares["prompt"].append(share_read_as(b.reader, y, target))
            if r == 0:
                trajs.append((tr, 0))
                finals.append(y[0])
        rows.append(show(b, torch.cat(outs)) + show(b, x))
        originals.append(show(b, x)[0])
        picked.append(show(b, outs[p.i_starts.index(p.compare_i_start)])[0])
        if b.reader is not None:
            table.append([image_label(b, role), f"its own {own}"]
                         + [f"{v:.0%}" for v in shares["original"]])
            if target is not None:
                table.append([image_label(b, role), f"the prompt's {target}"] + [f"{v:.0%}" for v in shares["prompt"]])
    col_labels = [f"i_start = {i} (t = {ts[i]})" for i in p.i_starts] + ["original"]
    note = f"Prompt {caption(b, p.prompt)}, CFG scale {p.gamma}, seed {ctx.seed}. {backend_note(b)}"
    readings = NOT_MEASURED if b.reader is None else {
        "columns": ["image", "read as"] + [f"i_start = {i}" for i in p.i_starts], "rows": table}
    return {
        # hovering an edit cross-fades it to its original (the last column)
        "grid": media.Grid(rows, [image_label(b, r) for r in p.images], col_labels, note=note,
                           fade_to_col=len(p.i_starts)),
        "compare": media.Comparison(originals, picked, "original", f"SDEdit, i_start = {p.compare_i_start}",
                                    [image_label(b, r) for r in p.images], note=note),
        "trajectory": panel(trajs, finals, b, [f"i_start = {i}" for i in p.i_starts],
                            note=f"{image_label(b, p.images[0])}. {note}"),
        "readings": readings,
    }
