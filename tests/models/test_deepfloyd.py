"""The DeepFloyd path, offline: loading through the users' function, errors, and the fallback."""
import pytest
import torch

from generator.errors import BuildError
from generator.models import deepfloyd, select

from ..diffusion.tiny_if import EMBED_DIM, tiny_pipeline


def test_load_reads_what_save_pretrained_wrote(tmp_path):
    from diffusers import IFPipeline

    pipe = tiny_pipeline()
    pipe.save_pretrained(tmp_path / "IF-I-XL-v1.0")
    folder = deepfloyd.locate(deepfloyd.STAGE1, tmp_path)
    assert folder == tmp_path / "IF-I-XL-v1.0"
    loaded = deepfloyd._load(IFPipeline, folder, deepfloyd.STAGE1, "cpu", torch.float32, False, text_encoder=None)
    assert loaded.text_encoder is None
    emb = torch.randn(1, 7, EMBED_DIM)
    backend = deepfloyd.DeepFloydBackend(loaded, {"a": emb})
    assert backend.T == 1000 and backend.image_shape == (3, 16, 16)
    x = torch.randn(1, 3, 16, 16)
    pred = backend.predict(x, 500, backend.embed("a"))
    assert pred.eps.shape == x.shape and pred.var.shape == x.shape
    ref = pipe.unet(x, 500, encoder_hidden_states=emb).sample
    assert torch.allclose(torch.cat([pred.eps, pred.var], 1), ref, atol=1e-5)
    rev = deepfloyd.revision(folder)
    assert rev.startswith("local-") and rev == deepfloyd.revision(folder)
    (folder / "unet" / "config.json").write_text((folder / "unet" / "config.json").read_text() + " ")
    assert deepfloyd.revision(folder) != rev  # a changed config is other weights


def test_missing_weights_offline_is_one_line_with_a_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BuildError) as e:
        select.choose("deepfloyd", "cpu", tmp_path)
    msg = str(e.value)
    assert "\n" not in msg and "not found" in msg and "Fix" in msg and "offline" in msg


def test_gated_repo_error_says_how_to_get_access(monkeypatch):
    from unittest.mock import Mock

    from diffusers import IFPipeline
    from huggingface_hub.errors import GatedRepoError

    response = Mock(status_code=403, headers={}, request=Mock(url="https://huggingface.co/api/models/x"))

    def refuse(*a, **k):
        raise GatedRepoError("403 Client Error: access to model DeepFloyd/IF-I-XL-v1.0 is restricted",
                             response=response)

    monkeypatch.setattr(IFPipeline, "download", refuse)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_do_not_print")
    with pytest.raises(deepfloyd.DeepFloydError) as e:
        deepfloyd.download(deepfloyd.STAGE1, torch.float16)
    assert "licence" in str(e.value) and "hf_secret" not in str(e.value)


def test_download_takes_only_the_used_parts_in_fp16(monkeypatch, tmp_path):
    from diffusers import IFPipeline, IFSuperResolutionPipeline

    seen = {}

    def record(cls):
        def download(repo, **kw):
            seen[repo] = kw
            return str(tmp_path)
        return download

    monkeypatch.setattr(IFPipeline, "download", record(IFPipeline))
    monkeypatch.setattr(IFSuperResolutionPipeline, "download", record(IFSuperResolutionPipeline))
    deepfloyd.download(deepfloyd.STAGE1, torch.float16)
    deepfloyd.download(deepfloyd.STAGE2, torch.float16)
    for repo, kw in seen.items():
        assert kw["variant"] == "fp16"
        assert kw["safety_checker"] is None and kw["watermarker"] is None and kw["feature_extractor"] is None
    assert seen[deepfloyd.STAGE2]["text_encoder"] is None and "text_encoder" not in seen[deepfloyd.STAGE1]


@pytest.mark.parametrize("device, message", [("banana", "unknown device"), ("cuda:x", "unknown device"),
                                             ("cuda", "no CUDA GPU")])
def test_device_is_checked_once_before_anything_runs(device, message):
    from generator.engine.cli import check_device

    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(BuildError, match=message) as e:
        check_device(device)
    assert e.value.where == "--device" and "Fix" in str(e.value)
    check_device("cpu")


def test_backend_deepfloyd_without_weights_fails_fast_and_auto_falls_back(tmp_path):
    with pytest.raises(BuildError) as e:
        select.choose("deepfloyd", "cpu", tmp_path)
    assert "--backend scratch" in str(e.value)
    choice = select.choose("auto", "cpu", tmp_path)
    assert choice.name == "scratch" and "DeepFloyd" in choice.reason
    assert choice.upstream == select.SCRATCH_UPSTREAM and "part_a_model" in choice.upstream


def test_scratch_prompt_mapping():
    from generator.models.scratch_backend import prompt_digit

    assert prompt_digit("a handwritten 7") == 7 and prompt_digit("seven") == 7
    assert prompt_digit("") is None and prompt_digit("a high quality photo") is None
    assert prompt_digit("a rocket ship") == 1
    with pytest.raises(ValueError, match="cannot condition"):
        prompt_digit("a photo of a cat")
