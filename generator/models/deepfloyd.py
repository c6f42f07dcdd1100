"""The DeepFloyd IF backend: stage I (64 px) and stage II (256 px) through diffusers.

Prompts are embedded once with T5 (the ``prompt_embeddings`` experiment) and
stage I then runs with ``text_encoder=None``. Everything here also works on the
tiny randomly initialised IF-shaped components that the tests build, which is
how this path is checked without the weights (tests/models/test_deepfloyd.py).
"""
from __future__ import annotations

import os
from typing import Optional

import torch

from ..diffusion.sampling import Prediction, threshold_x0

STAGE1 = "DeepFloyd/IF-I-XL-v1.0"
STAGE2 = "DeepFloyd/IF-II-L-v1.0"
FIX_TOKEN = ("Fix: create a Hugging Face token, accept the licence at https://huggingface.co/{repo}, "
             "then `huggingface-cli login` (or set HF_TOKEN)")


class DeepFloydError(RuntimeError):
    """A one-line reason the DeepFloyd backend cannot run, with the fix."""


def local_revision(repo: str) -> Optional[str]:
    """The commit of ``repo`` in the local Hugging Face cache, None if absent (never touches the network)."""
    if os.path.isdir(repo):  # a local folder saved with save_pretrained
        return "local:" + os.path.abspath(repo)
    from huggingface_hub import snapshot_download

    try:
        path = snapshot_download(repo, local_files_only=True, allow_patterns=["model_index.json"])
    except Exception:
        return None
    return os.path.basename(path)


def require_cuda(device: str) -> None:
    if not device.startswith("cuda") or not torch.cuda.is_available():
        raise DeepFloydError("DeepFloyd IF needs a CUDA GPU (fp16, ~16 GB). Fix: run on a machine with a GPU "
                             "and pass --device cuda, or use --backend scratch")


def _from_pretrained(cls, repo: str, **kwargs):
    """``cls.from_pretrained`` with the hub's failures turned into one-line fixes. Honours
    HF_HUB_OFFLINE; the token is read by huggingface_hub and never printed or stored."""
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")
    try:
        return cls.from_pretrained(repo, local_files_only=offline, **kwargs)
    except GatedRepoError:
        raise DeepFloydError(f"{repo}: access refused (403, gated model). " + FIX_TOKEN.format(repo=repo)) from None
    except RepositoryNotFoundError:
        raise DeepFloydError(f"{repo}: not found or no token (401). " + FIX_TOKEN.format(repo=repo)) from None
    except (LocalEntryNotFoundError, OSError) as e:
        if offline or "offline" in str(e).lower() or isinstance(e, LocalEntryNotFoundError):
            raise DeepFloydError(f"{repo}: weights are not in the local cache and the hub is offline. Fix: run "
                                 "once online (unset HF_HUB_OFFLINE) to download them, or use --backend "
                                 "scratch") from None
        raise


def _load(cls, repo: str, device: str, dtype: torch.dtype, **parts):
    """A DeepFloyd pipeline on ``device`` without safety checker, feature extractor and watermarker
    (fp16 weights from the hub, or a local folder saved with save_pretrained)."""
    kw = {"variant": "fp16"} if dtype == torch.float16 and not os.path.isdir(repo) else {}
    pipe = _from_pretrained(cls, repo, safety_checker=None, feature_extractor=None, watermarker=None,
                            torch_dtype=dtype, **parts, **kw)
    try:
        return pipe.to(device)
    except torch.cuda.OutOfMemoryError:
        raise DeepFloydError("out of GPU memory while loading DeepFloyd IF. Fix: free the GPU, or call "
                             "pipe.enable_model_cpu_offload() on a smaller card") from None


def load_stage1(repo: str = STAGE1, device: str = "cuda", dtype: torch.dtype = torch.float16):
    """Stage I without its text encoder (prompts come pre-embedded)."""
    from diffusers import IFPipeline

    return _load(IFPipeline, repo, device, dtype, text_encoder=None)


def load_stage2(repo: str = STAGE2, device: str = "cuda", dtype: torch.dtype = torch.float16):
    from diffusers import IFSuperResolutionPipeline

    return _load(IFSuperResolutionPipeline, repo, device, dtype, text_encoder=None)


@torch.no_grad()
def embed_prompts(prompts: list[str], repo: str = STAGE1, device: str = "cuda",
                  dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
    """{prompt: (1, 77, 4096)} T5 embeddings, computed once (the encoder is then freed)."""
    from diffusers import IFPipeline

    pipe = _load(IFPipeline, repo, device, dtype, unet=None)
    out = {}
    for p in prompts:
        emb, _ = pipe.encode_prompt(p, do_classifier_free_guidance=False, device=device)
        out[p] = emb.to("cpu")
    del pipe
    return out


class DeepFloydBackend:
    name = "deepfloyd"
    model_label = "DeepFloyd IF (stage I, 64 px; stage II, 256 px)"
    images = {"test": "photo:astronaut", "own1": "photo:chelsea", "own2": "photo:coffee",
              "web": "photo:rocket", "drawn1": "sketch:house", "drawn2": "sketch:tree"}

    def __init__(self, stage1, embeddings: dict[str, torch.Tensor], stage2=None):
        self.stage1, self.stage2 = stage1, stage2
        self.embeddings = embeddings
        sched = stage1.scheduler
        self.T = sched.config.num_train_timesteps
        self.abar = sched.alphas_cumprod  # the scheduler's own float32 table, as IFPipeline uses it
        size = stage1.unet.config.sample_size
        self.image_shape = (stage1.unet.config.in_channels, size, size)
        self.device = stage1.unet.device
        self.dtype = stage1.unet.dtype

    def describe(self, prompt: str) -> str:
        return f"T5 embedding of {prompt!r}"

    def embed(self, prompt: str) -> torch.Tensor:
        if prompt not in self.embeddings:
            raise KeyError(f"prompt {prompt!r} has no embedding: add it to prompt_embeddings.prompts in the "
                           "content's front matter")
        return self.embeddings[prompt].to(self.device, self.dtype)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 3, 64, 64); cond (B, 77, D). The UNet gives (B, 6, H, W): noise then variance."""
        try:
            out = self.stage1.unet(x.to(self.dtype), t, encoder_hidden_states=cond, return_dict=False)[0]
        except torch.cuda.OutOfMemoryError:
            raise DeepFloydError("out of GPU memory in stage I. Fix: use fewer images per batch") from None
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

    @torch.no_grad()
    def upsample(self, x: torch.Tensor, prompt: str, generator: torch.Generator) -> Optional[torch.Tensor]:
        """Stage II: (B, 3, 64, 64) -> (B, 3, 256, 256) in [-1, 1], conditioned on the prompt."""
        if self.stage2 is None:
            return None
        emb = self.embed(prompt).expand(x.shape[0], -1, -1)
        neg = self.embed("").expand(x.shape[0], -1, -1)
        return self.stage2(image=x.to(self.dtype), prompt_embeds=emb, negative_prompt_embeds=neg,
                           generator=generator, output_type="pt").images.float()
