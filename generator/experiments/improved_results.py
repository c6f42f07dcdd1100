"""Section 15: DDPM against flow matching on the improved UNet, by sampling steps; EMA; guidance.

Every configuration draws the same 100 class-conditioned samples (10 of each digit, CFG at
``gamma``, one seeded generator per configuration) and the project's classifier judges them:
recognition rate and Fréchet distance in its feature space (``_partb.judge``).

Then the best configuration, in three stages with a rule fixed in advance at each: the sampler
and step count (``best_configuration`` on those 100-sample runs); its guidance scale, each of
``gammas`` on 1,000 samples (``best_guidance``); and the chosen one measured again on 1,000
samples from fresh noise, so that the number reported is not the one it was selected on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import torch
import torch.nn.functional as F

from .. import media
from ..constraints import GUIDANCE, NON_EMPTY, between, each
from ..diffusion.samplers import DDIM, DDPM, FlowODE, Sampler
from ..models.improved_backend import ImprovedBackend, improved
from . import train_improved_ddpm
from ._partb import FLOOR_LABEL, classifier, fid_text, floor, judge, kid_text

SECTION = 15
USES_MNIST = True
# (the course's section-14 model is compared in section 14's own quality table, so this experiment does
# not wait for ddpm_results: the two samplings run side by side)
UPSTREAM = ("train_improved_ddpm", "train_flow", "mnist_classifier")
ARTIFACTS = {"steps_plot": "plot", "steps": "table", "samples": "image", "ema": "table",
             "guidance": "table", "best": "table", "best_samples": "image", "ddpm_trajectory": "trajectory", "flow_trajectory": "trajectory",
             "flow_loss": "plot", "metrics": "metrics"}
# sampler -> (the training it samples, the sampler); the DDPM chain also runs with all T steps
SAMPLERS: dict[str, tuple[str, Sampler]] = {
    "DDPM": ("train_improved_ddpm", DDPM()), "DDIM": ("train_improved_ddpm", DDIM()),
    "flow, Euler": ("train_flow", FlowODE("euler")), "flow, Heun": ("train_flow", FlowODE("heun"))}


@dataclass
class Params:
    gamma: Annotated[float, GUIDANCE] = 3.0     # CFG scale of every sample of this section
    eval_per_digit: Annotated[int, between(2, 100)] = 10
    steps: Annotated[list[int], each(between(1, 1000))] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32, 64])
    show_steps: Annotated[list[int], each(between(1, 1000))] = field(default_factory=lambda: [2, 8, 32])
    trajectory_steps: Annotated[int, between(1, 1000)] = 32   # the flow scrubber (DDPM's shows its full chain)
    best_per_digit: Annotated[int, between(2, 500)] = 100     # the best configuration, measured again
    best_max_evaluations: Annotated[int, between(1, 1000)] = 64
    best_min_recognised: Annotated[float, between(0.0, 1.0)] = 0.98
    best_min_worst_digit: Annotated[float, between(0.0, 1.0)] = 0.95   # the guidance rule: every digit
    gammas: Annotated[list[float], NON_EMPTY, each(between(0.0, 20.0))] = field(
        default_factory=lambda: [1.5, 2.0, 2.5, 3.0, 4.0])            # tried for the best configuration


def best_configuration(configs: list[dict], max_evaluations: int, min_recognised: float) -> dict:
    """The rule for the configuration measured again: within ``max_evaluations`` network evaluations,
    the lowest Fréchet distance among those recognised at least ``min_recognised`` of the time (the
    recognition rate alone rewards the blurry average digit of one step); if none is, the most
    recognised. Ties go to fewer evaluations."""
    within = [c for c in configs if c["evaluations"] <= max_evaluations]
    good = [c for c in within if c["recognised"] >= min_recognised]
    if good:
        return min(good, key=lambda c: (c["fid"], c["evaluations"]))
    return max(within, key=lambda c: (c["recognised"], -c["evaluations"]))


def best_guidance(results: list[dict], min_recognised: float, min_worst_digit: float) -> dict:
    """The rule for the guidance scale: the lowest Fréchet distance among the scales whose samples
    are recognised at least ``min_recognised`` of the time with no digit below ``min_worst_digit``
    (guidance trades diversity for fidelity, so the FID alone would pick too little of it); if none
    is, the most recognised. Ties go to the smaller scale."""
    good = [r for r in results if r["recognised"] >= min_recognised
            and min(r["recognised_per_digit"]) >= min_worst_digit]
    if good:
        return min(good, key=lambda r: (r["fid"], r["gamma"]))
    return max(results, key=lambda r: (r["recognised"], -r["gamma"]))


def _run(sampler: Sampler, backend: ImprovedBackend, cond, gamma: float, n: int, g: torch.Generator):
    """One configuration: n steps of ``sampler`` from noise drawn from ``g``. Returns (x0 in [-1, 1],
    Trajectory, network evaluations)."""
    x = torch.randn((len(cond), 1, 28, 28), generator=g).to(backend.device)
    y, tr = sampler.sample(backend, x, cond, gamma, n, g)
    return y, tr, sampler.evaluations(n)


def _backends(ctx, ema: bool = False) -> dict[str, ImprovedBackend]:
    return {name: improved(ctx.upstream[name], ctx.device, ema) for name in ("train_improved_ddpm", "train_flow")}


def run(p: Params, ctx) -> dict:
    dev = ctx.device
    reader = classifier(ctx.upstream["mnist_classifier"], dev)
    real = ctx.mnist.test_x.to(dev)
    digits = torch.arange(10).repeat_interleave(p.eval_per_digit).to(dev)
    cond = F.one_hot(digits, 10).float()
    backends = _backends(ctx)
    pick = [d * p.eval_per_digit for d in range(10)]       # the first sample of each digit

    def to01(x):
        return ((x + 1) / 2).clamp(0, 1)

    rows, configs, shown, trajs = [], [], [], {}
    T = backends["train_improved_ddpm"].T
    plan = [(s, n) for s in SAMPLERS for n in p.steps] + [("DDPM", T)]   # and DDPM's full chain
    for sampler, n in ctx.progress(plan, desc="configurations"):
        entry, method = SAMPLERS[sampler]
        y, tr, nfe = _run(method, backends[entry], cond, p.gamma, n, ctx.generator())
        m = judge(reader, to01(y), real, digits)
        configs.append({"sampler": sampler, "steps": n, "evaluations": nfe, **m})
        rows.append([sampler, n, nfe, m["samples"], m["recognised"], fid_text(m), kid_text(m)])
        if n in p.show_steps or n == T:
            shown.append((f"{sampler}, {n} step{'s' if n > 1 else ''}", [to01(y[i]) for i in pick]))
        if (sampler, n) in (("DDPM", T), ("flow, Euler", p.trajectory_steps)):
            trajs[sampler] = media.TrajectoryPanel(
                [(tr.t, [to01(s[i]) for s in tr.x_t], [to01(s[i]) for s in tr.x0_hat]) for i in pick],
                [to01(y[i]) for i in pick], [str(d) for d in range(10)],
                note=f"{sampler}, {n} steps, CFG scale {p.gamma}, seed {ctx.seed}."
                     + (" For the flow, t is the noise level s × 1000." if sampler != "DDPM" else ""))

    # real digits at the sample sizes of the tables (the distances depend on the size)
    base = floor(reader, ctx.mnist.train_x, real, len(digits), ctx.generator(3))
    base_row = [FLOOR_LABEL, "", "", base["samples"], "", fid_text(base), kid_text(base)]
    out = {"steps_plot": _plot(configs, base["fid"]),
           "steps": {"columns": ["sampler", "steps", "network evaluations (×2 for CFG)", "samples", "recognised",
                                 "Fréchet distance (FID)", "kernel distance (KID)"],
                     "rows": rows + [base_row]},
           "samples": media.Grid([r for _, r in shown], [label for label, _ in shown], [str(d) for d in range(10)],
                                 note=f"The first sample of each digit; CFG scale {p.gamma}, seed {ctx.seed}."),
           "ddpm_trajectory": trajs["DDPM"], "flow_trajectory": trajs["flow, Euler"]}

    # EMA: the average of the weights against the raw weights of the last step (which the section samples
    # with: models/improved_backend.USE_EMA), at 16 steps of each model's ODE sampler
    ema = _backends(ctx, ema=True)
    ema_rows, ema_metrics = [], {}
    for sampler in ("DDIM", "flow, Euler"):
        entry, method = SAMPLERS[sampler]
        for label, b in (("EMA", ema[entry]), ("raw (used)", backends[entry])):
            y, _, _ = _run(method, b, cond, p.gamma, 16, ctx.generator())
            m = judge(reader, to01(y), real, digits)
            ema_rows.append([sampler, label, m["samples"], m["recognised"], fid_text(m), kid_text(m)])
            ema_metrics[f"{sampler}, {label}"] = m
    out["ema"] = {"columns": ["sampler (16 steps)", "weights", "samples", "recognised", "Fréchet distance (FID)",
                              "kernel distance (KID)"], "rows": ema_rows + [base_row[:2] + base_row[3:]]}

    # the best configuration: sampler and steps within the evaluation budget (on the runs above), then
    # its guidance scale (on 1,000 samples, seed + 1), then measured again on fresh noise (seed + 2)
    best = best_configuration(configs, p.best_max_evaluations, p.best_min_recognised)
    bd = torch.arange(10).repeat_interleave(p.best_per_digit).to(dev)
    bcond = F.one_hot(bd, 10).float()
    entry, method = SAMPLERS[best["sampler"]]
    tried = []
    for gamma in ctx.progress(p.gammas, desc="guidance scales"):
        y, _, _ = _run(method, backends[entry], bcond, gamma, best["steps"], ctx.generator(1))
        tried.append({"gamma": gamma, **judge(reader, to01(y), real, bd)})
    chosen = best_guidance(tried, p.best_min_recognised, p.best_min_worst_digit)
    y, _, _ = _run(method, backends[entry], bcond, chosen["gamma"], best["steps"], ctx.generator(2))
    mb = judge(reader, to01(y), real, bd)
    base_b = floor(reader, ctx.mnist.train_x, real, len(bd), ctx.generator(3))
    label = f"{best['sampler']}, {best['steps']} steps, CFG scale {chosen['gamma']:g}"
    base_b_row = [FLOOR_LABEL, base_b["samples"], "", "", fid_text(base_b), kid_text(base_b)]
    out["guidance"] = {"columns": ["CFG scale", "samples", "recognised", "worst digit", "Fréchet distance (FID)",
                                   "kernel distance (KID)", "chosen"],
                       "rows": [[r["gamma"], r["samples"], r["recognised"], min(r["recognised_per_digit"]),
                                 fid_text(r), kid_text(r), "yes" if r is chosen else ""] for r in tried]
                       + [base_b_row + [""]]}
    out["best"] = {"columns": ["samples of", "samples", "recognised", "worst digit", "Fréchet distance (FID)",
                               "kernel distance (KID)"],
                   "rows": [[label, mb["samples"], mb["recognised"], min(mb["recognised_per_digit"]),
                             fid_text(mb), kid_text(mb)], base_b_row]}
    k = min(10, p.best_per_digit)     # rows: the first k samples of each digit, one digit per column
    out["best_samples"] = media.Grid([[to01(y[d * p.best_per_digit + i]) for d in range(10)] for i in range(k)],
                                     [], [str(d) for d in range(10)],
                                     note=f"{label}; the first {k} samples of each digit, seed {ctx.seed} + 2.")
    out["flow_loss"] = _loss_plot(ctx)
    out["metrics"] = {"configurations": configs, "floor": base, "ema": ema_metrics,
                      "gamma": p.gamma, "guidance": tried,
                      "best": {"sampler": best["sampler"], "steps": best["steps"], "gamma": chosen["gamma"], **mb,
                               "floor": base_b}}
    return out


def _plot(configs: list[dict], floor: float) -> media.Plot:
    fig, _ = media.figure(9.0, 3.4)
    fig.clf()                       # the report's style, two panels side by side
    a1, a2 = fig.subplots(1, 2)
    for sampler in SAMPLERS:
        c = [x for x in configs if x["sampler"] == sampler]
        nfe = [x["evaluations"] for x in c]
        a1.plot(nfe, [x["recognised"] for x in c], marker="o", ms=3, label=sampler)
        a2.plot(nfe, [x["fid"] for x in c], marker="o", ms=3, label=sampler)
    for ax in (a1, a2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("network evaluations per sample")
    a2.axhline(floor, color="grey", ls=":", lw=1, label="real digits (floor)")
    a1.set_ylabel("samples recognised as the intended digit")
    a2.set_ylabel("Fréchet distance (log)")
    a2.set_yscale("log")
    a1.legend(frameon=False, fontsize=7)
    a2.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return media.Plot(fig, "recognition and Fréchet distance against sampling steps")


def _loss_plot(ctx) -> media.Plot:
    ddpm = ctx.upstream["train_improved_ddpm"]
    T = ddpm.params(train_improved_ddpm.Params).T
    return media.loss_plot({f"DDPM (eps, cosine T = {T})": ddpm.json("log")["losses"],
                            "flow matching (velocity)": ctx.upstream["train_flow"].json("log")["losses"]},
                           "Improved UNet: training losses at equal steps")

