"""Measure GIF, animated WebP (lossless and lossy) and MP4 on the cached denoising trajectories.

    python bench/animation_formats.py [--cache cache]

For each format: total bytes over all trajectories, the largest file, fidelity as the mean PSNR
of the decoded frames against the exact frames (inf = lossless), and the encoding time. Lossless
WebP is measured at two effort settings (method m, quality q: in lossless mode quality is effort).
The site uses the winner (generator/media.py: save_animation).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import tempfile
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image


def frames_of(entry: Path, art: dict) -> list[np.ndarray]:
    sprite = np.asarray(Image.open(entry / art["files"]["sprite"]).convert("RGB"))
    w = art["meta"]["frame_width"]
    return [sprite[:, i * w:(i + 1) * w] for i in range(art["meta"]["frames"])]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def encode(fmt: str, frames: list[np.ndarray], fps: int) -> tuple[bytes, list[np.ndarray]]:
    pil = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    if fmt == "gif":
        pil[0].save(buf, format="GIF", save_all=True, append_images=pil[1:], duration=1000 // fps, loop=0)
    elif fmt.startswith("webp-lossless"):  # webp-lossless-m<method>q<quality>
        method, quality = fmt.split("-m")[1].split("q")
        pil[0].save(buf, format="WEBP", save_all=True, append_images=pil[1:], duration=1000 // fps, loop=0,
                    lossless=True, quality=int(quality), method=int(method))
    elif fmt.startswith("webp"):
        pil[0].save(buf, format="WEBP", save_all=True, append_images=pil[1:], duration=1000 // fps, loop=0,
                    lossless=False, quality=80, method=6)
    elif fmt == "mp4":
        # H.264 wants even sides and is blurred by chroma subsampling: upscale 4x (nearest) first, as a
        # reader would see the pixels
        big = [np.kron(f, np.ones((4, 4, 1), dtype=np.uint8)) for f in frames]
        with tempfile.NamedTemporaryFile(suffix=".mp4") as tmp:
            iio.imwrite(tmp.name, big, fps=fps, codec="libx264", macro_block_size=1,
                        output_params=["-crf", "18"])  # imageio's default pixel format is yuv420p
            data = Path(tmp.name).read_bytes()
            decoded = [f[::4, ::4] for f in iio.imread(tmp.name)]
        return data, decoded
    data = buf.getvalue()
    im = Image.open(io.BytesIO(data))
    decoded = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        decoded.append(np.asarray(im.convert("RGB")))
    return data, decoded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path("cache"))
    ap.add_argument("--limit", type=int, default=0, help="measure only the first N trajectories")
    args = ap.parse_args()
    trajs = []
    for man in sorted(args.cache.glob("*/*/manifest.json")):
        m = json.loads(man.read_text())
        trajs += [(man.parent, a) for a in m["artifacts"].values() if a["kind"] == "trajectory"]
    trajs = trajs[: args.limit or None]
    print(f"{len(trajs)} trajectories")
    rows = []
    for fmt in ("gif", "webp-lossless-m6q100", "webp-lossless-m2q50", "webp-lossy-q80", "mp4"):
        print(f"  encoding {fmt} ...", flush=True)
        sizes, quality = [], []
        t0 = time.perf_counter()
        for entry, art in trajs:
            frames = frames_of(entry, art)
            data, decoded = encode(fmt, frames, art["meta"].get("fps", 8))
            sizes.append(len(data))
            n = min(len(frames), len(decoded))
            quality.append(np.mean([psnr(frames[i], decoded[i]) for i in range(n)]))
        rows.append((fmt, sum(sizes), max(sizes), float(np.mean(quality)), time.perf_counter() - t0))
    print(f"{'format':22} {'total KB':>9} {'largest KB':>10} {'mean PSNR dB':>12} {'seconds':>8}")
    for fmt, total, largest, q, sec in rows:
        print(f"{fmt:22} {total / 1024:9.1f} {largest / 1024:10.1f} {q:12.2f} {sec:8.1f}")


if __name__ == "__main__":
    main()
