"""Section 6 shows what guidance does on whichever model drew the page: a prompt the model
understands, the same noise without and with guidance, one row each."""
import json

import numpy as np
from PIL import Image

from generator.engine import registry
from generator.experiments.cfg_sampling import Params
from generator.models.prompt_sets import defaults
from generator.models.scratch_backend import prompt_digit
from generator.paths import ROOT


def test_each_model_gets_a_prompt_it_understands():
    assert prompt_digit(Params().prompt) is not None   # the scratch model: a digit, not the null class
    assert defaults("deepfloyd")["cfg_sampling"]["prompt"] == "a high quality photo"   # the course's prompt


def test_the_committed_figure_has_one_row_without_and_one_with_guidance_and_they_differ():
    """On the committed (scratch) page the guided row is not a copy of the unguided one: before, with
    the null class as the prompt, the guided samples were pixel-identical to section 5's."""
    exp = registry.discover()["cfg_sampling"]
    manifests = [json.loads(m.read_text()) for m in (ROOT / "cache" / "cfg_sampling").glob("*/manifest.json")]
    assert len(manifests) == 1, "one committed cfg_sampling result"
    art = manifests[0]["artifacts"]["samples"]
    assert art["meta"]["row_labels"] == ["gamma = 1", f"gamma = {Params().gamma:g}"] and exp.section == 6
    folder = next((ROOT / "cache" / "cfg_sampling").glob("*/"))
    grid = np.asarray(Image.open(folder / art["files"]["main"]).convert("L"), dtype=float) / 255
    tile, gap = art["meta"]["tile"][0], art["meta"]["gap"]
    plain, guided = grid[:tile], grid[tile + gap: 2 * tile + gap]
    assert np.abs(plain - guided).mean() > 0.05, np.abs(plain - guided).mean()
