"""Part B's result experiments on tiny trainings: each produces every artifact it declares, of the
declared kind and size, and reads its training's parameters instead of copying them (keep_epochs)."""
from __future__ import annotations

import json

import pytest
from PIL import Image

from generator.engine import registry
from tests.tiny_report import assert_floors_at_equal_sizes, build, page

TINY = {
    "train_denoiser": {"epochs": 2, "D": 4, "batch_size": 4000, "keep_epochs": [1, 2]},
    "train_time_ddpm": {"epochs": 2, "D": 4, "T": 20, "batch_size": 4000, "keep_epochs": [1, 2]},
    "train_class_ddpm": {"epochs": 2, "D": 4, "T": 20, "batch_size": 4000, "keep_epochs": [1, 2]},
    "mnist_classifier": {"epochs": 1},
    "ddpm_results": {"eval_per_digit": 2, "show_per_digit": 1, "time_show": 10},
    "denoiser_results": {"n_show": 2, "sigmas": [0.0, 0.5, 1.0]},
}


def entry(proj, name: str) -> dict:
    (man,) = [json.loads(p.read_text()) for p in (proj / "cache" / name).glob("*/manifest.json")]
    return man


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    proj = tmp_path_factory.mktemp("partb")
    (proj / "content").mkdir()
    figs = ["ddpm_results/quality", "denoiser_results/mse"]
    (proj / "content" / "index.md").write_text(page(TINY, figs))
    code, _, err = build(proj)
    assert code == 0, err
    return proj


@pytest.mark.parametrize("name", ["ddpm_results", "denoiser_results"])
def test_every_declared_artifact_is_there_with_its_kind(built, name):
    exp = registry.discover()[name]
    man = entry(built, name)
    assert set(man["artifacts"]) == set(exp.artifacts)
    for art, kind in exp.artifacts.items():
        a = man["artifacts"][art]
        assert a["kind"] == kind
        for f in a["files"].values():
            path = built / "cache" / name / man["key"][:16] / f
            assert path.stat().st_size > 0
            if f.endswith(".png") and kind == "image":
                assert Image.open(path).size == (a["meta"]["width"], a["meta"]["height"])


def test_results_show_the_epochs_the_training_kept(built):
    ddpm, den = entry(built, "ddpm_results"), entry(built, "denoiser_results")
    assert ddpm["artifacts"]["time_early"]["meta"]["note"].startswith("Epoch 1,")
    assert ddpm["artifacts"]["class_final"]["meta"]["note"].startswith("Epoch 2,")
    assert den["artifacts"]["final"]["meta"]["col_labels"][-1] == "denoised, epoch 2"
    rows = json.loads((built / "cache" / "denoiser_results" / den["key"][:16] / "mse.json").read_text())["rows"]
    assert [r[0] for r in rows] == ["epoch 1", "epoch 2"]


def test_every_training_is_watched_epoch_by_epoch(built):
    """Each training keeps a look after every epoch; the results show them as one figure scrubbed by
    epoch; the denoiser's last look is its kept epoch-2 model applied to the noisy row."""
    import torch
    from safetensors.torch import load_file

    from generator.models.unet import UnconditionalUNet
    from generator.train import load_snapshot

    def files(name):
        man = entry(built, name)
        return built / "cache" / name / man["key"][:16], man

    for name, shape in [("train_denoiser", (3, 10, 1, 28, 28)), ("train_time_ddpm", (1, 10, 1, 28, 28)),
                        ("train_class_ddpm", (1, 10, 1, 28, 28))]:
        folder, man = files(name)
        looks = load_file(folder / man["artifacts"]["looks"]["files"]["main"])
        assert sorted(looks) == ["epoch1", "epoch2"] and looks["epoch1"].shape == shape, name
        assert not torch.equal(looks["epoch1"], looks["epoch2"]), name   # the model moved between looks
    for name, art in [("denoiser_results", "epochs"), ("ddpm_results", "time_epochs"),
                      ("ddpm_results", "class_epochs")]:
        meta = entry(built, name)["artifacts"][art]["meta"]
        assert meta["labels"] == ["epoch 1", "epoch 2"] and meta["axis"] == "epoch", (name, art)

    folder, man = files("train_denoiser")
    looks = load_file(folder / "looks.safetensors")["epoch2"]   # rows: clean, noisy, denoised (unclamped)
    model = UnconditionalUNet(TINY["train_denoiser"]["D"])
    model.load_state_dict(load_snapshot(load_file(folder / "weights.safetensors"), 2))
    with torch.no_grad():
        again = model.eval()(looks[1])
    assert (looks[1] - looks[0]).abs().mean() > 0.1   # the noisy row is the clean one plus noise
    # the same function up to the kept weights' fp16 rounding
    assert (again - looks[2]).abs().max() < 1e-2, (again - looks[2]).abs().max()


def test_a_results_experiment_refuses_trainings_that_keep_different_epochs(built, capsys):
    tiny = TINY | {"train_class_ddpm": TINY["train_class_ddpm"] | {"keep_epochs": [2, 2]}}
    (built / "content" / "index.md").write_text(page(tiny, ["ddpm_results/quality"]))
    before = sorted(p.name for p in (built / "cache" / "ddpm_results").iterdir())
    code, _, err = build(built, capsys=capsys)
    assert code == 2, err
    assert err.strip().splitlines()[-1].startswith("error: ddpm_results: the two trainings keep different epochs")
    assert sorted(p.name for p in (built / "cache" / "ddpm_results").iterdir()) == before


def test_floors_and_models_are_measured_at_the_same_size(built):
    assert assert_floors_at_equal_sizes(built / "cache") >= 1


def test_the_denoiser_keeps_the_final_weights_only_and_measures_the_early_epoch_while_training(built):
    """The cache keeps what a later result needs: the denoiser's final weights (the out-of-distribution
    figure needs the model); the early epoch's test error is measured while training and its figure
    comes from the look at that epoch, so the early weights (half the denoiser's 31.6 MB) are not kept."""
    from safetensors.torch import load_file

    man = entry(built, "train_denoiser")
    folder = built / "cache" / "train_denoiser" / man["key"][:16]
    weights = load_file(folder / "weights.safetensors")
    assert {k.split(".")[0] for k in weights} == {"epoch2"}
    log = json.loads((folder / "log.json").read_text())
    assert sorted(log["measurements"]) == ["1", "2"]
    for m in log["measurements"].values():
        assert len(m["test_mse"]) == len(m["sigmas"]) == 7 and all(v > 0 for v in m["test_mse"])
    rows = json.loads((built / "cache" / "denoiser_results" / entry(built, "denoiser_results")["key"][:16]
                       / "mse.json").read_text())["rows"]
    assert rows[0][1:] == log["measurements"]["1"]["test_mse"]
