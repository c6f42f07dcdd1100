"""Choosing the Part A backend: DeepFloyd IF where its weights are found and a GPU is selected,
else the best scratch MNIST model (measured by ``experiments/part_a_model.py``), with the
reason said out loud either way."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import torch

from ..errors import BuildError
from . import deepfloyd, prompt_sets
from .backend import BackendChoice

# the choice, its three candidates, and the classifier that reads Part A's digits
SCRATCH_UPSTREAM = ("part_a_model", "train_class_ddpm", "train_improved_ddpm", "train_flow", "mnist_classifier")
DEEPFLOYD_UPSTREAM = ("prompt_embeddings",)
BACKEND_UPSTREAM = set(SCRATCH_UPSTREAM + DEEPFLOYD_UPSTREAM)  # experiments a backend is built from
CPU_NOTE = ("DeepFloyd IF on the CPU runs in fp32; with the real weights that takes hours per section "
            "(use --device cuda), with the tiny stand-in of tests/fixtures minutes")


def _make_scratch(upstream: dict, device: torch.device):
    """The candidate that ``part_a_model`` chose, with the project's digit classifier as its reader."""
    from .digit_reader import DigitReader
    from .improved_backend import backend_of

    backend = backend_of(upstream[upstream["part_a_model"].json("metrics")["choice"]], device)
    backend.reader = DigitReader.from_result(upstream["mnist_classifier"], backend)
    return backend


def _check_scratch_prompt(prompt: str) -> None:
    from .scratch_backend import prompt_digit

    prompt_digit(prompt)


def scratch(reason: str) -> BackendChoice:
    ident = "scratch:best of sections 14-15 (part_a_model)"
    return BackendChoice("scratch", "scratch MNIST UNet", ident, SCRATCH_UPSTREAM, reason, "float32",
                         _make_scratch, _check_scratch_prompt, defaults=prompt_sets.defaults("scratch"))


def _make_deepfloyd(upstream: dict, device: torch.device, folders: dict, dtype: torch.dtype, offload: bool):
    from diffusers import IFPipeline, IFSuperResolutionPipeline

    entry = upstream["prompt_embeddings"]
    tensors, prompts = entry.tensors("embeddings"), entry.json("prompts")
    embeddings = {p: tensors[f"prompt{i}"] for i, p in enumerate(prompts)}
    dev = str(device)
    stage1 = deepfloyd._load(IFPipeline, folders[deepfloyd.STAGE1], deepfloyd.STAGE1, dev, dtype, offload,
                             text_encoder=None)
    load2 = functools.partial(deepfloyd._load, IFSuperResolutionPipeline, folders[deepfloyd.STAGE2],
                              deepfloyd.STAGE2, dev, dtype, offload, text_encoder=None)
    return deepfloyd.DeepFloydBackend(stage1, embeddings, load2)


def _embed(prompts: list[str], folder: Path, device: str, dtype: torch.dtype, offload: bool) -> dict:
    deepfloyd.check_complete(folder, deepfloyd.STAGE1, deepfloyd.ENCODER_PARTS,
                             deepfloyd.variant_for(dtype, folder, "text_encoder"))
    return deepfloyd.embed_prompts(prompts, folder, device, dtype, offload)


def _check_any_prompt(prompt: str) -> None:
    if not isinstance(prompt, str):
        raise ValueError(f"a prompt must be text, got {prompt!r}")


def _default_offload(device: str) -> bool:
    """Model CPU offload on cards under 24 GB: stage I (fp16, 8.6 GB) and stage II (2.5 GB) with
    activations do not fit a 16 GB card next to each other."""
    if not device.startswith("cuda"):
        return False
    return torch.cuda.get_device_properties(torch.device(device)).total_memory < 24 * 2**30


def _dtype(device: str) -> torch.dtype:
    """fp16 on CUDA (the released weights' precision), fp32 on the CPU (no fast fp16 kernels there)."""
    return torch.float16 if device.startswith("cuda") else torch.float32


def present(folders: dict[str, Optional[Path]]) -> dict[str, Path]:
    """The weight folders that were found (a caller checks that none is missing)."""
    return {r: f for r, f in folders.items() if f is not None}


def deepfloyd_choice(folders: dict[str, Path], device: str, reason: str, offload: Optional[bool]) -> BackendChoice:
    dtype = _dtype(device)
    # stage I's tokenizer too: without its vocabulary T5 would embed every prompt alike, silently
    stage1_parts = (*deepfloyd.STAGE1_PARTS, "tokenizer")
    for repo, parts in ((deepfloyd.STAGE1, stage1_parts), (deepfloyd.STAGE2, deepfloyd.STAGE2_PARTS)):
        deepfloyd.check_complete(folders[repo], repo, parts, deepfloyd.variant_for(dtype, folders[repo]))
    offload = _default_offload(device) if offload is None else offload
    dtype_name = str(dtype).replace("torch.", "")
    ident = (",".join(f"{r}@{deepfloyd.revision(f)}" for r, f in folders.items())
             + f",dtype={dtype_name}")
    if not device.startswith("cuda"):
        reason = f"{reason}; {CPU_NOTE}"
    make = functools.partial(_make_deepfloyd, folders=folders, dtype=dtype, offload=offload)
    embed = functools.partial(_embed, folder=folders[deepfloyd.STAGE1], device=device, dtype=dtype, offload=offload)
    return BackendChoice("deepfloyd", "DeepFloyd IF", ident, DEEPFLOYD_UPSTREAM, reason, dtype_name, make,
                         _check_any_prompt, embed, prompt_sets.defaults("deepfloyd"), memory_gib=DEEPFLOYD_GIB)


NAMES = ("scratch", "deepfloyd")
DEEPFLOYD_GIB = 16.0   # host memory of a Part A task on DeepFloyd IF (BackendChoice.memory_gib)


def name_of(identity: str) -> str:
    """Which backend a cached result's identity names (``BackendChoice.identity``)."""
    return "scratch" if identity.startswith("scratch:") else "deepfloyd"


def recorded(identity: str, reason: str) -> BackendChoice:
    """DeepFloyd as the cached results record it, for rendering them on a machine without the
    weights (the Pages workflow, a laptop): the keys match, and anything that would have to run
    is refused with ``cannot_run`` before it starts."""
    dtype = identity.rsplit("dtype=", 1)[-1] if "dtype=" in identity else "float16"
    why = ("its results are in the cache, but computing new ones needs the DeepFloyd IF weights and a "
           "GPU. Fix: run on a GPU machine (`python build.py --backend deepfloyd --device cuda`, or the "
           "Colab notebook in notebooks/) and import its results with --import-results")

    def refuse(*_a, **_k):
        raise BuildError(f"DeepFloyd IF: {why}", "--backend")

    return BackendChoice("deepfloyd", "DeepFloyd IF", identity, DEEPFLOYD_UPSTREAM, reason, dtype, refuse,
                         _check_any_prompt, refuse, prompt_sets.defaults("deepfloyd"), cannot_run=why,
                         memory_gib=DEEPFLOYD_GIB)


def choose(choice: str, device: str, weights: Optional[Path] = None, offload: Optional[bool] = None,
           declared: Optional[str] = None, cached: Optional[dict[str, str]] = None) -> BackendChoice:
    """The Part A model of this build. ``declared``: the backend the page's front matter names;
    ``cached``: {backend name: identity} of the newest cached Part A results of each backend.

    ``auto`` renders what is committed: the declared backend, else the one the cached results were
    computed with, else (an empty cache) DeepFloyd when both stages are found locally and ``device``
    is CUDA, otherwise scratch. A DeepFloyd page whose weights are not on this machine is rendered
    from the identity its cached results record (``recorded``). ``deepfloyd``: runs on any device,
    downloads the weights if they are missing and the hub is reachable, and otherwise fails with the
    fix. ``device`` has been checked by the CLI (cli.check_device)."""
    cached = cached or {}
    if choice not in ("auto", *NAMES):
        raise BuildError(f"unknown backend '{choice}'; use auto, deepfloyd or scratch", "--backend")
    if declared is not None and declared not in NAMES:
        raise BuildError(f"unknown backend '{declared}'. Fix: write 'backend: scratch' or 'backend: deepfloyd'",
                         "front matter 'backend'")
    if choice == "scratch":
        return scratch("--backend scratch")
    where = f"--weights {weights}" if weights else "the local Hugging Face cache"
    folders = {r: deepfloyd.locate(r, weights) for r in (deepfloyd.STAGE1, deepfloyd.STAGE2)}
    missing = [r for r, f in folders.items() if f is None]
    flag = "--backend deepfloyd" if choice == "deepfloyd" else "--backend auto"
    try:
        if choice == "auto":
            wanted, why = _auto(declared, cached)
            if wanted == "scratch" or (wanted is None and (missing or not device.startswith("cuda"))):
                if wanted is None:
                    why = (f"no DeepFloyd IF weights in {where}" if missing else
                           f"DeepFloyd IF weights found in {where}, but no CUDA device selected (--device cuda)")
                return scratch(why)
            live = None
            if not missing and device.startswith("cuda"):
                live = deepfloyd_choice(present(folders), device, f"{why}; weights in {where} and {device}", offload)
            if "deepfloyd" in cached and (live is None or live.identity != cached["deepfloyd"]):
                return recorded(cached["deepfloyd"], f"{why}; rendered from its cached results")
            if live is None:
                raise BuildError(f"the page declares DeepFloyd IF, but no results of it are cached and it "
                                 f"cannot run here ({'no weights in ' + where if missing else 'no CUDA device'}). "
                                 "Fix: run with --backend deepfloyd --device cuda on a GPU machine and import "
                                 "its results (--import-results), or declare 'backend: scratch'", flag)
            return live
        if missing and (deepfloyd.offline() or weights):
            if "deepfloyd" in cached:
                return recorded(cached["deepfloyd"], f"--backend deepfloyd; no weights in {where}, so the cached "
                                                     "results are rendered")
            raise BuildError(
                f"cannot run DeepFloyd IF: {', '.join(missing)} not found in {where}"
                + (" and the hub is offline (HF_HUB_OFFLINE)" if deepfloyd.offline() else "")
                + f". Fix: accept the licence at https://huggingface.co/{deepfloyd.STAGE1} and "
                f"https://huggingface.co/{deepfloyd.STAGE2}, `huggingface-cli login`, then run once online "
                "without HF_HUB_OFFLINE (or pass --weights DIR with a copy); or use --backend scratch",
                "--backend deepfloyd")
        for repo in missing:
            print(f"downloading {repo} (only the parts the build uses) ...")
            folders[repo] = deepfloyd.download(repo, _dtype(device), weights)
        return deepfloyd_choice(present(folders), device, "--backend deepfloyd", offload)
    except deepfloyd.DeepFloydError as e:
        raise BuildError(str(e), flag) from None


def _auto(declared: Optional[str], cached: dict[str, str]) -> tuple[Optional[str], str]:
    """The backend ``auto`` renders, and why; (None, "") where nothing decides it (an empty cache)."""
    if declared is not None:
        return declared, f"declared in the page's front matter, 'backend: {declared}'"
    if len(cached) == 1:
        name = next(iter(cached))
        return name, "the cached Part A results were made with it"
    if len(cached) > 1:
        return "scratch", ("results of both models are cached and the page declares neither (front matter "
                           "'backend'), so the scratch model")
    return None, ""
