"""The tiny Part B report that section 13's and 14's tests share: its trainings, its results, and a
reader of its cache entries. A plain module (fixtures are in conftest.py), so no test module imports
another."""
from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from generator.engine import registry

from ..tiny_report import build, page

TINY = {
    "train_denoiser": {"epochs": 2, "D": 4, "batch_size": 4000, "keep_epochs": [1, 2]},
    "train_time_ddpm": {"epochs": 2, "D": 4, "T": 20, "batch_size": 4000, "keep_epochs": [1, 2]},
    "train_class_ddpm": {"epochs": 2, "D": 4, "T": 20, "batch_size": 4000, "keep_epochs": [1, 2]},
    "mnist_classifier": {"epochs": 1},
    "ddpm_results": {"eval_per_digit": 2, "show_per_digit": 1, "time_show": 10},
    "denoiser_results": {"n_show": 2, "sigmas": [0.0, 0.5, 1.0]},
}
FIGURES = ["ddpm_results/quality", "denoiser_results/mse"]


def build_partb(proj: Path) -> None:
    (proj / "content").mkdir(parents=True)
    (proj / "content" / "index.md").write_text(page(TINY, FIGURES))
    code, _, err = build(proj)
    assert code == 0, err


def entry(proj: Path, name: str) -> dict:
    """The manifest of the one entry of ``name``, with its folder under "folder"."""
    (path,) = (proj / "cache" / name).glob("*/manifest.json")
    return json.loads(path.read_text()) | {"folder": path.parent}


def check_declared_artifacts(proj: Path, name: str) -> None:
    """Every artifact the experiment declares is there, of its kind, and an image is the size its meta says."""
    exp = registry.discover()[name]
    man = entry(proj, name)
    assert set(man["artifacts"]) == set(exp.artifacts)
    for art, kind in exp.artifacts.items():
        a = man["artifacts"][art]
        assert a["kind"] == kind
        for f in a["files"].values():
            path = man["folder"] / f
            assert path.stat().st_size > 0
            if f.endswith(".png") and kind == "image":
                assert Image.open(path).size == (a["meta"]["width"], a["meta"]["height"])
