"""What a reader can take away from a trajectory: a GIF and a still frame, made at render time from the
sprite sheet the cache already holds (so no experiment reruns, and a page's look can change without
recomputing anything).

* The GIF plays the frames at the viewer's rate (``meta["fps"]``) and holds the last one for 1.5 s, as
  the page's animation does; GIF counts time in hundredths of a second, so 1000/8 ms becomes 120 ms.
* It is enlarged by a whole factor, nearest neighbour, so it stays sharp: ceil(56 / tile), half of the
  page's (28 px tiles x2, 64 px and larger x1). A downloaded digit is then 56 px, and the page's 17
  trajectories take 10.5 MB of GIFs, against 25 MB at the page's own x4 and 4.5 MB at x1 (measured on the
  committed results). The lightbox draws it as large as the screen allows, pixel-sharp.
* Its palette: a greyscale trajectory (every frame's R = G = B: handwritten digits, the stand-in model) gets the 256
  grey levels, so every pixel value is kept exactly; a colour one gets one 256-colour palette chosen
  from the whole sprite sheet (median cut, no dithering), shared by every frame so colours never
  flicker between frames.
* The grid's transparent gaps become white (a GIF's single transparent index would cost a colour).
"""
from __future__ import annotations

import io
import math

from PIL import Image

LAST_FRAME_MS = 1500


def gif_factor(meta: dict) -> int:
    """The whole factor a GIF enlarges a tile by: ceil(56 / tile width), at least 1."""
    tile = meta.get("tile", [256, 256])[1]
    return max(1, math.ceil(56 / tile))


def frame_box(meta: dict, i: int) -> tuple[int, int, int, int]:
    """Frame i's box in the sprite sheet: row-major, ``sprite_cols`` frames a row."""
    fw, fh, per_row = meta["frame_width"], meta["frame_height"], meta["sprite_cols"]
    x, y = (i % per_row) * fw, (i // per_row) * fh
    return x, y, x + fw, y + fh


def frames_of(sprite: Image.Image, meta: dict) -> list[Image.Image]:
    """The trajectory's frames, cut from its sprite sheet and laid on white: RGB images of
    (frame_width, frame_height)."""
    rgba = sprite.convert("RGBA")
    out = []
    for i in range(meta["frames"]):
        frame = Image.new("RGBA", (meta["frame_width"], meta["frame_height"]), (255, 255, 255, 255))
        frame.alpha_composite(rgba.crop(frame_box(meta, i)))
        out.append(frame.convert("RGB"))
    return out


def is_grey(frames: list[Image.Image]) -> bool:
    for f in frames:
        r, g, b = f.split()
        if r.tobytes() != g.tobytes() or g.tobytes() != b.tobytes():
            return False
    return True


def gif_bytes(sprite: Image.Image, meta: dict) -> bytes:
    """The animated GIF of a trajectory (see the module's docstring for palette, timing and size)."""
    frames = frames_of(sprite, meta)
    k = gif_factor(meta)
    if k > 1:
        frames = [f.resize((f.width * k, f.height * k), Image.Resampling.NEAREST) for f in frames]
    if is_grey(frames):
        paletted = [f.convert("L") for f in frames]
    else:
        strip = Image.new("RGB", (frames[0].width, frames[0].height * len(frames)))
        for i, f in enumerate(frames):
            strip.paste(f, (0, i * f.height))
        palette = strip.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        paletted = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    durations = [round(1000 / meta.get("fps", 8), -1)] * (len(frames) - 1) + [LAST_FRAME_MS]
    buf = io.BytesIO()
    paletted[0].save(buf, format="GIF", save_all=True, append_images=paletted[1:], duration=durations,
                     loop=0, optimize=False, disposal=1)
    return buf.getvalue()


def still_bytes(sprite: Image.Image, meta: dict, **webp) -> bytes:
    """The trajectory's last frame (its result) as WebP with the caller's encoder options (the render's
    lossless ones), transparency kept: what a reader who asked for reduced motion sees without scripts."""
    buf = io.BytesIO()
    sprite.convert("RGBA").crop(frame_box(meta, meta["frames"] - 1)).save(buf, format="WEBP", **webp)
    return buf.getvalue()


def size_text(n: int) -> str:
    """Bytes as a reader reads them: 840 bytes, 96 KB, 1.4 MB (1 KB = 1,000 bytes)."""
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.0f} KB"
    return f"{n / 1_000_000:.1f} MB"
