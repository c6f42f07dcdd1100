"""The committed results of the quick Part A experiments are what today's code computes: each is
recomputed here on the committed Part A model (section 15's flow model, read from the cache) and every
artifact compared with the committed one. JSON must be equal; images may move by one grey level in at
most 0.1% of their values, the summation-order tolerance across CPUs (tests/test_determinism.py)."""
import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from generator.engine import cli
from generator.paths import ROOT

from ..tolerances import TOLERANCE_GREY_LEVELS, TOLERANCE_SHARE

QUICK = ["forward_process", "classical_denoising", "one_step_denoising", "iterative_denoising",
         "sampling_from_noise", "inpainting", "sampling", "cfg_sampling"]   # about 30 s together at one thread


def entry_of(cache, name: str):
    manifests = sorted((cache / name).glob("*/manifest.json"))
    assert len(manifests) == 1, f"{name}: {len(manifests)} entries"
    return manifests[0].parent, json.loads(manifests[0].read_text())


@pytest.fixture(scope="module")
def recomputed(tmp_path_factory):
    cache = tmp_path_factory.mktemp("reproduce") / "cache"
    shutil.copytree(ROOT / "cache", cache, ignore=shutil.ignore_patterns(".work", ".tmp-*", ".old-*"))
    code = cli.main(["--cache", str(cache), "--site", str(cache.parent / "site"), "--threads", "1",
                     "--only", *QUICK, "--force", *QUICK])
    assert code == 0
    return cache


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        frames = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGBA"), dtype=np.int16))
        return np.stack(frames)


@pytest.mark.parametrize("name", QUICK)
def test_the_committed_result_is_what_the_code_computes(recomputed, name):
    old_dir, old = entry_of(ROOT / "cache", name)
    new_dir, new = entry_of(recomputed, name)
    assert new["key"] == old["key"] and new["provenance"]["date"] != old["provenance"]["date"]   # really rerun
    for art, spec in old["artifacts"].items():
        assert new["artifacts"][art]["meta"] == spec["meta"], (name, art)
        for f, digest in spec["sha256"].items():
            if new["artifacts"][art]["sha256"][f] == digest:
                continue
            a, b = (old_dir / f).read_bytes(), (new_dir / f).read_bytes()
            assert f.endswith((".png", ".webp")), f"{name}/{f} differs"
            pa, pb = pixels(a), pixels(b)
            diff = np.abs(pa - pb)
            assert pa.shape == pb.shape and diff.max() <= TOLERANCE_GREY_LEVELS, (name, f, int(diff.max()))
            assert (diff > 0).mean() <= TOLERANCE_SHARE, (name, f, float((diff > 0).mean()))
