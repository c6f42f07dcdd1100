"""Section 14's results: samples and their quality from the two watched DDPM trainings and the judge."""
import shutil

from ..tiny_report import assert_floors_at_equal_sizes, build, page
from .partb_build import TINY, check_declared_artifacts, entry


def test_every_declared_artifact_is_there_with_its_kind(partb):
    check_declared_artifacts(partb, "ddpm_results")


def test_the_figures_show_the_epochs_the_trainings_kept_and_every_look(partb):
    arts = entry(partb, "ddpm_results")["artifacts"]
    assert arts["time_early"]["meta"]["note"].startswith("Epoch 1,")
    assert arts["class_final"]["meta"]["note"].startswith("Epoch 2,")
    for art in ("time_epochs", "class_epochs"):
        assert arts[art]["meta"]["labels"] == ["epoch 1", "epoch 2"] and arts[art]["meta"]["axis"] == "epoch"


def test_real_digits_and_samples_are_measured_at_the_same_size(partb):
    """The Fréchet distance depends on the sample size: the floor (real digits) and every model are
    measured on as many images, and each distance carries its interval."""
    assert assert_floors_at_equal_sizes(partb / "cache") >= 1


def test_trainings_that_keep_different_epochs_are_refused_and_nothing_is_written(partb, tmp_path, capsys):
    for name in ("content", "cache"):
        shutil.copytree(partb / name, tmp_path / name)
    tiny = TINY | {"train_class_ddpm": TINY["train_class_ddpm"] | {"keep_epochs": [2, 2]}}
    (tmp_path / "content" / "index.md").write_text(page(tiny, ["ddpm_results/quality"]))
    before = sorted(p.name for p in (tmp_path / "cache" / "ddpm_results").iterdir())
    code, _, err = build(tmp_path, capsys=capsys)
    assert code == 2, err
    assert err.strip().splitlines()[-1].startswith("error: ddpm_results: the two trainings keep different epochs")
    assert sorted(p.name for p in (tmp_path / "cache" / "ddpm_results").iterdir()) == before
