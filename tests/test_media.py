"""How trajectories become frames: evenly strided, the last timestep and the final image always shown."""
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
    assert sprite.size == (meta["frame_width"] * meta["frames"], meta["frame_height"])
    assert meta["labels"][0] == "t = 299" and meta["labels"][-2] == "t = 0" and meta["labels"][-1].startswith("final")
