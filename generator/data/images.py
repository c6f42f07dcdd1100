"""The images Part A edits, each named by a short spec string.

* ``photo:NAME``: a photograph bundled with scikit-image (astronaut, chelsea, coffee, rocket, ...);
* ``sketch:NAME``: a hand-drawn-style colour sketch made from jittered pen strokes (house, tree);
* ``digit:N``: the digit N written with clean pen strokes, centred as MNIST digits are;
* ``scribble:N``: the digit N drawn roughly: wobbly, uneven strokes (a "hand-drawn" input);
* ``font:N``: the digit N set in a typeface, a "web image" of a digit;
* ``mnist:N`` or ``mnist:N:K``: the first (or K-th, from 0) digit N of the held-out MNIST test split;
* ``file:PATH``: the user's own image, a path inside the report's content folder, e.g.
  ``file:images/me.png`` for ``content/images/me.png`` (the key holds the path and the file's bytes, so
  the same report keys the same wherever it lies).

``load(spec, size, channels)`` returns a (C, size, size) float tensor in [0, 1].
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..errors import BuildError
from ..paths import ROOT

# Pen paths of the ten digits in a unit box (x right, y down): lists of polylines.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5 + 0.32 * math.cos(a), 0.5 + 0.45 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 25)]],
    1: [[(0.35, 0.22), (0.55, 0.05), (0.55, 0.95)]],
    2: [[(0.18, 0.28), (0.3, 0.1), (0.55, 0.05), (0.78, 0.18), (0.78, 0.38), (0.18, 0.95), (0.85, 0.95)]],
    3: [[(0.2, 0.12), (0.5, 0.03), (0.78, 0.15), (0.75, 0.35), (0.45, 0.48), (0.8, 0.6), (0.8, 0.85),
         (0.5, 0.97), (0.18, 0.87)]],
    4: [[(0.62, 0.95), (0.62, 0.05), (0.15, 0.68), (0.88, 0.68)]],
    5: [[(0.8, 0.05), (0.25, 0.05), (0.22, 0.45), (0.55, 0.4), (0.8, 0.55), (0.8, 0.82), (0.5, 0.97),
         (0.18, 0.88)]],
    6: [[(0.72, 0.05), (0.4, 0.3), (0.22, 0.65), (0.3, 0.92), (0.55, 0.97), (0.78, 0.8), (0.72, 0.57),
         (0.45, 0.52), (0.25, 0.68)]],
    7: [[(0.15, 0.07), (0.85, 0.07), (0.4, 0.95)]],
    8: [[(0.5, 0.5), (0.25, 0.33), (0.3, 0.08), (0.7, 0.08), (0.75, 0.33), (0.5, 0.5), (0.22, 0.72),
         (0.32, 0.95), (0.68, 0.95), (0.78, 0.72), (0.5, 0.5)]],
    9: [[(0.75, 0.35), (0.55, 0.48), (0.28, 0.42), (0.25, 0.18), (0.45, 0.04), (0.72, 0.12), (0.75, 0.35),
         (0.68, 0.95)]],
}

SKETCHES: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {
    # (colour, polyline) in a unit box
    "house": [("#7a3b10", [(0.2, 0.9), (0.2, 0.5), (0.8, 0.5), (0.8, 0.9), (0.2, 0.9)]),
              ("#c0392b", [(0.12, 0.52), (0.5, 0.15), (0.88, 0.52)]),
              ("#2e86c1", [(0.42, 0.9), (0.42, 0.68), (0.58, 0.68), (0.58, 0.9)]),
              ("#f1c40f", [(0.8, 0.12), (0.86, 0.18), (0.8, 0.24), (0.74, 0.18), (0.8, 0.12)]),
              ("#27ae60", [(0.0, 0.92), (1.0, 0.92)])],
    "tree": [("#6e2c00", [(0.46, 0.95), (0.46, 0.55), (0.54, 0.55), (0.54, 0.95)]),
             ("#1e8449", [(0.5, 0.08), (0.2, 0.45), (0.35, 0.45), (0.15, 0.7), (0.85, 0.7), (0.65, 0.45),
                          (0.8, 0.45), (0.5, 0.08)]),
             ("#2e86c1", [(0.0, 0.97), (1.0, 0.97)])],
}


def _square(img: Image.Image) -> Image.Image:
    w, h = img.size
    s = min(w, h)
    return img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))


def _jitter(points, rng: np.random.Generator, amount: float):
    return [(x + rng.normal(0, amount), y + rng.normal(0, amount)) for x, y in points]


def _pen(strokes, size: int, width: float, rng: Optional[np.random.Generator] = None,
         colour_bg="black", colour_fg="white", jitter: float = 0.0) -> Image.Image:
    """Draw polylines at 8x resolution, then downsample (antialiased pen)."""
    big = size * 8
    img = Image.new("RGB", (big, big), colour_bg)
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        colour, pts = stroke if isinstance(stroke[0], str) else (colour_fg, stroke)
        if rng is not None and jitter:
            pts = _jitter(pts, rng, jitter)
        xy = [(x * big, y * big) for x, y in pts]
        w = width * big * (1 if rng is None else rng.uniform(0.7, 1.3))
        draw.line(xy, fill=colour, width=max(1, int(w)), joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=colour)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def _mnist_frame(img: Image.Image) -> Image.Image:
    """MNIST's framing: the digit fitted in a 20 x 20 box, centred by mass in 28 x 28."""
    a = np.asarray(img.convert("L"), dtype=np.float32)
    ys, xs = np.nonzero(a > 30)
    crop = img.convert("L").crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    s = 20 / max(crop.size)
    crop = crop.resize((max(1, round(crop.width * s)), max(1, round(crop.height * s))), Image.Resampling.LANCZOS)
    out = Image.new("L", (28, 28), 0)
    c = np.asarray(crop, dtype=np.float32)
    cy, cx = (np.array(np.nonzero(c > -1)) * c.ravel()[None]).sum(1) / max(c.sum(), 1)
    out.paste(crop, (int(round(14 - cx)), int(round(14 - cy))))
    return out


def digit(n: int, rough: bool = False) -> Image.Image:
    rng = np.random.default_rng(100 + n) if rough else None
    strokes = [[(0.1 + 0.8 * x, 0.1 + 0.8 * y) for x, y in s] for s in DIGIT_STROKES[n]]
    return _mnist_frame(_pen(strokes, 112, 0.12 if not rough else 0.1, rng, jitter=0.03 if rough else 0))


def typeset_digit(n: int) -> Image.Image:
    img = Image.new("L", (112, 112), 0)
    ImageDraw.Draw(img).text((56, 56), str(n), fill=255, anchor="mm", font=ImageFont.load_default(96))
    return _mnist_frame(img.filter(ImageFilter.MaxFilter(5)))


def sketch(name: str) -> Image.Image:
    strokes = [(c, [(0.05 + 0.9 * x, 0.05 + 0.9 * y) for x, y in pts]) for c, pts in SKETCHES[name]]
    return _pen(strokes, 256, 0.03, np.random.default_rng(7), colour_bg="white", jitter=0.008)


# scikit-image's bundled images (skimage.data: each loads offline and is a grey or colour picture)
PHOTOS = ("astronaut", "brick", "camera", "cat", "cell", "checkerboard", "chelsea", "clock", "coffee", "coins",
          "colorwheel", "grass", "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo",
          "microaneurysms", "moon", "page", "retina", "rocket", "shepp_logan_phantom", "text")
# what a report calls its images; each backend maps them to specs (its ``images``)
ROLES = ("test", "own1", "own2", "web", "drawn1", "drawn2")


def spec_problem(spec: str) -> str | None:
    """What is wrong with an image spec or role, with its fix (None: nothing). Checked when the build
    plans, without loading anything, and again by ``load``. A file's existence and an MNIST digit's index
    are checked where they are known (the plan, ``load``)."""
    if spec in ROLES:
        return None
    kind, _, arg = spec.partition(":")
    if kind == "photo" and arg not in PHOTOS:
        return f"scikit-image bundles no such photo. Fix: use one of {', '.join(PHOTOS)}"
    if kind == "sketch" and arg not in SKETCHES:
        return f"no such sketch. Fix: use one of {', '.join(SKETCHES)}"
    digit_arg = arg.partition(":")[0] if kind == "mnist" else arg
    if kind in ("digit", "scribble", "font", "mnist") and not (len(digit_arg) == 1 and digit_arg.isdigit()):
        return "no such digit. Fix: name a digit from 0 to 9"
    if kind == "mnist" and not (arg.partition(":")[2] or "0").isdigit():
        return "is malformed. Fix: write mnist:N or mnist:N:K (K counts from 0)"
    if kind == "file" and not arg:
        return "needs a path. Fix: write file:images/NAME.png for content/images/NAME.png"
    if kind == "file" and (arg.startswith(("/", "\\")) or ".." in arg.replace("\\", "/").split("/") or ":" in arg):
        return ("is not a path inside the content folder. Fix: put the image in the content folder and write "
                "file:images/NAME.png (a path relative to it, without '..')")
    if kind not in ("photo", "sketch", "digit", "scribble", "font", "mnist", "file"):
        return (f"unknown image spec. Fix: use a role ({', '.join(ROLES)}) or photo:, sketch:, digit:, scribble:, "
                "font:, mnist: or file:")
    return None


def photo(name: str) -> Image.Image:
    import skimage.data

    return _square(Image.fromarray(getattr(skimage.data, name)()).convert("RGB"))


def load(spec: str, size: int, channels: int,
         mnist_test: Optional[Callable[[int, int], torch.Tensor]] = None,
         content: Optional[Path] = None) -> torch.Tensor:
    """(channels, size, size) in [0, 1] for an image spec (see the module doc); a role is mapped to its
    spec by the Part A model before it gets here. ``content``: the folder a ``file:`` path is inside."""
    problem = spec_problem(spec) if spec not in ROLES else "unknown image spec (a role, not a spec)"
    if problem:
        raise BuildError(f"image '{spec}': {problem}")
    kind, _, arg = spec.partition(":")
    if kind == "mnist":
        if mnist_test is None:
            raise BuildError(f"image '{spec}' needs the MNIST test split")
        n, _, k = arg.partition(":")
        try:
            x = mnist_test(int(n), int(k or 0))  # (1, 28, 28)
        except IndexError:
            raise BuildError(f"image '{spec}': the MNIST test split has fewer than {int(k) + 1} digits {n}. "
                             "Fix: use a smaller K") from None
        img = Image.fromarray((x[0].numpy() * 255).round().astype(np.uint8))
    elif kind == "photo":
        img = photo(arg)
    elif kind == "sketch":
        img = sketch(arg)
    elif kind in ("digit", "scribble"):
        img = digit(int(arg), rough=kind == "scribble")
    elif kind == "font":
        img = typeset_digit(int(arg))
    else:   # file
        img = _square(Image.open((content or ROOT / "content") / arg).convert("RGB"))
    img = img.convert("L" if channels == 1 else "RGB").resize((size, size), Image.Resampling.LANCZOS)
    a = np.asarray(img, dtype=np.float32) / 255.0
    t = torch.from_numpy(a.copy())
    return t[None] if channels == 1 else t.permute(2, 0, 1)


def rect_mask(size: int, rows: tuple[float, float], cols: tuple[float, float]) -> torch.Tensor:
    """(1, size, size) mask, 1 inside the rectangle given in fractions of the side."""
    m = torch.zeros(1, size, size)
    r0, r1 = round(rows[0] * size), max(round(rows[0] * size) + 1, round(rows[1] * size))
    c0, c1 = round(cols[0] * size), max(round(cols[0] * size) + 1, round(cols[1] * size))
    m[:, r0:r1, c0:c1] = 1
    return m
