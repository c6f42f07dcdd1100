"""The build end to end on a tiny configuration: cache keys, frozen mode, errors, rendering."""
import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from generator.engine import cli, keys
from generator.engine.store import Entry, Store

from ..tiny_report import PAGE, TINY_SCRATCH, build, tree_digest, write_page


def test_second_build_runs_nothing_and_frozen_renders(proj, capsys):
    code, out, _ = build(proj, "--frozen", capsys=capsys)
    assert code == 0 and "computed" not in out
    assert (proj / "site" / "tiny" / "index.html").exists()


def test_frozen_on_empty_cache_names_each_missing_result(proj, capsys):
    shutil.rmtree(proj / "cache")
    code, _, err = build(proj, "--frozen", capsys=capsys)
    assert code == 2
    assert "forward_process: missing (not in cache)" in err and "train_class_ddpm: missing" in err
    assert not (proj / "cache").exists() or not any((proj / "cache").rglob("manifest.json"))


def test_explain_gives_reasons(proj, capsys):
    write_page(proj / "content", t="[250, 750]")
    code, out, _ = build(proj, "--explain", capsys=capsys)
    assert code == 0
    assert "param t: [250, 500] -> [250, 750]" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("train_class_ddpm"))
    assert "fresh" in line


def test_each_key_ingredient_changes_the_key_and_provenance_does_not(proj):
    from generator.engine import registry
    from generator.engine.plan import Environment, Options, plan

    exps = registry.discover()
    store = Store(proj / "cache")
    ov = dict(TINY_SCRATCH)

    def key(seed=180, t=(250, 500), name="forward_process"):
        nodes = plan(exps, ov | {"forward_process": {"t": list(t)}}, Environment(Options(seed=seed)), store,
                     roots=["forward_process"])
        return {n.name: n for n in nodes}[name]

    base = key()
    assert base.status == "fresh"
    assert key(t=(250, 600)).key != base.key                       # params
    assert key(seed=1).key != base.key                               # seed
    assert key(seed=1, name="train_class_ddpm").key != key(name="train_class_ddpm").key
    ing = base.ingredients
    for k, changed in [("sources", {**ing["sources"], "generator/diffusion/forward.py": "0" * 64}),
                       ("inputs", {"content/images/x.png": "1" * 64}),
                       ("upstream", {"train_class_ddpm": "2" * 64}),
                       ("backend", "deepfloyd:other")]:
        assert keys.key_of({**ing, k: changed}) != base.key, k
    assert keys.explain_change(ing, {**ing, "sources": {**ing["sources"],
                                "generator/diffusion/forward.py": "0"}}) == ["generator/diffusion/forward.py changed"]
    assert keys.explain_change(ing, {**ing, "upstream": {**ing["upstream"], "train_class_ddpm": "x"}}) == [
        "upstream train_class_ddpm changed"]
    assert keys.explain_change(ing, {**ing, "inputs": {"content/images/x.png": "y"}}) == [
        "input content/images/x.png added"]
    # provenance is stored beside the ingredients, never hashed
    man = json.loads((base.entry.path / "manifest.json").read_text())
    assert set(man["provenance"]) >= {"commit", "dirty", "device", "versions", "seconds", "date"}
    assert keys.key_of(man["ingredients"]) == base.key


def test_source_closure_follows_imports_but_not_the_renderer():
    files = keys.source_closure("generator.experiments.forward_process")
    assert "generator/diffusion/forward.py" in files and "generator/diffusion/schedule.py" in files
    assert "generator/experiments/_parta.py" in files and "generator/data/images.py" in files
    assert not any(f.endswith(("render.py", "cli.py", "cache.py")) for f in files)


def test_changed_template_reruns_no_experiment(proj, capsys):
    shutil.copytree(Path(cli.ROOT) / "templates", proj / "templates")
    layout = proj / "templates" / "project.html"
    layout.write_text(layout.read_text().replace("<footer>", "<footer data-changed>"))
    code, out, _ = build(proj, "--frozen", "--templates", str(proj / "templates"), capsys=capsys)
    assert code == 0 and "data-changed" in (proj / "site" / "tiny" / "index.html").read_text()


def test_crash_in_the_middle_of_a_write_leaves_no_entry(tmp_path):
    store = Store(tmp_path)

    def save(folder: Path) -> dict:
        (folder / "half.png").write_bytes(b"\x89PNG half")
        raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError):
        store.write("exp", "ab" * 32, {}, {"date": "now"}, save)
    assert list((tmp_path / "exp").iterdir()) == []
    assert store.load("exp", "ab" * 32) is None


def test_corrupt_entry_is_detected_reported_and_recomputed(proj, capsys):
    png = next((proj / "cache" / "forward_process").rglob("noisy.png"))
    png.write_bytes(png.read_bytes()[:-10] + b"corrupted!")
    code, _, err = build(proj, "--frozen", capsys=capsys)
    assert code == 2 and "corrupt entry" in err and "content hash mismatch" in err
    code, out, _ = build(proj, capsys=capsys)
    assert code == 0 and re.search(r"forward_process\s+computed", out)


def test_gc_removes_unreferenced_entries(proj, capsys):
    write_page(proj / "content", t="[100]")
    assert build(proj, capsys=capsys)[0] == 0
    assert len(list((proj / "cache" / "forward_process").iterdir())) == 2
    code, out, _ = build(proj, "--gc", capsys=capsys)
    assert code == 0 and "removed 1" in out
    assert len(list((proj / "cache" / "forward_process").iterdir())) == 1


def test_renderer_relative_links_math_and_hashed_assets(proj):
    html = (proj / "site" / "tiny" / "index.html").read_text()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(not u.startswith(("/", "http:", "https:")) for u in urls), urls
    assert "<math" in html and "$" not in html.split("<main")[1]
    media = [u for u in urls if "media/" in u]
    assert media and all(re.fullmatch(r"\.\./media/[0-9a-f]{16}\.\w+", u) for u in media)
    for u in urls:
        if not u.startswith(("#", "data:")):
            assert (proj / "site" / "tiny" / u.split("#")[0]).resolve().exists(), u
    assert 'alt="Noisy versions of the test image."' in html


def test_two_builds_are_byte_identical(proj, capsys):
    assert build(proj, "--frozen", capsys=capsys)[0] == 0
    first = tree_digest(proj / "site")
    shutil.rmtree(proj / "site")
    assert build(proj, "--frozen", capsys=capsys)[0] == 0
    assert tree_digest(proj / "site") == first


def override(yaml: str) -> str:
    """The tiny page with its one front-matter override replaced by ``yaml``."""
    return PAGE.format(t="[250]").replace("forward_process: {t: [250]}", yaml)


def override_value(exp: str, key: str, value: str) -> tuple[str, str]:
    """The tiny page with ``exp.key: value`` among its overrides, and where the error must point."""
    page = PAGE.format(t="[250]")
    if exp not in TINY_SCRATCH:
        return override(f"{exp}: {{{key}: {value}}}"), f"index.md:7: parameter {exp}.{key}: "
    line = f"  {exp}: {json.dumps(TINY_SCRATCH[exp])}"
    merged = line[:-1] + f", {key}: {value}}}" if key not in TINY_SCRATCH[exp] else \
        f"  {exp}: " + json.dumps({**TINY_SCRATCH[exp], key: "@"}).replace('"@"', value)
    number = page.splitlines().index(line) + 1
    return page.replace(line, merged), f"index.md:{number}: parameter {exp}.{key}: "


BAD_PAGES = {
    "malformed front matter": ("---\nlayout: project\ntitle: [unclosed\npermalink: /x/\n---\n",
                               "index.md:4: malformed front matter: expected ',' or ']', but got ':' (while parsing a "
                               "flow sequence on line 3)"),
    "unknown experiment": (PAGE.format(t="[250]").replace("exp:forward_process/noisy", "exp:nope/noisy"),
                           "index.md:18"),
    "unknown artifact": (PAGE.format(t="[250]").replace("forward_process/noisy", "forward_process/nope"),
                         "index.md:18"),
    "unknown parameter": (override("forward_process: {tt: [250]}"), "index.md:7"),
    "mistyped parameter": (PAGE.format(t="'late'"), "index.md:7"),
    "missing input file": (override("forward_process: {image: 'file:images/nope.png'}"),
                           "index.md:7"),
    "unknown image": (override("forward_process: {image: 'digit:12'}"),
                      "index.md:7: parameter forward_process.image: 'digit:12' is not an image"),
    "photo that is not a picture": (override("forward_process: {image: 'photo:lbp_frontal_face_cascade_filename'}"),
                                    "file:PATH: it scikit-image bundles no such photo"),   # the specific reason
    "unknown image role": (override("forward_process: {image: selfie}"),
                           "index.md:7: parameter forward_process.image: 'selfie' is not an image"),
    "malformed MNIST image": (override("inpainting: {images: ['mnist:x', test, own1]}"), "index.md:7: parameter inpainting.images"),
    "unknown sketch": (override("sdedit_drawn: {images: ['sketch:castle']}"), "index.md:7: parameter sdedit_drawn.images"),
    "file spec without a path": (override("sdedit: {images: ['file:']}"), "index.md:7: parameter sdedit.images"),
    "guidance that overflows": (override("cfg_sampling: {gamma: 1.0e+308}"),
                                "index.md:7: parameter cfg_sampling.gamma: 1e+308 is not between 0.0 and 100.0"),
    "negative guidance in the sweep": (override("cfg_sampling: {sweep_gammas: [0, -1]}"),
                                       "index.md:7: parameter cfg_sampling.sweep_gammas"),
    "huge guidance for anagrams": (override("anagrams: {gamma: 1.0e+300}"), "index.md:7: parameter anagrams.gamma"),
    "prompt the model cannot use": (override("sampling_from_noise: {prompt: 'a photo of a cat'}"),
        "index.md:7: experiment 'sampling_from_noise': the scratch backend cannot condition on prompt 'a photo"),
    "duplicate front-matter key": (PAGE.format(t="[250]").replace("title: Tiny report", "title: A\ntitle: B"),
                                   "index.md:4: duplicate key 'title'"),
    "duplicate section id": (PAGE.format(t="[250]") + "\n## Again {#intro}\n", "index.md:22: duplicate id 'intro' (first on line 14)"),
    "timestep beyond the schedule": (PAGE.format(t="[250, 5000]"),
                                     "index.md:7: parameter forward_process.t: [250, 5000] is not a list whose items"),
    "empty list": (PAGE.format(t="[]"), "index.md:7: parameter forward_process.t: [] is not a non-empty list"),
    "i_start beyond the schedule": (override("iterative_denoising: {i_start: 99}"), "index.md:7"),
    "negative steps": (override("sampling: {steps: [-5, 100]}"),
                       "index.md:7"),
    "nan guidance": (override("sdedit: {gamma: .nan}"),
                     "index.md:7: parameter sdedit.gamma: nan is not between 0.0 and 100.0"),
    "negative candidates": (override("anagrams: {candidates: -1}"),
                            "index.md:7"),
    "even blur kernel": (override("hybrids: {kernel_at_64: 32}"),
                         "index.md:7"),
    "mask outside the image": (override("inpainting: {masks: [[0.5, 0.2, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1]]}"),
        "index.md:7"),
    "masks and images disagree": (override("inpainting: {images: [test], masks: [[0, 0.5, 0, 0.5], [0.5, 1, 0.5, 1]]}"),
        "index.md:7: experiment 'inpainting': 1 images but 2 masks"),
    "unknown anagram view": (override("anagrams: {illusions: [[a handwritten 6, a handwritten 9, spin]]}"),
        "index.md:7: experiment 'anagrams': unknown view 'spin'"),
    "kept epoch past the training": (override("train_denoiser: {keep_epochs: [1, 9]}"),
        "index.md:7: experiment 'train_denoiser': keep_epochs (1, 9) goes past epochs = 5"),
    "one kept epoch": (override("train_time_ddpm: {keep_epochs: [20]}"),
        "index.md:7: parameter train_time_ddpm.keep_epochs: (20,) is not two epochs in order"),
    # Part B: every training and measuring value is bounded where it is declared (none of these may start a training)
    **{f"part B: {exp}.{key} = {value}": override_value(exp, key, value)
       for exp, key, value in [
           ("train_class_ddpm", "epochs", "1.0e+9"), ("train_class_ddpm", "lr", ".inf"), ("train_class_ddpm", "lr", ".nan"),
           ("train_time_ddpm", "lr", "-1"), ("train_class_ddpm", "p_uncond", "2"), ("train_class_ddpm", "p_uncond", ".nan"),
           ("train_time_ddpm", "beta_end", ".nan"), ("train_time_ddpm", "batch_size", "0"), ("train_time_ddpm", "T", "0"),
           ("train_class_ddpm", "D", "-4"), ("train_class_ddpm", "look_gamma", "1.0e+308"),
           ("train_denoiser", "sigma", ".nan"), ("train_denoiser", "epochs", "0"), ("ddpm_results", "gamma", ".nan"),
           ("ddpm_results", "time_show", "45"), ("denoiser_results", "sigmas", "[0.5, .nan]"),
           ("denoiser_results", "n_show", "0"), ("mnist_classifier", "shift_px", "-3"), ("train_denoiser", "lr", "1e1"),
           ("train_flow", "widths", "[32, -1, 64]"), ("train_improved_ddpm", "T", "1"),
           ("ablation_table", "results", "../../etc/hostname"), ("cfg_sampling", "prompt", "x" * 501),
       ]},
    "betas out of order": (override("train_time_ddpm: {beta_start: 0.5, beta_end: 0.1}"),
                           "index.md:7: experiment 'train_time_ddpm': (beta_start, beta_end) (0.5, 0.1) is not increasing"),
    "more shown than judged": (override("ddpm_results: {show_per_digit: 20}"),
                               "index.md:7: experiment 'ddpm_results': show_per_digit 20 is more than eval_per_digit 10"),
    "input that is not an image": (override("forward_process: {image: 'file:index.md'}"), "is not a readable image"),
    "input at an absolute path": (override("forward_process: {image: 'file:/etc/hostname'}"),
                                  "is not a path inside the content folder"),
    "input above the content folder": (override("forward_process: {image: 'file:../README.md'}"),
                                       "index.md:7: parameter forward_process.image"),
    "override outside experiments": (PAGE.format(t="[250]").replace("permalink: /tiny/", "permalink: /tiny/\n"
                                     "forward_process: {t: [250]}"), "index.md:5: 'forward_process' is an experiment"),
    "override that is not a mapping": (override("forward_process: 5"), "index.md:7: experiment 'forward_process' must map"),
    "missing template": (PAGE.format(t="[250]").replace("layout: project", "layout: nope"), "index.md:2"),
    "source link to a missing file": (PAGE.format(t="[250]").replace("[Back to the intro](#intro)",
                                      "See [the code](source:generator/nope.py)."),
                                      "index.md:20: source link to 'generator/nope.py', which is not a file"),
    "source link out of the repository": (PAGE.format(t="[250]").replace("[Back to the intro](#intro)",
                                          "See [it](source:../etc/passwd)."), "index.md:20: source link"),
    "repository that is not a web address": (PAGE.format(t="[250]").replace("title: Tiny report",
                                             "title: Tiny report\nrepository: github.com/me"),
                                             "index.md:4: 'repository: github.com/me' is not a repository's"),
}


@pytest.mark.parametrize("case", sorted(BAD_PAGES))
def test_bad_input_is_one_clear_line_and_changes_nothing(proj, capsys, case):
    text, where = BAD_PAGES[case]
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    write_page(proj / "content", text=text)
    code, _, err = build(proj, capsys=capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert where in lines[0] and "Fix" in lines[0], lines[0]
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


def test_cycle_in_the_upstream_graph_is_an_error(proj, capsys, monkeypatch):
    import types
    from dataclasses import dataclass

    from generator.engine import registry

    def fake(name, upstream):
        @dataclass
        class Params:
            pass

        m = types.ModuleType(f"generator.experiments.{name}")
        m.__file__ = f"{name}.py"
        m.Params, m.UPSTREAM, m.ARTIFACTS, m.run = Params, upstream, {"noisy": "image"}, None
        return registry.Experiment(name, m)

    exps = {"forward_process": fake("forward_process", ("a",)), "a": fake("a", ("b",)), "b": fake("b", ("a",))}
    monkeypatch.setattr(registry, "discover", lambda: exps)
    write_page(proj / "content", text=PAGE.format(t="[250]").split("experiments:")[0] + "---\n\n"
               "![x](exp:forward_process/noisy)\n")
    code, _, err = build(proj, capsys=capsys)
    assert code == 2 and "cycle in the upstream graph: a -> b -> a" in err


def test_only_runs_the_named_experiment_and_rejects_unknown_names(proj, capsys):
    code, _, err = build(proj, "--only", "nope", capsys=capsys)
    assert code == 2 and "unknown experiment(s) nope" in err
    code, out, _ = build(proj, "--only", "forward_process", "--force", "forward_process", capsys=capsys)
    assert code == 0 and re.search(r"forward_process\s+computed", out)
    assert not re.search(r"train_class_ddpm\s+computed", out)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_page_that_is_not_utf8_is_one_line(proj, capsys, encoding):
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    (proj / "content" / "index.md").write_bytes(PAGE.format(t="[250]").replace("Intro", "Intró").encode(encoding))
    code, _, err = build(proj, capsys=capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "not UTF-8" in lines[0] and "index.md:" in lines[0], err
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


@pytest.mark.parametrize("site", ["missing-parent/deeper/site", "a-file"])
def test_a_site_that_cannot_be_written_is_refused_before_any_work(proj, capsys, site, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    before = tree_digest(proj / "cache")
    code = cli.main(["--content", str(proj / "content"), "--cache", str(proj / "cache"), "--site",
                     str(tmp_path / site)])
    err = capsys.readouterr().err
    assert code == 2 and "--site" in err and "Fix" in err and "Traceback" not in err
    assert tree_digest(proj / "cache") == before


BAD_OPTIONS = {  # command-line values refused in one line before any work
    "threads beyond the machine": (["--threads", "100000"], "--threads"),
    "no threads": (["--threads", "0"], "--threads"),
    "seed past 2**32": (["--seed", str(2**64)], "--seed"),
    "negative seed": (["--seed", "-1"], "--seed"),
    "negative port": (["--serve", "--port", "-5"], "--port"),
    "port past 65535": (["--serve", "--port", "70000"], "--port"),
    "idx without its folder": (["--mnist", "idx"], "--mnist"),
    "an MNIST folder that is a file": (["--mnist-dir", "{file}"], "--mnist-dir"),
    "a cache that is a file": (["--cache", "{file}"], "--cache"),
    "an unknown device": (["--device", "tpu"], "--device"),
    "a bucket without credentials": (["--cache", "s3://no-such-bucket/fwd"], "--cache"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_a_bad_option_is_one_clear_line_and_changes_nothing(proj, capsys, monkeypatch, case):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")   # no credentials from anywhere, offline
    monkeypatch.setenv("AWS_CONFIG_FILE", str(proj / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(proj / "none"))
    (proj / "a-file").write_text("not a folder")
    options, where = BAD_OPTIONS[case]
    options = [o.replace("{file}", str(proj / "a-file")) for o in options]
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    args = ["--content", str(proj / "content"), "--site", str(proj / "site")]
    if "--cache" not in options:
        args += ["--cache", str(proj / "cache")]
    try:
        code = cli.main(args + options + ["--frozen"])
    finally:   # fsspec keeps filesystems per arguments: later tests must not get this credential-less one
        import fsspec

        for cls in fsspec.registry.values():
            cls.clear_instance_cache()
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {where}") and "Fix" in lines[0], lines[0]
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


def test_a_number_written_with_an_exponent_is_a_number():
    from generator import params
    from generator.engine import registry

    exp = registry.discover()["train_class_ddpm"]
    assert params.resolve(exp.params_cls, {"lr": "1e-4"}, "train_class_ddpm").lr == 1e-4
    assert params.resolve(exp.params_cls, {"lr": "2.5E-3"}, "train_class_ddpm").lr == 2.5e-3
    with pytest.raises(Exception, match="expected float, got 'fast'"):
        params.resolve(exp.params_cls, {"lr": "fast"}, "train_class_ddpm")


SITE_TARGETS = {  # --site values the build must refuse: each folder holds something that is not a site
    "the cache": lambda proj: proj / "cache",
    "the content": lambda proj: proj / "content",
    "inside the cache": lambda proj: proj / "cache" / "forward_process",
    "the project": lambda proj: proj,
    "the working directory": lambda proj: Path("."),
    "a folder of someone else's": lambda proj: proj / "notes",
    "a git checkout": lambda proj: proj / "checkout",
}


@pytest.mark.parametrize("case", sorted(SITE_TARGETS))
def test_site_never_replaces_a_folder_the_build_did_not_make(proj, capsys, monkeypatch, case):
    (proj / "notes").mkdir()
    (proj / "notes" / "todo.txt").write_text("mine")
    (proj / "checkout" / ".git").mkdir(parents=True)
    monkeypatch.chdir(proj)
    before = {d: tree_digest(proj / d) for d in ("cache", "content", "site", "notes", "checkout")}
    code = cli.main(["--frozen", "--content", str(proj / "content"), "--cache", str(proj / "cache"),
                     "--site", str(SITE_TARGETS[case](proj))])
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "--site" in lines[0] and "Fix" in lines[0], err
    assert {d: tree_digest(proj / d) for d in before} == before
    assert not list(proj.glob(".site-*"))


def test_site_replaces_an_empty_folder_and_a_site_it_wrote(proj, capsys, tmp_path):
    from generator.engine import site_guard

    (tmp_path / "empty").mkdir()
    for site in (tmp_path / "empty", proj / "site"):
        code = cli.main(["--frozen", "--content", str(proj / "content"), "--cache", str(proj / "cache"),
                         "--site", str(site)])
        assert code == 0, capsys.readouterr().err
        assert (site / site_guard.MARK).is_file() and (site / "tiny" / "index.html").is_file()


def test_two_pages_with_one_permalink_are_an_error_naming_both(proj, capsys):
    page = (proj / "content" / "index.md").read_text()
    (proj / "content" / "zz.md").write_text(page.replace("title: Tiny report", "title: A copy"))
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    code, _, err = build(proj, "--frozen", capsys=capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "zz.md:4" in lines[0] and "index.md:4" in lines[0] and "Fix" in lines[0]
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


def test_extra_prompts_for_deepfloyd_are_ignored_on_the_scratch_backend(proj, capsys):
    page = PAGE.format(t="[250]").replace("forward_process: {t: [250]}",
                                          "prompt_embeddings: {prompts: ['a photo of a cat']}")
    write_page(proj / "content", text=page)
    code, out, err = build(proj, capsys=capsys)
    assert code == 0, err
    assert "prompt_embeddings" not in out


def test_a_decompression_bomb_is_refused_before_any_work(proj, capsys, tmp_path):
    from PIL import Image

    bomb = proj / "content" / "bomb.png"
    Image.new("1", (10_000, 5_000)).save(bomb)  # 50 megapixels in a few kilobytes
    assert bomb.stat().st_size < 100_000
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    write_page(proj / "content", text=PAGE.format(t="[250]").replace(
        "forward_process: {t: [250]}", "forward_process: {image: 'file:bomb.png'}"))
    code, _, err = build(proj, capsys=capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "10000 x 5000" in lines[0] and "index.md:7" in lines[0], err
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


def test_every_default_satisfies_its_declared_constraints():
    import typing

    from generator.engine import registry
    from generator.constraints import Check

    for name, exp in registry.discover().items():
        defaults = exp.params_cls()
        for field, hint in typing.get_type_hints(exp.params_cls, include_extras=True).items():
            for check in getattr(hint, "__metadata__", ()):
                if isinstance(check, Check):
                    assert check.test(getattr(defaults, field)), (name, field, check.text)


def test_a_bug_in_an_experiment_keeps_its_traceback_and_says_so(proj, capsys, monkeypatch):
    """User errors are BuildError (one line, exit 2); anything else is a bug: traceback, exit 1."""
    from generator.experiments import forward_process

    def broken(p, ctx):
        return {"noisy": 1 / 0}

    monkeypatch.setattr(forward_process, "run", broken)
    before = tree_digest(proj / "cache")
    code, _, err = build(proj, "--force", "forward_process", capsys=capsys)
    assert code == 1, err
    assert "Traceback" in err and "ZeroDivisionError: division by zero" in err
    assert err.strip().splitlines()[-1].startswith("error: a bug in experiment forward_process, not a problem "
                                                   "with your input: ZeroDivisionError")
    assert tree_digest(proj / "cache") == before


def test_a_result_gives_back_its_parameters_typed_as_its_experiment_declared_them(tmp_path):
    """A results experiment reads a training's hyperparameters as that training's own Params, checked
    again: tuples where the manifest has JSON lists, bad values refused."""
    from generator.errors import BuildError
    from generator.experiments import train_class_ddpm, train_flow

    def result(name, params):
        return Entry(tmp_path, {"ingredients": {"name": name, "params": params}}).result()

    p = result("train_flow", {"widths": [4, 8, 8], "epochs": 3}).params(train_flow.Params)
    assert type(p) is train_flow.Params and p.widths == (4, 8, 8) and p.epochs == 3 and p.attention is True
    q = result("train_class_ddpm", TINY_SCRATCH["train_class_ddpm"]).params(train_class_ddpm.Params)
    assert type(q) is train_class_ddpm.Params and q.keep_epochs == (1, 1) and q.T == 30
    assert result("train_flow", {}).params(train_flow.Params) == train_flow.Params()
    with pytest.raises(BuildError, match="train_flow.widths"):
        result("train_flow", {"widths": "wide"}).params(train_flow.Params)


def test_every_model_is_built_from_its_weights_and_their_stored_config(proj):
    """Each training stores its network's config with its weights (as nanoGPT does), and ``models/``
    builds the network from them alone: the same weights, whatever the experiments' code says."""
    from generator.models.course_backend import course_backend
    from generator.models.improved_backend import FlowBackend, ImprovedDDPM, backend_of
    from generator.results import Result

    def result(name):
        (man,) = (proj / "cache" / name).glob("*/manifest.json")
        return Result(man.parent, json.loads(man.read_text()))

    cfg = result("train_class_ddpm").config("weights")
    assert cfg == {"network": "class", "D": 4, "kept_epochs": [1, 1], "T": 30, "beta_start": 1e-4,
                   "beta_end": 0.02}
    assert course_backend(result("train_class_ddpm"), torch.device("cpu")).T == 30
    assert isinstance(backend_of(result("train_flow"), torch.device("cpu")), FlowBackend)
    ddpm = backend_of(result("train_improved_ddpm"), torch.device("cpu"))
    assert isinstance(ddpm, ImprovedDDPM) and ddpm.T == 30
    with pytest.raises(KeyError, match="no model config"):
        result("mnist_classifier").config("weights")
    # and at run time too: building every backend imports no experiment (the old Entry.params() did)
    import subprocess
    import sys

    probe = (f"import json, sys, torch; from pathlib import Path; from generator.results import Result; "
             f"from generator.models.improved_backend import backend_of\n"
             f"for n in ('train_class_ddpm', 'train_flow', 'train_improved_ddpm'):\n"
             f"    m = next(Path({str(proj / 'cache')!r}, n).glob('*/manifest.json'))\n"
             f"    backend_of(Result(m.parent, json.loads(m.read_text())), torch.device('cpu'))\n"
             f"print(sorted(k for k in sys.modules if k.startswith('generator.experiments')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cli.ROOT, check=True,
                         timeout=120)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_result_with_nan_or_inf_is_an_error_and_is_never_cached(proj, capsys, monkeypatch):
    """An experiment whose values overflow (a huge guidance scale) fails in one line, exit 2, and the
    cache and the site stay as they were: NaN never becomes a cached image (issue 30, item 6)."""
    import torch

    from generator.experiments import forward_process

    real = forward_process.run

    def overflowing(p, ctx):
        values = real(p, ctx)
        values["noisy"].rows[0][0][0, 0, 0] = torch.inf
        return values

    monkeypatch.setattr(forward_process, "run", overflowing)
    before = tree_digest(proj / "site"), tree_digest(proj / "cache")
    code, _, err = build(proj, "--force", "forward_process", capsys=capsys)
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "experiment forward_process" in lines[0] and "noisy/rows[0][0]" in lines[0] and "Fix" in lines[0], lines[0]
    assert (tree_digest(proj / "site"), tree_digest(proj / "cache")) == before


def test_nonfinite_finds_nan_and_inf_wherever_an_experiment_puts_them():
    import torch

    from generator import media
    from generator.engine.run import nonfinite

    ok = {"m": {"fid": 3.0, "per_digit": [1.0, 0.5]}, "w": {"a": torch.ones(2)}, "n": {"steps": 4, "name": "x"}}
    assert nonfinite(ok) == ""
    assert nonfinite({"m": {"per_digit": [1.0, float("nan")]}}) == "m/per_digit[1]"
    assert nonfinite({"w": {"net.b": torch.tensor([0.0, -torch.inf])}}) == "w/net.b"
    assert nonfinite({"g": media.Grid([[torch.zeros(1, 2, 2), torch.full((1, 2, 2), torch.nan)]], [], 2)}) \
        == "g/rows[0][1]"
    assert nonfinite({"i": torch.tensor([1, 2])}) == ""   # integers are always finite


def test_every_parameter_of_every_experiment_declares_its_constraint():
    """A value without a declared check reaches a training unchecked (a NaN learning rate used to);
    every field of every experiment's Params is Annotated with at least one Check."""
    import dataclasses
    import typing

    from generator.constraints import Check
    from generator.engine import registry

    unchecked = []
    for name, exp in registry.discover().items():
        hints = typing.get_type_hints(exp.params_cls, include_extras=True)
        for f in dataclasses.fields(exp.params_cls):
            extras = typing.get_args(hints[f.name])[1:] if typing.get_origin(hints[f.name]) is typing.Annotated else ()
            if not any(isinstance(c, Check) for c in extras):
                unchecked.append(f"{name}.{f.name}")
            else:   # the default itself passes its checks
                assert all(c.test(getattr(exp.params_cls(), f.name)) for c in extras if isinstance(c, Check)), (name, f.name)
    assert not unchecked, f"parameters without a declared constraint: {unchecked}"
    assert len(BAD_PAGES) + len(BAD_OPTIONS) >= 60


def test_a_file_input_is_keyed_by_its_path_in_the_content_folder_and_its_bytes(proj, capsys, tmp_path):
    """The same report with its own image keys the same in another folder (the key held the absolute
    path before); the image is named by its path inside the content folder."""
    from PIL import Image

    keys_of = {}
    for where in (proj, tmp_path / "elsewhere" / "copy"):
        if where != proj:
            shutil.copytree(proj, where)
        (where / "content" / "images").mkdir(exist_ok=True)
        Image.new("RGB", (32, 32), (200, 30, 30)).save(where / "content" / "images" / "me.png")
        write_page(where / "content", text=PAGE.format(t="[250]").replace(
            "forward_process: {t: [250]}", "forward_process: {image: 'file:images/me.png'}"))
        assert build(where, "--only", "forward_process", capsys=capsys)[0] == 0
        (man,) = [json.loads(m.read_text()) for m in (where / "cache" / "forward_process").glob("*/manifest.json")
                  if "file:images/me.png" in json.loads(m.read_text())["ingredients"]["inputs"]]
        keys_of[where] = man["key"]
    assert len(set(keys_of.values())) == 1
