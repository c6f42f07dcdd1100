"""The Part A model as a resource (``USES_BACKEND``, ``ctx.backend``): DeepFloyd IF or the scratch
model (``models/select.py`` chooses, with its reason), the page variant it selects (blocks
``<div class="on-MODEL">``, the front matter's ``backend``), its prompt sets and prompt checks,
and the model built once per build from its upstream results."""
from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import BuildError

# what the page's front matter names it by: 'backend: scratch' or 'backend: deepfloyd'
FRONT_MATTER_KEY = "backend"


class Builder:
    """What ``ctx.backend`` reads: the model built from its upstream results, once per build (each
    DeepFloyd stage loaded once, stage II only when a result is upsampled)."""

    def __init__(self, choice, device: str) -> None:
        self.choice, self.device = choice, device
        self._built: tuple = (None, None)     # (upstream keys, the model built from them)

    def __call__(self, upstream: dict) -> Any:
        import torch

        names = self.choice.upstream
        key = tuple(upstream[n].key for n in names)
        if self._built[0] != key:
            self._built = (key, self.choice.make({n: upstream[n] for n in names}, torch.device(self.device)))
        return self._built[1]


class PartAModel:
    name = "backend"
    key_slot: Optional[str] = "backend"      # a top-level ingredient of every key (None where unused)
    key_modules = ("generator.models.select",)
    runs_network = True
    option_names = ("backend", "weights", "offload")
    mismatch_fix = "give every node the same weights and libraries"
    front_matter_key = FRONT_MATTER_KEY

    def __init__(self) -> None:
        self.wanted, self.device = "auto", "cpu"
        self.weights: Optional[Path] = None
        self.offload: Optional[bool] = None
        self.declared: Optional[str] = None
        self.recorded: dict[str, str] = {}
        self._choice = None
        self._builder: Optional[Builder] = None

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--backend", default="auto", choices=["auto", "deepfloyd", "scratch"],
                            help="Part A model: DeepFloyd IF (GPU + weights) or the scratch MNIST model "
                                 "(default: auto)")
        parser.add_argument("--weights", type=Path, default=None, metavar="DIR",
                            help="a local copy of the DeepFloyd IF weights: DIR/IF-I-XL-v1.0 and DIR/IF-II-L-v1.0 "
                                 "(save_pretrained or `huggingface-cli download --local-dir`), or a hub cache "
                                 "folder (default: the Hugging Face cache, HF_HOME)")
        parser.add_argument("--offload", action=argparse.BooleanOptionalAction, default=None,
                            help="DeepFloyd: model CPU offload, for GPUs under 24 GB (default: on for those)")

    def check_options(self, args: argparse.Namespace) -> None:
        if args.weights is not None and not Path(args.weights).is_dir():
            raise BuildError(f"'{args.weights}' is not a folder. Fix: pass the folder that holds IF-I-XL-v1.0 and "
                             "IF-II-L-v1.0 (or a Hugging Face hub cache)", "--weights")

    def configure(self, args: argparse.Namespace, recorded: dict[str, str], frozen: bool,
                  declared: Optional[str] = None) -> "PartAModel":
        made = PartAModel()
        made.wanted, made.device = args.backend, getattr(args, "device", None) or "cpu"
        made.weights, made.offload = args.weights, args.offload
        made.declared, made.recorded = declared, dict(recorded)
        return made

    @property
    def choice(self):
        if self._choice is None:
            from ..models import select

            self._choice = select.choose(self.wanted, self.device, self.weights, self.offload, self.declared,
                                         self.recorded)
        return self._choice

    def group_of(self, identity: str) -> str:
        from ..models import select

        return select.name_of(identity)

    @property
    def groups(self) -> tuple[str, ...]:
        from ..models import select

        return select.NAMES

    def identity(self) -> str:
        return self.choice.identity

    def value(self) -> Builder:
        if self._builder is None:
            self._builder = Builder(self.choice, self.device)
        return self._builder

    def chosen(self) -> Optional[str]:
        return f"Part A backend: {self.choice.name} ({self.choice.reason})"

    def pinned(self) -> "PartAModel":
        made = copy.copy(self)
        made.wanted, made._choice, made._builder = self.choice.name, None, None
        return made

    def watched_places(self, args: argparse.Namespace) -> list:
        import os

        hub = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME", Path.home() / ".cache" /
                                                                           "huggingface")) / "hub")
        places = [hub / "models--DeepFloyd--IF-I-XL-v1.0" / "refs" / "main",
                  hub / "models--DeepFloyd--IF-II-L-v1.0" / "refs" / "main"]
        if args.weights is not None:
            places += [Path(args.weights), *Path(args.weights).glob("*")]
        return places

    # --- what the Part A model adds to the protocol -------------------------------------------
    def upstream(self) -> tuple[str, ...]:
        return tuple(self.choice.upstream)

    def param_defaults(self, experiment: str) -> dict:
        return dict(self.choice.defaults.get(experiment, {}))

    def settle(self, resolved: dict[str, Any], users: list[str], line_of: Callable[[str], Optional[str]]) -> None:
        """Every prompt that a Part A experiment will use is one the model can use, and, where the
        model embeds prompts (DeepFloyd's T5), the prompt_embeddings experiment embeds exactly the
        prompts used (plus any listed in its own ``prompts``), so none is ever missing at run time.
        The unconditional prompt "" is always included: CFG and stage II need it."""
        used = [""]
        for name in users:
            for prompt in getattr(resolved[name], "used_prompts", list)():
                try:
                    self.choice.check_prompt(prompt)
                except ValueError as e:
                    raise BuildError(f"experiment '{name}': {e}. Fix: change that prompt in the front matter",
                                     line_of(name) or f"experiment {name}") from None
                used.append(prompt)
        if self.choice.embed_prompts is not None:  # its upstream is the experiment that embeds them
            for name in set(self.choice.upstream) & set(resolved):
                p = resolved[name]
                p.prompts = list(dict.fromkeys(list(p.prompts) + used))  # ordered, without repeats

    def variant(self) -> str:
        """The page variant it shows (the page keeps blocks ``on-<variant>`` of it alone)."""
        return self.choice.name

    def not_needed(self) -> set[str]:
        """Experiments that only build the other models: an override of one plans nothing."""
        from ..models import select

        return select.BACKEND_UPSTREAM - set(self.choice.upstream)

    def cannot_run(self) -> Optional[tuple[str, str]]:
        """(why, where) this choice can compute nothing (DeepFloyd read from cached results), else None."""
        return None if self.choice.cannot_run is None else (self.choice.cannot_run, "--backend")

    def memory_gib(self) -> float:
        return self.choice.memory_gib

    def provenance(self) -> dict:
        return {"dtype": self.choice.dtype}

    def page_facts(self) -> dict:
        return {"backend": self.choice.name, "backend_label": self.choice.label,
                "backend_reason": self.choice.reason}
