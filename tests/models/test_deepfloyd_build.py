"""The whole DeepFloyd build, offline, on the structural stand-in of tests/fixtures/tiny_deepfloyd.py.

`python build.py --backend deepfloyd --device cpu --weights HUB` runs every Part A experiment
through the code a real run uses (loading from a hub-cache layout, T5 embeddings, stage I with
``text_encoder=None``, stage II in section 1) and renders the real page. Part B's results are
copied from the committed cache, so only Part A and the prompt embeddings run here.
"""
import json
import re
import shutil
from pathlib import Path

import pytest

import torch

from generator.engine import cli, registry, site_guard
from generator.paths import ROOT
from generator.models import deepfloyd, prompt_sets

from ..fixtures import tiny_deepfloyd

PART_A = sorted(n for n, e in registry.discover().items() if e.uses("backend"))


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    hub = tmp_path_factory.mktemp("hf") / "hub"
    tiny_deepfloyd.build(hub)
    return hub


def _copy_cache(dest: Path) -> Path:
    shutil.copytree(ROOT / "cache", dest, ignore=shutil.ignore_patterns(".work", ".tmp-*"))
    return dest


def _args(proj: Path, hub: Path, *extra: str) -> list[str]:
    return ["--backend", "deepfloyd", "--device", "cpu", "--weights", str(hub), "--cache", str(proj / "cache"),
            "--site", str(proj / "site"), *extra]


@pytest.fixture(scope="module")
def df_build(standin, tmp_path_factory):
    """One real DeepFloyd build on the stand-in, counting T5 calls and pipeline loads."""
    from diffusers import IFPipeline, IFSuperResolutionPipeline
    from transformers import T5EncoderModel

    proj = tmp_path_factory.mktemp("df")
    _copy_cache(proj / "cache")
    calls = {"t5": 0, "loads": []}
    t5_forward = T5EncoderModel.forward

    def counting_forward(self, *a, **k):
        calls["t5"] += 1
        return t5_forward(self, *a, **k)

    def recording(cls):
        original = cls.from_pretrained.__func__

        def from_pretrained(c, folder, **kw):
            calls["loads"].append((c.__name__, "text_encoder" in kw and kw["text_encoder"] is None,
                                   "unet" in kw and kw["unet"] is None))
            return original(c, folder, **kw)
        return classmethod(from_pretrained)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(T5EncoderModel, "forward", counting_forward)
        mp.setattr(IFPipeline, "from_pretrained", recording(IFPipeline))
        mp.setattr(IFSuperResolutionPipeline, "from_pretrained", recording(IFSuperResolutionPipeline))
        code = cli.main(_args(proj, standin))
    assert code == 0
    return proj, calls


def _entry(proj: Path, name: str) -> dict:
    """The manifest of the entry of ``name`` that the DeepFloyd build wrote (newest)."""
    mans = [json.loads(p.read_text()) for p in (proj / "cache" / name).glob("*/manifest.json")]
    mans = [m for m in mans if (m["ingredients"]["backend"] or "").startswith("DeepFloyd/")
            or name == "prompt_embeddings"]
    assert mans, f"no DeepFloyd entry for {name}"
    return max(mans, key=lambda m: m["provenance"]["date"])


def test_every_part_a_figure_is_drawn_by_deepfloyd_at_its_size(df_build):
    proj, _ = df_build
    for name in PART_A:
        m = _entry(proj, name)
        assert "dtype=float32" in m["ingredients"]["backend"] and m["provenance"]["dtype"] == "float32"
        for art_name, art in m["artifacts"].items():
            for f in art["files"].values():
                assert (proj / "cache" / name / m["key"][:16] / f).is_file()
            tile = art["meta"].get("tile")
            if tile:
                want = 256 if (name, art_name) == ("sampling", "upsampled") else 64
                assert tile == [want, want], (name, art_name, tile)


def test_the_page_names_deepfloyd_and_carries_no_scratch_note(df_build):
    proj, _ = df_build
    html = next((proj / "site").glob("*/index.html")).read_text()
    assert re.search(r"Part A model: <strong>DeepFloyd IF</strong>", html)
    notes = (ROOT / "content" / "index.md").read_text().count('<div class="on-scratch"')
    assert notes > 0  # the report has scratch-only notes, and none reaches this page
    assert "on-scratch" not in html and "<strong>On the scratch model.</strong>" not in html
    assert "backend-deepfloyd" in html
    # 64 px figures are drawn at twice their size: a 3 x 2 grid of 64 px tiles is 130 px wide
    grid = _entry(proj, "sampling")["artifacts"]["samples"]["meta"]
    assert f"--w: {grid['width'] * 2}px" in html


def test_every_used_prompt_was_embedded_once_then_stage_one_ran_without_t5(df_build):
    proj, calls = df_build
    used = {""}
    experiments = registry.discover()
    from generator import params
    from generator.engine import content

    overrides, _ = content.merged_overrides(content.gather(ROOT / "content", ROOT))
    for name in PART_A:
        given = {**prompt_sets.defaults("deepfloyd").get(name, {}), **overrides.get(name, {})}
        p = params.resolve(experiments[name].params_cls, given, name)
        used |= set(getattr(p, "used_prompts", list)())
    prompts = json.loads((proj / "cache" / "prompt_embeddings" / _entry(proj, "prompt_embeddings")["key"][:16]
                          / "prompts.json").read_text())
    assert set(prompts) == used and len(prompts) == len(used)
    assert calls["t5"] == len(prompts)
    # one encoder load (unet=None), then stage I once without T5, stage II once without T5
    assert calls["loads"] == [("IFPipeline", False, True), ("IFPipeline", True, False),
                              ("IFSuperResolutionPipeline", True, False)]


def test_a_second_build_is_all_cache_hits_and_frozen_renders(df_build, standin, capsys):
    proj, _ = df_build
    capsys.readouterr()
    assert cli.main(_args(proj, standin)) == 0
    assert "nothing changed" in capsys.readouterr().out  # the no-op stamp (generator/engine/build_stamp.py)
    (proj / "cache" / ".work" / "last-build.json").unlink()
    assert cli.main(_args(proj, standin)) == 0
    out = capsys.readouterr().out
    assert " computed " not in out and re.search(r"sampling\s+cached", out)
    assert all(re.search(rf"{name}\s+cached", out) for name in PART_A + ["prompt_embeddings"])
    assert cli.main(_args(proj, standin, "--frozen")) == 0


@pytest.fixture
def small_proj(tmp_path) -> Path:
    """A one-figure report on the DeepFloyd backend, with an existing cache and site to protect."""
    (tmp_path / "content").mkdir()
    (tmp_path / "cache" / "x").mkdir(parents=True)
    (tmp_path / "cache" / "x" / "keep.txt").write_text("previous cache")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("previous site")
    (tmp_path / "site" / site_guard.MARK).write_text(site_guard.MARK_TEXT)   # a site an earlier build wrote
    return tmp_path


def _page(proj: Path, overrides: str = "") -> None:
    (proj / "content" / "index.md").write_text(
        f"---\nlayout: project\ntitle: t\npermalink: /t/\n{overrides}---\n\n![x](exp:forward_process/noisy)\n")


def _snapshot(proj: Path) -> dict:
    return {p.relative_to(proj).as_posix(): p.read_bytes() for p in proj.rglob("*")
            if p.is_file() and p.parts[-2:] != ("content", "index.md")}


def _fails_in_one_line(proj, hub, capsys, *extra) -> str:
    before = _snapshot(proj)
    code = cli.main(["--content", str(proj / "content"), *_args(proj, hub, *extra)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "Fix" in lines[0]
    assert _snapshot(proj) == before
    return lines[0]


@pytest.mark.parametrize("remove, named", [
    ("unet/diffusion_pytorch_model.safetensors", "unet/"),
    ("scheduler/scheduler_config.json", "scheduler/scheduler_config.json"),
])
def test_an_incomplete_standin_is_one_line(standin, small_proj, tmp_path, capsys, remove, named):
    hub = tmp_path / "broken"
    shutil.copytree(standin, hub)
    snap = next((hub / "models--DeepFloyd--IF-I-XL-v1.0" / "snapshots").iterdir())
    (snap / remove).unlink()
    _page(small_proj)
    line = _fails_in_one_line(small_proj, hub, capsys)
    assert "incomplete weights" in line and named in line and "IF-I-XL" in line


def test_a_prompt_list_that_is_not_strings_is_one_line(standin, small_proj, capsys):
    _page(small_proj, "experiments:\n  prompt_embeddings:\n    prompts: [1, 2]\n")
    line = _fails_in_one_line(small_proj, standin, capsys)
    assert "prompt_embeddings.prompts" in line and "index.md:7" in line


def test_deepfloyd_without_weights_is_one_line(small_proj, tmp_path, capsys):
    _page(small_proj)
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _fails_in_one_line(small_proj, empty, capsys)
    assert "not found" in line and "--backend scratch" in line


def test_auto_picks_deepfloyd_only_with_weights_and_cuda_and_says_why(standin, tmp_path):
    from generator.models import select

    on_cpu = select.choose("auto", "cpu", standin)
    assert on_cpu.name == "scratch" and "no CUDA device selected" in on_cpu.reason
    none = select.choose("auto", "cpu", tmp_path)
    assert none.name == "scratch" and "no DeepFloyd IF weights" in none.reason
    forced = select.choose("deepfloyd", "cpu", standin)
    assert forced.name == "deepfloyd" and "fp32" in forced.reason and forced.dtype == "float32"
    assert f"@{tiny_deepfloyd.REVISION}" in forced.identity


def test_deepfloyd_draws_the_course_prompts_and_scratch_the_digits(df_build):
    proj, _ = df_build
    anagrams = _entry(proj, "anagrams")["ingredients"]["params"]["illusions"]
    assert ["an oil painting of an old man", "an oil painting of people around a campfire", "flip"] in anagrams
    for name in PART_A:
        assert "handwritten" not in json.dumps(_entry(proj, name)["ingredients"]["params"]), name
    scratch = [json.loads(p.read_text()) for p in (ROOT / "cache" / "anagrams").glob("*/manifest.json")]
    assert any("a handwritten 6" in json.dumps(m["ingredients"]["params"]) for m in scratch)


def test_one_prompt_edited_reruns_only_the_experiments_that_use_it(df_build, standin, capsys, tmp_path):
    proj, _ = df_build
    shutil.copytree(ROOT / "content", tmp_path / "content")
    page = tmp_path / "content" / "index.md"
    text = page.read_text()
    head, sep, body = text.partition("\n---\n")
    page.write_text(head + "\nexperiments:\n  inpainting: {prompt: 'a watercolor of a lighthouse'}" + sep + body)
    capsys.readouterr()
    assert cli.main(_args(proj, standin, "--explain", "--content", str(tmp_path / "content"))) == 0
    rows = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.split()[:1] and
            ln.split()[0] in PART_A + ["prompt_embeddings"]}
    stale = {name for name, ln in rows.items() if " fresh " not in ln}
    assert stale == {"inpainting", "prompt_embeddings"}, rows
    # a DeepFloyd result is explained against DeepFloyd's earlier entry, not the scratch model's
    assert "param prompt" in rows["inpainting"] and "mnist_classifier" not in rows["inpainting"]


def test_the_t5_encoder_is_freed_after_embedding_even_under_offload(standin):
    import weakref

    from transformers import T5EncoderModel

    seen = []
    forward = T5EncoderModel.forward

    def recording(self, *a, **k):
        seen.append(weakref.ref(self))
        return forward(self, *a, **k)

    folder = deepfloyd.locate(deepfloyd.STAGE1, standin)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(T5EncoderModel, "forward", recording)
        for offload in (False, True):
            seen.clear()
            deepfloyd.embed_prompts(["a photo of a cat", ""], folder, "cpu", torch.float32, offload=offload)
            assert seen and all(r() is None for r in seen), f"T5 still alive after embedding (offload={offload})"


@pytest.mark.parametrize("stage", ["IF-I-XL-v1.0", "IF-II-L-v1.0"])
def test_a_missing_tokenizer_vocabulary_is_one_line_before_anything_runs(standin, small_proj, tmp_path, capsys,
                                                                        stage):
    hub = tmp_path / "broken"
    shutil.copytree(standin, hub)
    snap = next((hub / f"models--DeepFloyd--{stage}" / "snapshots").iterdir())
    (snap / "tokenizer" / "tokenizer.json").unlink()
    _page(small_proj)
    line = _fails_in_one_line(small_proj, hub, capsys)
    assert "tokenizer/tokenizer.json" in line and stage in line


def test_out_of_memory_in_stage_two_is_a_user_error_with_the_fix():
    def out_of_memory(**_):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    b = deepfloyd.DeepFloydBackend.__new__(deepfloyd.DeepFloydBackend)
    b._stage2, b._load_stage2 = out_of_memory, None
    b.embeddings, b.device, b.dtype = {"": torch.zeros(1, 4, 8), "a cat": torch.ones(1, 4, 8)}, "cpu", torch.float32
    with pytest.raises(deepfloyd.DeepFloydError, match=r"stage II.*Fix: pass --offload"):
        b.upsample(torch.zeros(1, 3, 64, 64), "a cat", torch.Generator())
    from generator.engine import run

    assert issubclass(deepfloyd.DeepFloydError, run.USER_ERRORS)   # reported in one line, not as a bug
