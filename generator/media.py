"""Figures as files: image grids, trajectories (sprite sheet + animation), plots, comparisons.

Every object here has ``save_to(folder, name) -> (files, meta)``; the renderer
reads ``meta`` to lay the figure out (labels are HTML, not pixels, so they stay
sharp and searchable). Tensors are (C, H, W) or (B, C, H, W) in [0, 1].
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch
from PIL import Image

GAP = 1  # pixels between tiles, in the image's own resolution


def to_pil(x: torch.Tensor) -> Image.Image:
    """(C, H, W) in [0, 1] -> 8-bit PIL image (L for one channel, RGB for three)."""
    a = (x.detach().float().clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(a[0]) if a.shape[0] == 1 else Image.fromarray(a.transpose(1, 2, 0))


def tile(rows: Sequence[Sequence[torch.Tensor]], gap: int = GAP) -> Image.Image:
    """A rows x cols mosaic of equal-size (C, H, W) tiles, ``gap`` px apart. The gaps (and missing
    tiles of short rows) are transparent, so they take the page's colour in light and dark mode:
    LA for one channel, RGBA for three."""
    first = rows[0][0]
    c, h, w = first.shape
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    mode = "LA" if c == 1 else "RGBA"
    canvas = Image.new(mode, (n_cols * w + (n_cols - 1) * gap, n_rows * h + (n_rows - 1) * gap), 0)
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            canvas.paste(to_pil(x).convert(mode), (j * (w + gap), i * (h + gap)))
    return canvas


def _png(img: Image.Image, path: Path) -> None:
    img.save(path, format="PNG", optimize=True)


@dataclass
class Grid:
    """A labelled grid of images: rows[i][j] is a (C, H, W) tensor in [0, 1]."""

    rows: list[list[torch.Tensor]]
    row_labels: list[str] = field(default_factory=list)
    col_labels: list[str] = field(default_factory=list)
    note: str = ""  # shown under the caption: prompt, seed, model
    # per row, a CSS transform the page applies to a tile on hover, focus or tap ("" for none): an
    # anagram turns to its other reading, a hybrid shrinks to its "from afar" size
    row_hover: list[str] = field(default_factory=list)
    # a column every other tile of its row cross-fades to on hover, focus or tap (SDEdit: the original)
    fade_to_col: Optional[int] = None

    def image(self) -> Image.Image:
        return tile(self.rows)

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        img = self.image()
        _png(img, folder / f"{name}.png")
        h, w = self.rows[0][0].shape[-2:]
        return {"main": f"{name}.png"}, {
            "width": img.width, "height": img.height, "tile": [int(h), int(w)],
            "rows": len(self.rows), "cols": max(len(r) for r in self.rows),
            "row_labels": self.row_labels, "col_labels": self.col_labels, "note": self.note, "gap": GAP,
            **({"row_hover": self.row_hover} if any(self.row_hover) else {}),
            **({"fade_col": self.fade_to_col} if self.fade_to_col is not None else {}),
        }


@dataclass
class Comparison:
    """A before/after pair shown with a slider: lists of (C, H, W) tensors, one pair per column."""

    before: list[torch.Tensor]
    after: list[torch.Tensor]
    before_label: str = "before"
    after_label: str = "after"
    col_labels: list[str] = field(default_factory=list)
    note: str = ""

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        a, b = tile([self.before]), tile([self.after])
        _png(a, folder / f"{name}-before.png")
        _png(b, folder / f"{name}-after.png")
        h, w = self.before[0].shape[-2:]
        return {"main": f"{name}-after.png", "before": f"{name}-before.png"}, {
            "width": a.width, "height": a.height, "tile": [int(h), int(w)], "rows": 1,
            "cols": len(self.before), "before_label": self.before_label, "after_label": self.after_label,
            "col_labels": self.col_labels, "note": self.note, "gap": GAP,
        }


@dataclass
class Frames:
    """A sequence of equal-size labelled grids that one slider scrubs through (and the page's animation).

    ``grids[f]`` is frame f as rows of (C, H, W) tiles in [0, 1]; ``labels[f]`` names it ("t = 250",
    "epoch 3"); ``axis`` names what the slider moves along, for the page ("denoising step", "epoch").
    """

    grids: list[list[list[torch.Tensor]]]
    labels: list[str]
    row_labels: list[str] = field(default_factory=list)
    col_labels: list[str] = field(default_factory=list)
    note: str = ""
    axis: str = "denoising step"
    fps: int = 8

    def images(self) -> list[Image.Image]:
        return [tile(rows) for rows in self.grids]

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        images = self.images()
        w, h = images[0].size
        sprite, per_row = sprite_sheet(images)
        save_sprite(sprite, folder / f"{name}-frames.webp")
        th, tw = self.grids[0][0][0].shape[-2:]
        # the sprite is all the cache keeps: the page's GIF and still frame are made from it when it
        # renders (engine/animation.py), so no animation is stored twice
        return {"sprite": f"{name}-frames.webp"}, {
            # the sprite holds frame i at ((i % sprite_cols) * frame_width, (i // sprite_cols) * frame_height)
            "frames": len(images), "sprite_cols": per_row, "frame_width": w, "frame_height": h,
            "labels": self.labels, "axis": self.axis, "gap": GAP,
            "tile": [int(th), int(tw)], "cols": max(len(r) for r in self.grids[0]), "rows": len(self.grids[0]),
            "row_labels": self.row_labels, "col_labels": self.col_labels, "fps": self.fps, "note": self.note,
        }


@dataclass
class TrajectoryPanel:
    """Several denoising trajectories shown in lockstep: one slider drives them all.

    ``items`` are (t list, x_t list, x0_hat list) per trajectory, each tensor
    (C, H, W) in [0, 1]. Frames are the union of all t, noisiest first; an item
    that starts later (SDEdit from a smaller t) shows its first frame until then.
    Each frame is a 2-row panel: x_t on top, x0_hat below, one column per item.
    The final clean result is appended as the last frame (t = "0 (final)").
    """

    items: list[tuple[list[int], list[torch.Tensor], list[torch.Tensor]]]
    finals: list[torch.Tensor]
    col_labels: list[str] = field(default_factory=list)
    note: str = ""
    max_frames: int = 40   # a 300-step chain shows every 8th step: the page's byte budget (docs/architecture.md)
    fps: int = 8

    def all_times(self) -> list[int]:
        return sorted({t for ts, _, _ in self.items for t in ts}, reverse=True)

    def frame_stride(self) -> int:
        """Every k-th timestep is shown, k the smallest that fits max_frames (the last one as well)."""
        return max(1, -(-(len(self.all_times()) - 1) // (self.max_frames - 1)))

    def frame_times(self) -> list[int]:
        ts, k = self.all_times(), self.frame_stride()
        return ts[::k] + ([ts[-1]] if (len(ts) - 1) % k else [])

    def as_frames(self) -> Frames:
        grids, labels = [], []
        for t in self.frame_times():
            top, bottom = [], []
            for ts, xs, x0s in self.items:
                # the latest state this chain has reached at time t: its last timestep s >= t (a chain
                # with fewer steps holds a frame until its next step; one that starts later shows its
                # first frame until then)
                k = max((i for i, s in enumerate(ts) if s >= t), default=0)
                top.append(xs[k])
                bottom.append(x0s[k])
            grids.append([top, bottom])
            labels.append(f"t = {t}")
        grids.append([list(self.finals), list(self.finals)])
        labels.append("final (clean image)")
        return Frames(grids, labels, ["x_t", "x0 estimate"], self.col_labels, self.note, fps=self.fps)

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        files, meta = self.as_frames().save_to(folder, name)
        # timesteps: how many the sampler took, so the page can say "every 8th of 300 timesteps"
        return files, {**meta, "timesteps": len(self.all_times()), "frame_stride": self.frame_stride()}


WEBP_MAX = 16383   # the largest width or height a WebP image may have


def sprite_sheet(frames: list[Image.Image]) -> tuple[Image.Image, int]:
    """Equal-size frames in reading order, as many per row as a WebP may be wide -> (sheet, per_row)."""
    w, h = frames[0].size
    per_row = max(1, min(len(frames), WEBP_MAX // w))
    n_rows = -(-len(frames) // per_row)
    sheet = Image.new(frames[0].mode, (w * per_row, h * n_rows), 0)
    for i, im in enumerate(frames):
        sheet.paste(im, ((i % per_row) * w, (i // per_row) * h))
    return sheet, per_row


def save_sprite(sheet: Image.Image, path: Path) -> None:
    """Lossless WebP (alpha kept: the grid gaps are transparent). On the page's 14 trajectory sheets
    it is 22 % smaller than optimised PNG (4.0 -> 3.1 MB); method 4 / quality 50 took 0.15 s for an
    11849 x 57 sheet, method 6 / quality 100 4.6 s for 0.5 % less."""
    sheet.convert("RGBA").save(path, format="WEBP", lossless=True, quality=50, method=4)


@dataclass
class Plot:
    """A matplotlib figure saved as PNG (deterministic: no software or date metadata), four times:
    light and dark, each at its own width and as a phone variant (``phone_layout``)."""

    figure: Any   # a matplotlib Figure
    alt: str = ""

    def save_to(self, folder: Path, name: str) -> tuple[dict, dict]:
        """The page picks light or dark by prefers-color-scheme, and the phone variant on narrow
        screens. Same data in all four; only the neutral colours and the layout differ. The meta
        gives each variant's smallest text in pixels at its natural size (``min_font_px``), so the
        page can be checked for text that would be too small where it is shown."""
        import pickle

        import matplotlib.pyplot as plt

        def save(fig, path: Path) -> tuple[int, int]:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None},
                        facecolor=fig.get_facecolor())
            path.write_bytes(buf.getvalue())
            return Image.open(io.BytesIO(buf.getvalue())).size

        wide = self.figure
        phone = pickle.loads(pickle.dumps(wide))     # an independent copy to rearrange
        w, h = save(wide, folder / f"{name}.png")
        dark_theme(wide)
        save(wide, folder / f"{name}-dark.png")
        phone_layout(phone)
        pw, ph = save(phone, folder / f"{name}-phone.png")
        dark_theme(phone)
        save(phone, folder / f"{name}-phone-dark.png")
        meta = {"width": w, "height": h, "plot": True, "min_font_px": min_font_px(wide),
                "phone_width": pw, "phone_height": ph, "phone_min_font_px": min_font_px(phone)}
        plt.close(wide)
        plt.close(phone)
        return ({"main": f"{name}.png", "dark": f"{name}-dark.png", "phone": f"{name}-phone.png",
                 "phone_dark": f"{name}-phone-dark.png"}, meta)


DPI = 110
# A phone shows a plot about 350 px wide: 3.4 in at DPI (374 px, a little more with the margins) and
# text of at least 8.5 pt (13 px at DPI) display it with text of 11 px or more
PHONE_WIDTH_IN, PHONE_PANEL_IN, PHONE_MIN_PT = 3.4, 2.6, 8.5
PHONE_TITLE_CHARS = 40     # characters of a title or legend line: about 3.2 in of 8.5 pt text
LEGEND_GAP_IN = 0.1      # between a legend and the text above and below it


def texts(fig) -> list:
    """Every visible text of a figure: titles, labels, tick labels, legends, annotations."""
    return [t for t in fig.findobj(lambda o: hasattr(o, "get_fontsize") and hasattr(o, "get_text"))
            if t.get_visible() and t.get_text().strip()]


def min_font_px(fig) -> float:
    """The smallest visible text of ``fig``, in pixels of its PNG (DPI)."""
    sizes = [t.get_fontsize() for t in texts(fig)]
    return round(min(sizes) * DPI / 72, 1) if sizes else 0.0


def phone_layout(fig) -> None:
    """The figure for a phone: its panels stacked in one column, PHONE_WIDTH_IN wide, no text under
    PHONE_MIN_PT, titles wrapped to the panel and each legend under its panel. Panels side by side
    would shrink every letter to a few pixels on a 390 px screen, and a legend that fits beside the
    curves of a wide panel covers them (and the axis label) on a narrow one."""
    import textwrap

    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    grid = fig.add_gridspec(len(panels), 1)
    for i, ax in enumerate(panels):
        ax.set_subplotspec(grid[i, 0])
        ax.set_title(textwrap.fill(ax.get_title(), PHONE_TITLE_CHARS))
    fig.set_size_inches(PHONE_WIDTH_IN, PHONE_PANEL_IN * len(panels))
    for t in texts(fig):
        t.set_fontsize(max(t.get_fontsize(), PHONE_MIN_PT))
    fig.tight_layout()
    _legends_below(fig, panels)


def _legends_below(fig, panels: list) -> None:
    """Move each panel's legend under its x axis label, left-aligned with the figure, and make the
    figure taller by the legends' heights so that the panels keep their size. The legends stay out
    of tight_layout (a legend wider than its panel would squeeze the panel); their room is the
    padding between panels and below the last one."""
    import textwrap

    import matplotlib
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    with_legend = [ax for ax in panels if ax.get_legend() is not None]
    if not with_legend:
        return
    renderer = fig.canvas.get_renderer()
    for ax in with_legend:
        legend = ax.get_legend()
        for t in legend.get_texts():     # as wide as the figure at most
            t.set_text(textwrap.fill(t.get_text(), PHONE_TITLE_CHARS))
        legend.set_in_layout(False)
        legend.set_loc("upper left")
    room_in = max(ax.get_legend().get_window_extent(renderer).height for ax in with_legend) / fig.dpi \
        + 3 * LEGEND_GAP_IN
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + room_in * len(with_legend))
    last = room_in / (h + room_in * len(with_legend)) if panels[-1] in with_legend else 0.0
    fig.tight_layout(h_pad=room_in * 72 / matplotlib.rcParams["font.size"], rect=(0, last, 1, 1))
    for ax in with_legend:
        ax.get_legend().set_in_layout(True)      # in the saved image's bounds again
        # from the panel's bottom edge to the bottom of its tick labels and x label
        drop_in = (ax.get_window_extent(renderer).y0 - ax.get_tightbbox(renderer, bbox_extra_artists=[]).y0) \
            / fig.dpi + LEGEND_GAP_IN
        below_panel = ax.transAxes + ScaledTranslation(0, -drop_in, fig.dpi_scale_trans)
        # x in figure fraction (its left edge), y drop_in under the panel
        ax.get_legend().set_bbox_to_anchor((0.0, 0.0), transform=blended_transform_factory(fig.transFigure, below_panel))


# the page's dark colours (templates/assets/style.css: --bg, --fg, --rule)
DARK_BG, DARK_FG, DARK_RULE = "#16181b", "#e4e4e0", "#5a6068"
DARK_RAW_ALPHA = 0.6


def dark_theme(fig) -> None:
    """Recolour a figure's neutral parts (background, text, axes, legend) for a dark page; data
    colours stay (matplotlib's default cycle reads on both)."""
    from matplotlib.colors import to_rgba

    def neutral(c) -> bool:
        r, g, b, _ = to_rgba(c)
        return max(r, g, b) - min(r, g, b) < 0.05      # black, greys, white

    fig.patch.set_facecolor(DARK_BG)
    for text in fig.findobj(lambda o: hasattr(o, "get_text") and hasattr(o, "set_color")):
        text.set_color(DARK_FG)
    for ax in fig.axes:
        ax.set_facecolor(DARK_BG)
        for spine in ax.spines.values():
            spine.set_color(DARK_RULE)
        ax.tick_params(colors=DARK_FG, which="both")
        for line in ax.get_lines():
            if neutral(line.get_color()):
                line.set_color(DARK_RULE if line.get_linestyle() in ("--", ":") else DARK_FG)
            if (line.get_alpha() or 1.0) < DARK_RAW_ALPHA:   # faint lines vanish on a dark background
                line.set_alpha(DARK_RAW_ALPHA)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(DARK_BG)
            legend.get_frame().set_edgecolor(DARK_RULE)


def figure(width: float = 6.0, height: float = 3.2):
    """A matplotlib figure and axes with the report's style, on the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "fwd"})
    return plt.subplots(figsize=(width, height))


def upscale(x: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest-neighbour enlargement of (C, H, W) to size x size (for side-by-side with 256 px)."""
    return torch.nn.functional.interpolate(x[None], size=(size, size), mode="nearest")[0]


RAW_ALPHA = 0.35   # raw losses behind their moving mean; on the dark page they are drawn at DARK_RAW_ALPHA


def loss_plot(series: dict[str, list[float]], title: str, log: bool = True,
              smooth: Optional[int] = 20) -> Plot:
    """Per-iteration training losses, raw (faint) and moving-averaged."""
    fig, ax = figure()
    for label, losses in series.items():
        y = np.asarray(losses, dtype=float)
        line, = ax.plot(np.arange(1, len(y) + 1), y, alpha=RAW_ALPHA, lw=0.8, label=f"{label}, each iteration")
        if smooth and len(y) > smooth:
            k = np.ones(smooth) / smooth
            ax.plot(np.arange(smooth, len(y) + 1), np.convolve(y, k, mode="valid"), color=line.get_color(),
                    lw=1.6, label=f"{label}, mean of {smooth} iterations")
        else:
            line.set_label(label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (MSE)")
    ax.set_title(title)
    ax.legend(frameon=False)
    return Plot(fig, title)
