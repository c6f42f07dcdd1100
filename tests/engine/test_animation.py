"""The GIFs and still frames a reader takes away are the trajectory's own frames: a grey trajectory pixel
for pixel, a colour one within its palette's rounding, at the viewer's rate with the last frame held."""
import io

import numpy as np
from PIL import Image, ImageSequence

from generator.engine import animation
from generator.engine.render import WEBP_FROM_PNG


def sprite_sheet(frames: np.ndarray, cols: int) -> tuple[Image.Image, dict]:
    """frames: (n, h, w, 3) uint8 -> an RGBA sheet with `cols` frames a row, plus the meta the cache keeps;
    the first column of every frame is transparent, as the grids' gaps are."""
    n, h, w, _ = frames.shape
    rows = -(-n // cols)
    sheet = np.zeros((rows * h, cols * w, 4), np.uint8)
    for i, f in enumerate(frames):
        y, x = (i // cols) * h, (i % cols) * w
        sheet[y:y + h, x:x + w, :3] = f
        sheet[y:y + h, x + 1:x + w, 3] = 255
    meta = {"frames": n, "frame_width": w, "frame_height": h, "sprite_cols": cols, "fps": 8, "tile": [h, h]}
    return Image.fromarray(sheet, "RGBA"), meta


def decoded(gif: bytes) -> tuple[list[np.ndarray], list[int], int]:
    with Image.open(io.BytesIO(gif)) as im:
        frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return frames, durations, im.info.get("loop")


def expected(frames: np.ndarray, k: int) -> list[np.ndarray]:
    on_white = frames.copy()
    on_white[:, :, 0] = 255   # the transparent column lies on white
    return [f.repeat(k, 0).repeat(k, 1) for f in on_white]


def test_a_grey_trajectory_keeps_every_pixel_value_enlarged_by_a_whole_factor():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (7, 28, 20), dtype=np.uint8)
    frames = np.repeat(grey[..., None], 3, axis=3)
    sheet, meta = sprite_sheet(frames, cols=3)
    got, durations, loop = decoded(animation.gif_bytes(sheet, meta))
    assert animation.gif_factor(meta) == 2
    assert len(got) == 7
    for g, e in zip(got, expected(frames, 2)):
        assert g.shape == e.shape and np.array_equal(g, e)
    assert durations == [120] * 6 + [animation.LAST_FRAME_MS]
    assert loop == 0


def test_a_colour_trajectory_shares_one_palette_and_stays_close():
    """200 colours spread over the frames: one palette holds them all, so no frame's colours shift."""
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    frames = colours[rng.integers(0, 200, (5, 64, 64))]
    sheet, meta = sprite_sheet(frames, cols=5)
    meta["fps"] = 2
    got, durations, _ = decoded(animation.gif_bytes(sheet, meta))
    assert animation.gif_factor(meta) == 1
    colours = [set(map(tuple, g.reshape(-1, 3))) for g in got]
    assert len(set().union(*colours)) <= 256
    for g, e in zip(got, expected(frames, 1)):
        assert np.abs(g.astype(int) - e).max() <= 8
    assert durations == [500] * 4 + [animation.LAST_FRAME_MS]


def test_the_still_frame_is_the_last_frame_with_its_transparency():
    rng = np.random.default_rng(2)
    frames = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    sheet, meta = sprite_sheet(frames, cols=3)
    with Image.open(io.BytesIO(animation.still_bytes(sheet, meta, **WEBP_FROM_PNG))) as im:
        still = np.asarray(im.convert("RGBA"))
    assert np.array_equal(still[:, 1:, :3], frames[-1][:, 1:])
    assert (still[:, 0, 3] == 0).all() and (still[:, 1:, 3] == 255).all()


def test_sizes_are_written_as_readers_write_them():
    assert [animation.size_text(n) for n in (840, 96_400, 1_394_441)] == ["840 bytes", "96 KB", "1.4 MB"]
