"""Section 13's results: the denoiser's figures by epoch, out of distribution, and its test error by sigma."""
import json

from .partb_build import check_declared_artifacts, entry


def test_every_declared_artifact_is_there_with_its_kind(partb):
    check_declared_artifacts(partb, "denoiser_results")


def test_the_figures_show_the_kept_epochs_and_the_error_measured_while_training(partb):
    """The early epoch's test error is measured while training (its weights are not kept); the table
    is that measurement, epoch by epoch, and the error grows with the test noise level."""
    den = entry(partb, "denoiser_results")
    assert den["artifacts"]["final"]["meta"]["col_labels"][-1] == "denoised, epoch 2"
    assert den["artifacts"]["epochs"]["meta"]["labels"] == ["epoch 1", "epoch 2"]
    rows = json.loads((den["folder"] / "mse.json").read_text())["rows"]
    log = json.loads((entry(partb, "train_denoiser")["folder"] / "log.json").read_text())
    assert [r[0] for r in rows] == ["epoch 1", "epoch 2"]
    assert [r[1:] for r in rows] == [log["measurements"][e]["test_mse"] for e in ("1", "2")]
    sigmas, mse = log["measurements"]["2"]["sigmas"], log["measurements"]["2"]["test_mse"]
    assert mse[sigmas.index(1.0)] > mse[sigmas.index(0.0)]
