"""How trajectories become frames: evenly strided, the last timestep and the final image always shown."""
import numpy as np
import pytest
import torch
from PIL import Image

from generator import media


def panel(n_steps: int, cols: int = 2) -> media.TrajectoryPanel:
    ts = list(range(n_steps - 1, -1, -1))
    xs = [torch.full((1, 4, 4), i / n_steps) for i in range(n_steps)]
    return media.TrajectoryPanel([(ts, xs, xs)] * cols, [torch.ones(1, 4, 4)] * cols)


@pytest.mark.parametrize("n,stride,frames", [(5, 1, 5), (40, 1, 40), (41, 2, 21), (300, 8, 39), (1000, 26, 40)])
def test_frames_are_every_kth_timestep_and_the_last(n, stride, frames):
    p = panel(n)
    ts = p.frame_times()
    assert p.frame_stride() == stride and len(ts) == frames <= p.max_frames
    assert ts[0] == n - 1 and ts[-1] == 0
    gaps = {a - b for a, b in zip(ts[:-2], ts[1:-1])}
    assert gaps <= {stride}


def test_saved_sprite_holds_every_frame_and_the_final_image(tmp_path):
    files, meta = panel(300).save_to(tmp_path, "t")
    sprite = Image.open(tmp_path / files["sprite"])
    assert meta["frames"] == 39 + 1 and meta["timesteps"] == 300 and meta["frame_stride"] == 8
    assert sprite.format == "WEBP" and meta["sprite_cols"] == meta["frames"]
    assert sprite.size == (meta["frame_width"] * meta["frames"], meta["frame_height"])
    assert meta["labels"][0] == "t = 299" and meta["labels"][-2] == "t = 0" and meta["labels"][-1].startswith("final")


def test_a_wide_sprite_wraps_into_rows_and_keeps_every_frame_exactly(tmp_path):
    """WebP is at most 16383 px wide: 40 frames of 10 tiles of 64 px (650 px) need two rows. Lossless:
    each frame is read back pixel for pixel where the viewer looks for it."""
    g = torch.Generator().manual_seed(0)
    ts = list(range(299, -1, -1))
    xs = [torch.rand(3, 64, 64, generator=g) for _ in ts]
    p = media.TrajectoryPanel([(ts, xs, xs)] * 10, [torch.rand(3, 64, 64, generator=g)] * 10)
    files, meta = p.save_to(tmp_path, "wide")
    sprite = Image.open(tmp_path / files["sprite"]).convert("RGBA")
    fw, fh, per_row = meta["frame_width"], meta["frame_height"], meta["sprite_cols"]
    assert sprite.width <= media.WEBP_MAX and per_row == media.WEBP_MAX // fw < meta["frames"]
    assert sprite.height == fh * -(-meta["frames"] // per_row)
    frames = p.as_frames().images()

    def visible(im):   # RGBA as an array, colour zeroed where transparent (WebP need not keep it)
        a = np.asarray(im.convert("RGBA")).copy()
        a[a[..., 3] == 0] = 0
        return a
    for i in (0, per_row - 1, per_row, meta["frames"] - 1):
        x, y = (i % per_row) * fw, (i // per_row) * fh
        assert np.array_equal(visible(sprite.crop((x, y, x + fw, y + fh))), visible(frames[i])), i


def test_grid_gaps_are_transparent_so_they_take_the_page_colour(tmp_path):
    g = media.Grid([[torch.full((1, 4, 4), 0.5)] * 3] * 2)
    g.save_to(tmp_path, "g")
    im = Image.open(tmp_path / "g.png")
    assert im.mode == "LA" and im.size == (3 * 4 + 2, 2 * 4 + 1)
    assert im.getpixel((4, 0))[1] == 0 and im.getpixel((0, 0)) == (128, 255)


def test_grids_record_their_gap_and_the_column_their_tiles_fade_to(tmp_path):
    _, meta = media.Grid([[torch.zeros(1, 4, 4)] * 3], fade_to_col=2).save_to(tmp_path, "g")
    assert meta["gap"] == media.GAP and meta["fade_col"] == 2
    _, meta = media.Grid([[torch.zeros(1, 4, 4)] * 3]).save_to(tmp_path, "h")
    assert "fade_col" not in meta and "row_hover" not in meta


def test_plots_are_drawn_for_the_light_and_the_dark_page(tmp_path):
    fig, ax = media.figure()
    ax.plot([1, 2, 3], [3, 1, 2], label="data")
    ax.axhline(2, color="grey", ls="--")
    ax.set_title("title")
    ax.legend()
    files, meta = media.Plot(fig).save_to(tmp_path, "p")
    light, dark = (Image.open(tmp_path / files[k]).convert("RGB") for k in ("main", "dark"))
    assert light.size == dark.size == (meta["width"], meta["height"])
    assert light.getpixel((2, 2)) == (255, 255, 255) and dark.getpixel((2, 2)) == (22, 24, 27)
    # the data line keeps its colour in both
    blue = (31, 119, 180)
    count = [sum(1 for p in im.getdata() if max(abs(a - b) for a, b in zip(p, blue)) < 10) for im in (light, dark)]
    assert count[0] > 100 and abs(count[0] - count[1]) < 0.2 * count[0]


def test_a_shorter_chain_holds_its_frame_until_its_next_timestep():
    """Section 1 shows 20 and 100 steps side by side: the 20-step chain (every 5th of the 100-step
    chain's timesteps) holds each state until its next step; an item starting later shows its first."""
    long_ts = list(range(99, -1, -1))
    short_ts = long_ts[4::5]                                # 95, 90, ..., 0
    value = {t: torch.full((1, 2, 2), t / 100) for t in long_ts}
    p = media.TrajectoryPanel([(long_ts, [value[t] for t in long_ts], [value[t] for t in long_ts]),
                               (short_ts, [value[t] for t in short_ts], [value[t] for t in short_ts])],
                              [torch.zeros(1, 2, 2)] * 2)
    f = p.as_frames()
    frames, labels = f.images(), f.labels
    shown = {lab: (int(np.asarray(im)[0, 0, 0]), int(np.asarray(im)[0, 3, 0])) for im, lab in zip(frames, labels)}
    assert len(p.frame_times()) == 34
    for t in p.frame_times():
        held = min([s for s in short_ts if s >= t], default=short_ts[0])   # its latest state at time t
        assert shown[f"t = {t}"] == (round(t / 100 * 255), round(held / 100 * 255)), t
    assert shown["t = 96"][1] == shown["t = 93"][1] == round(95 / 100 * 255)   # first frame, then held


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("panels", [1, 2])
def test_a_phone_plot_shows_its_legend_under_the_panel_and_over_nothing(panels):
    """On a phone, a legend that sat beside the curves covered them and the y label (section 15's
    loss plot): it goes under its panel's x label, and the panel keeps most of the width."""
    losses = list(np.exp(-np.arange(400) / 80.0) + 0.05)
    if panels == 1:
        fig = media.loss_plot({"DDPM (eps, cosine T = 1000)": losses, "flow matching (velocity)": losses[::-1]},
                              "Improved UNet: training losses at equal steps").figure
    else:
        fig, _ = media.figure(9.0, 3.4)
        fig.clf()
        for ax in fig.subplots(1, 2):
            for name in ("DDPM", "DDIM", "Euler", "Heun"):
                ax.plot([1, 2, 5, 10], [1, 2, 3, 4], marker="o", label=name)
            ax.set_xlabel("steps")
            ax.set_ylabel("recognised")
            ax.legend(frameon=False, fontsize=7)
    media.phone_layout(fig)
    renderer = fig.canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(axes) == panels
    # each panel with its title, tick labels and axis labels, without its legend
    drawn = [ax.get_tightbbox(renderer, bbox_extra_artists=[]) for ax in axes]
    for ax, own in zip(axes, drawn):
        legend = ax.get_legend().get_window_extent(renderer)
        assert not any(_overlaps(legend, box) for box in drawn)        # covers no curve and no label
        assert legend.y1 < own.y0                                        # under its own panel
        assert ax.get_window_extent(renderer).width > 0.55 * fig.bbox.width   # the panel is not squeezed
