"""The DeepFloyd path, offline: loading through the users' function, errors, and the fallback."""
import pytest
import torch

from generator.errors import BuildError
from generator.models import deepfloyd, select

from ..diffusion.tiny_if import EMBED_DIM, tiny_pipeline


def test_load_stage1_reads_what_save_pretrained_wrote(tmp_path):
    pipe = tiny_pipeline()
    pipe.save_pretrained(tmp_path / "if-tiny")
    loaded = deepfloyd.load_stage1(str(tmp_path / "if-tiny"), device="cpu", dtype=torch.float32)
    assert loaded.text_encoder is None
    emb = torch.randn(1, 7, EMBED_DIM)
    backend = deepfloyd.DeepFloydBackend(loaded, {"a": emb})
    assert backend.T == 1000 and backend.image_shape == (3, 16, 16)
    x = torch.randn(1, 3, 16, 16)
    pred = backend.predict(x, 500, backend.embed("a"))
    assert pred.eps.shape == x.shape and pred.var.shape == x.shape
    ref = pipe.unet(x, 500, encoder_hidden_states=emb).sample
    assert torch.allclose(torch.cat([pred.eps, pred.var], 1), ref, atol=1e-5)
    assert deepfloyd.local_revision(str(tmp_path / "if-tiny")).startswith("local:")


def test_missing_weights_offline_is_one_line_with_a_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(deepfloyd.DeepFloydError) as e:
        deepfloyd.load_stage1(deepfloyd.STAGE1, device="cpu", dtype=torch.float32)
    msg = str(e.value)
    assert "\n" not in msg and "not in the local cache" in msg and "Fix" in msg


def test_gated_repo_error_says_how_to_get_access(monkeypatch):
    from diffusers import IFPipeline
    from huggingface_hub.errors import GatedRepoError

    from unittest.mock import Mock

    response = Mock(status_code=403, headers={}, request=Mock(url="https://huggingface.co/api/models/x"))

    def refuse(*a, **k):
        raise GatedRepoError("403 Client Error: access to model DeepFloyd/IF-I-XL-v1.0 is restricted",
                             response=response)

    monkeypatch.setattr(IFPipeline, "from_pretrained", refuse)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_do_not_print")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with pytest.raises(deepfloyd.DeepFloydError) as e:
        deepfloyd.load_stage1(deepfloyd.STAGE1, device="cpu", dtype=torch.float32)
    assert "licence" in str(e.value) and "hf_secret" not in str(e.value)


def test_no_cuda_fails_fast():
    with pytest.raises(deepfloyd.DeepFloydError, match="CUDA"):
        deepfloyd.require_cuda("cpu")


def test_backend_deepfloyd_without_weights_fails_fast_and_auto_falls_back():
    with pytest.raises(BuildError) as e:
        select.choose("deepfloyd", "cpu")
    assert "--backend scratch" in str(e.value)
    choice = select.choose("auto", "cpu")
    assert choice.name == "scratch" and "DeepFloyd" in choice.reason
    assert choice.upstream == ("train_class_ddpm",)


def test_scratch_prompt_mapping():
    from generator.models.scratch_backend import prompt_digit

    assert prompt_digit("a handwritten 7") == 7 and prompt_digit("seven") == 7
    assert prompt_digit("") is None and prompt_digit("a high quality photo") is None
    assert prompt_digit("a rocket ship") == 1
    with pytest.raises(ValueError, match="cannot condition"):
        prompt_digit("a photo of a cat")
