"""The DeepFloyd IF backend: stage I (64 px) and stage II (256 px) through diffusers.

Where the weights come from (``locate``): ``--weights DIR`` (a folder holding
``IF-I-XL-v1.0/`` and ``IF-II-L-v1.0/`` as written by ``save_pretrained`` or
``huggingface-cli download --local-dir``, or a hub cache with ``models--DeepFloyd--*``),
else the local Hugging Face cache (``HF_HOME``). ``download`` fetches only what the
build uses: the fp16 variant (on CUDA), no safety checker, feature extractor or watermarker.

Prompts are embedded once with T5 (the ``prompt_embeddings`` experiment); stage I then
runs with ``text_encoder=None``, and stage II is loaded only when a result needs it. The
same code runs on the tiny stand-in of tests/fixtures/tiny_deepfloyd.py, which is how
the whole path is tested without the weights.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Optional

import torch

from ..diffusion.sampling import Prediction, threshold_x0
from ..errors import UserError

STAGE1 = "DeepFloyd/IF-I-XL-v1.0"
STAGE2 = "DeepFloyd/IF-II-L-v1.0"
# Pipeline parts the build never uses: passed as None, so they are neither downloaded nor loaded.
UNUSED = {"safety_checker": None, "feature_extractor": None, "watermarker": None}
FIX_TOKEN = ("Fix: create a Hugging Face token, accept the licence at https://huggingface.co/{repo}, "
             "then `huggingface-cli login` (or set HF_TOKEN)")
FIX_INCOMPLETE = ("Fix: download it again (`huggingface-cli download {repo}`, or delete the folder and run "
                  "`python build.py --backend deepfloyd --device cuda` online), or point --weights at a complete copy")


class DeepFloydError(UserError):
    """A one-line reason the DeepFloyd backend cannot run, with the fix."""


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() not in ("0", "", "false", "no")


def locate(repo: str, weights: Optional[Path] = None) -> Optional[Path]:
    """The local folder of ``repo`` (a snapshot with model_index.json), None if absent. Never
    touches the network."""
    from huggingface_hub import snapshot_download

    if weights is not None:
        folder = Path(weights) / repo.split("/")[1]
        if (folder / "model_index.json").is_file():
            return folder
    try:
        path = snapshot_download(repo, local_files_only=True, cache_dir=weights,
                                 allow_patterns=["model_index.json"])
    except Exception:  # huggingface_hub raises several types for "not in the cache"
        return None
    return Path(path) if (Path(path) / "model_index.json").is_file() else None


def revision(folder: Path) -> str:
    """What identifies the weights in the cache key: the hub commit of a snapshot, else a digest
    of a local copy's configs and file sizes (hashing 20 GB of weights on every build is too slow)."""
    if folder.parent.name == "snapshots":
        return folder.name
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder).as_posix()}:{p.stat().st_size}\n".encode())
            if p.suffix == ".json":
                h.update(p.read_bytes())
    return "local-" + h.hexdigest()[:16]


def _weight_files(part: Path, variant: Optional[str]) -> list[str]:
    """Names of the weight files that ``from_pretrained`` will read from one part's folder
    (single file or every shard of an index), or [] if there are none."""
    tag = f".{variant}" if variant else ""
    for base in ("diffusion_pytorch_model", "model"):
        single = part / f"{base}{tag}.safetensors"
        if single.is_file():
            return [single.name]
        index = part / f"{base}.safetensors.index{tag}.json"
        if index.is_file():
            return sorted(set(json.loads(index.read_text())["weight_map"].values()))
    return []


def check_complete(folder: Path, repo: str, parts: tuple[str, ...], variant: Optional[str]) -> None:
    """Every file that loading ``parts`` needs is present; else one line naming the first missing
    one. Checked before anything runs, so a broken download never costs a half-done build."""
    def missing(rel: str) -> DeepFloydError:
        return DeepFloydError(f"{repo}: incomplete weights in {folder}: missing {rel}. "
                              + FIX_INCOMPLETE.format(repo=repo))

    needed = ["model_index.json"]
    for part in parts:
        if part == "tokenizer":
            # without tokenizer.json (or the sentencepiece model) transformers builds an empty
            # vocabulary without a word of warning: every prompt becomes <unk>, all embeddings alike
            needed.append("tokenizer/tokenizer_config.json")
            if not any((folder / "tokenizer" / f).is_file() for f in TOKENIZER_VOCAB):
                raise missing(f"tokenizer/{TOKENIZER_VOCAB[0]} (or {TOKENIZER_VOCAB[1]})")
            continue
        config = "scheduler_config.json" if "scheduler" in part else "config.json"
        needed.append(f"{part}/{config}")
    for rel in needed:
        if not (folder / rel).is_file():
            raise missing(rel)
    for part in ("unet", "text_encoder"):
        if part not in parts:
            continue
        files = _weight_files(folder / part, variant) or _weight_files(folder / part, None)
        if not files:
            raise missing(f"{part}/ weights (*.safetensors)")
        for f in files:
            if not (folder / part / f).is_file():
                raise missing(f"{part}/{f}")


# A T5 tokenizer's vocabulary: the fast tokenizer's file, or the sentencepiece model it is built from.
TOKENIZER_VOCAB = ("tokenizer.json", "spiece.model")
# The parts each use of a repository reads (everything else in it is never loaded).
STAGE1_PARTS = ("unet", "scheduler")
ENCODER_PARTS = ("tokenizer", "text_encoder")
STAGE2_PARTS = ("unet", "scheduler", "image_noising_scheduler", "tokenizer")


def variant_for(dtype: torch.dtype, folder: Optional[Path] = None, part: str = "unet") -> Optional[str]:
    """'fp16' for half precision where the files exist (the hub repositories have them)."""
    if dtype != torch.float16:
        return None
    if folder is None or _weight_files(folder / part, "fp16"):
        return "fp16"
    return None


def download(repo: str, dtype: torch.dtype, weights: Optional[Path] = None) -> Path:
    """Fetch what the build uses of ``repo`` into the hub cache (or ``weights``), with progress
    bars. Stage I's repository also gives the T5 encoder; stage II's text encoder is never used."""
    from diffusers import IFPipeline, IFSuperResolutionPipeline
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    cls, skip = (IFPipeline, {}) if repo == STAGE1 else (IFSuperResolutionPipeline, {"text_encoder": None})
    try:
        path = cls.download(repo, variant=variant_for(dtype), cache_dir=weights, **UNUSED, **skip)
    except GatedRepoError:
        raise DeepFloydError(f"{repo}: access refused (403, gated model). " + FIX_TOKEN.format(repo=repo)) from None
    except RepositoryNotFoundError:
        raise DeepFloydError(f"{repo}: not found or no token (401). " + FIX_TOKEN.format(repo=repo)) from None
    except OSError as e:
        raise DeepFloydError(f"{repo}: download failed ({str(e).splitlines()[0][:160]}). Fix: check the "
                             "network and your token, or copy the weights and pass --weights DIR") from None
    return Path(path)


def _load(cls, folder: Path, repo: str, device: str, dtype: torch.dtype, offload: bool, **parts):
    """A pipeline from a local folder on ``device``, without the parts the build never uses.
    ``offload``: diffusers' model CPU offload (each part moves to the GPU only while it runs)."""
    try:
        pipe = cls.from_pretrained(folder, torch_dtype=dtype, variant=variant_for(dtype, folder),
                                   local_files_only=True, **UNUSED, **parts)
    except (OSError, ValueError, KeyError) as e:
        raise DeepFloydError(f"{repo}: cannot load from {folder} ({str(e).splitlines()[0][:200]}). "
                             + FIX_INCOMPLETE.format(repo=repo)) from None
    pipe.set_progress_bar_config(leave=False)
    try:
        if offload:
            pipe.enable_model_cpu_offload(device=device)
            return pipe
        return pipe.to(device)
    except torch.cuda.OutOfMemoryError:
        raise DeepFloydError("out of GPU memory while loading DeepFloyd IF. Fix: pass --offload (cards under "
                             "24 GB), or free the GPU") from None


@torch.no_grad()
def embed_prompts(prompts: list[str], folder: Path, device: str, dtype: torch.dtype,
                  offload: bool = False) -> dict[str, torch.Tensor]:
    """{prompt: (1, 77, D)} T5 embeddings (D = 4096 for the real encoder), one encoder call per
    prompt; the encoder is freed afterwards."""
    from diffusers import IFPipeline

    pipe = _load(IFPipeline, folder, STAGE1, device, dtype, offload, unet=None)
    out = {}
    for p in prompts:
        emb, _ = pipe.encode_prompt(p, do_classifier_free_guidance=False, device=pipe._execution_device)
        out[p] = emb.to("cpu")
    # Under model CPU offload accelerate's hooks and the pipeline refer to each other, so ``del``
    # alone would leave the T5 encoder (9.5 GB in fp16) on the card until the garbage collector
    # happened to run: remove the hooks, drop the pipeline, collect, then give the memory back.
    if hasattr(pipe, "remove_all_hooks"):
        pipe.remove_all_hooks()
    del pipe
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return out


class DeepFloydBackend:
    """Part A on DeepFloyd IF (implements ``models.backend.Backend``)."""

    name = "deepfloyd"
    model_label = "DeepFloyd IF (stage I, 64 px; stage II, 256 px)"
    has_upsampler = True
    reader = None   # no classifier reads photographs: the DeepFloyd page is judged by eye
    images = {"test": "photo:astronaut", "own1": "photo:chelsea", "own2": "photo:coffee",
              "web": "photo:rocket", "drawn1": "sketch:house", "drawn2": "sketch:tree"}
    image_labels = {"test": "test image (astronaut)", "own1": "own image 1 (a cat)",
                    "own2": "own image 2 (coffee)", "web": "web-style image (a rocket)",
                    "drawn1": "drawing 1 (a house)", "drawn2": "drawing 2 (a tree)"}

    def __init__(self, stage1, embeddings: dict[str, torch.Tensor], load_stage2: Optional[Callable] = None):
        """``stage1``: an IFPipeline without text encoder; ``load_stage2()`` gives the
        IFSuperResolutionPipeline, called the first time a result is upsampled."""
        self.stage1 = stage1
        self._load_stage2, self._stage2 = load_stage2, None
        self.embeddings = embeddings
        sched = stage1.scheduler
        self.T = sched.config.num_train_timesteps
        self.abar = sched.alphas_cumprod  # the scheduler's own float32 table, as IFPipeline uses it
        size = stage1.unet.config.sample_size
        self.image_shape = (stage1.unet.config.in_channels, size, size)
        self.device = stage1._execution_device
        self.dtype = stage1.unet.dtype

    def describe(self, prompt: str) -> Optional[str]:
        return None  # the prompt is the condition: nothing to add to a caption

    def embed(self, prompt: str) -> torch.Tensor:
        if prompt not in self.embeddings:  # the plan embeds every prompt it finds: this is a bug
            raise RuntimeError(f"prompt {prompt!r} was not embedded by prompt_embeddings")
        return self.embeddings[prompt].to(self.device, self.dtype)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 3, 64, 64); cond (B, 77, D). The UNet gives (B, 6, H, W): noise then variance."""
        try:
            out = self.stage1.unet(x.to(self.dtype), t, encoder_hidden_states=cond, return_dict=False)[0]
        except torch.cuda.OutOfMemoryError:
            raise DeepFloydError("out of GPU memory in stage I. Fix: pass --offload, or use fewer "
                                 "images per batch") from None
        eps, var = out.to(x.dtype).split(x.shape[1], dim=1)
        return Prediction(eps, var)

    def clamp_x0(self, x0: torch.Tensor) -> torch.Tensor:
        """As the scheduler of the checkpoint says: dynamic thresholding, clipping or nothing."""
        c = self.stage1.scheduler.config
        if c.thresholding:
            return threshold_x0(x0, "dynamic", c.dynamic_thresholding_ratio, c.sample_max_value)
        return threshold_x0(x0, "clip" if c.clip_sample else "none")

    def from_image(self, img: torch.Tensor) -> torch.Tensor:
        """(3, H, W) in [0, 1] -> (3, 64, 64) in [-1, 1]."""
        if img.shape[0] == 1:
            img = img.repeat(3, 1, 1)
        size = self.image_shape[-1]
        img = torch.nn.functional.interpolate(img[None], size=(size, size), mode="bicubic", antialias=True)[0]
        return (img.clamp(0, 1) * 2 - 1).to(self.device)

    def to_image(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.float() + 1) / 2).clamp(0, 1)

    @property
    def stage2(self):
        if self._stage2 is None and self._load_stage2 is not None:
            self._stage2 = self._load_stage2()
        return self._stage2

    @torch.no_grad()
    def upsample(self, x: torch.Tensor, prompt: str, generator: torch.Generator) -> Optional[torch.Tensor]:
        """Stage II: (B, 3, 64, 64) -> (B, 3, 256, 256) in [-1, 1], conditioned on the prompt."""
        if self.stage2 is None:
            return None
        emb = self.embed(prompt).expand(x.shape[0], -1, -1)
        neg = self.embed("").expand(x.shape[0], -1, -1)
        try:
            return self.stage2(image=x.to(self.dtype), prompt_embeds=emb, negative_prompt_embeds=neg,
                               generator=generator, output_type="pt").images.float()
        except torch.cuda.OutOfMemoryError:
            raise DeepFloydError("out of GPU memory in stage II (256 px upsampling). Fix: pass --offload, "
                                 "or free the GPU (stage I and II together need about 11 GB without "
                                 "offload)") from None
