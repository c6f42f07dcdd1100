"""Section 13: the single-step denoiser D(z) ~ x, trained on z = x + sigma eps at sigma = 0.5."""
import json

import torch
from safetensors.torch import load_file

from generator.models.unet import UnconditionalUNet
from generator.train import load_snapshot

from .partb_build import TINY, entry


def test_it_learns_from_pairs_noised_at_the_training_sigma(experiment):
    values, p = experiment("train_denoiser", D=4, epochs=2, batch_size=1000, keep_epochs=[1, 2])
    losses = values["log"]["losses"]
    assert len(losses) == 8
    assert sum(losses[-2:]) < sum(losses[:2]), losses
    clean, noisy, _denoised = values["looks"]["epoch2"]      # each (10, 1, 28, 28): the first test digits
    noise = noisy - clean                                    # sigma eps over 7,840 pixels
    assert abs(float(noise.std()) - p.sigma) < 0.03 and abs(float(noise.mean())) < 0.03


def test_the_cache_keeps_the_final_weights_only_and_they_compute_the_last_look(partb):
    """The out-of-distribution figure needs the final model; the early epoch is measured while
    training, so its weights (half the denoiser's 31.6 MB) are not kept. The kept weights compute the
    last look's denoised row from its noisy row, up to their fp16 rounding."""
    folder = entry(partb, "train_denoiser")["folder"]
    weights = load_file(folder / "weights.safetensors")
    assert {k.split(".")[0] for k in weights} == {"epoch2"}
    log = json.loads((folder / "log.json").read_text())
    assert sorted(log["measurements"]) == ["1", "2"]
    for m in log["measurements"].values():
        assert len(m["test_mse"]) == len(m["sigmas"]) == 7 and all(v > 0 for v in m["test_mse"])
    clean, noisy, denoised = load_file(folder / "looks.safetensors")["epoch2"]
    model = UnconditionalUNet(TINY["train_denoiser"]["D"])
    model.load_state_dict(load_snapshot(weights, 2))
    with torch.no_grad():
        again = model.eval()(noisy)
    assert (again - denoised).abs().max() < 1e-2, (again - denoised).abs().max()
