"""The Colab notebook, headless, on the DeepFloyd stand-in; its results imported into a clean clone.

notebooks/colab.ipynb runs here as Colab runs it (papermill, a real Jupyter kernel), with the
parameter that selects the tiny stand-in of DeepFloyd IF on the CPU and a one-figure report. Its
zip is then imported into a clean clone, which renders the DeepFloyd page with ``--frozen``, no
weights and no GPU, as the Pages workflow does. The import is also fed tampered and foreign
entries, and a second copy of the good ones.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from generator.engine import keys
from generator.paths import ROOT

papermill = pytest.importorskip("papermill")

PAGE = """---
layout: project
title: DeepFloyd check
permalink: /df/
backend: deepfloyd
experiments:
  inpainting: {images: [test], masks: [[0.0, 0.5, 0.0, 0.5]], gamma: 3.0}
---

# Inpainting {#inpainting}

![Inpainting on the stand-in.](exp:inpainting/grid)
"""


def _repo_of_this_tree(dest: Path) -> Path:
    """A git repository holding this working tree as it is (what a clone of a pushed commit holds)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dest / f)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tree"], cwd=dest, check=True)
    return dest


def _run(clone: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build.py", *args], cwd=clone, capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("colab")
    src = _repo_of_this_tree(tmp / "src")
    (tmp / "content").mkdir()
    (tmp / "content" / "index.md").write_text(PAGE)
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "colab.ipynb"), str(tmp / "ran.ipynb"), kernel_name="python3", progress_bar=False,
        execution_timeout=600,   # seconds a cell may take: a build that hangs fails the test
        parameters={"REPO_URL": str(src), "WORKDIR": str(tmp / "colab"), "INSTALL": False, "STAND_IN": True,
                    "EXTRA_ARGS": ["--content", str(tmp / "content"), "--site", str(tmp / "colab-site")]})
    zip_path = tmp / "colab" / "deepfloyd-results.zip"
    assert zip_path.is_file()
    # no weights anywhere: an empty Hugging Face home, offline
    env = {**os.environ, "HF_HOME": str(tmp / "no-weights"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    return tmp, src, zip_path, env


def _clean_clone(src: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    return dest


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_the_notebook_zips_the_new_deepfloyd_results(colab):
    _, _, zip_path, _ = colab
    names = {n.split("/")[0] for n in zipfile.ZipFile(zip_path).namelist()}
    assert names == {"inpainting", "prompt_embeddings"}
    out = json.loads((zip_path.parent.parent / "ran.ipynb").read_text())
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in out["cells"] for o in c.get("outputs", []))
    assert "--import-results deepfloyd-results.zip" in text and "2 new results" in text


def test_a_clean_clone_imports_them_and_renders_the_deepfloyd_page_without_weights(colab, tmp_path):
    tmp, src, zip_path, env = colab
    clone = _clean_clone(src, tmp_path / "clone")
    done = _run(clone, "--import-results", str(zip_path), "--content", str(tmp / "content"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 imported, 0 already in the cache, 0 refused" in done.stdout
    built = _run(clone, "--frozen", "--content", str(tmp / "content"), "--site", str(tmp_path / "site"), env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Part A backend: deepfloyd" in built.stdout and "rendered from its cached results" in built.stdout
    html = (tmp_path / "site" / "df" / "index.html").read_text()
    assert "DeepFloyd IF" in html
    # importing the same zip again touches nothing
    before = _digest(clone / "cache")
    again = _run(clone, "--import-results", str(zip_path), "--content", str(tmp / "content"), env=env)
    assert again.returncode == 0 and "0 imported, 2 already in the cache" in again.stdout
    assert _digest(clone / "cache") == before
    # and computing anything new without the weights is one line before anything runs
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "index.md").write_text(PAGE.replace("gamma: 3.0", "gamma: 4.0"))
    refused = _run(clone, "--content", str(changed), "--site", str(tmp_path / "site2"), env=env)
    errors = [ln for ln in refused.stderr.splitlines() if ln.startswith("error:")]
    assert refused.returncode == 2 and len(errors) == 1 and "inpainting" in errors[0] and "Fix" in errors[0]
    assert _digest(clone / "cache") == before


def _unpacked(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(dest)
    return dest


def _entry(folder: Path, name: str) -> Path:
    return next((folder / name).iterdir())


def test_tampered_and_foreign_entries_are_refused_each_in_one_line(colab, tmp_path):
    tmp, src, zip_path, env = colab
    clone = _clean_clone(src, tmp_path / "clone")
    before = _digest(clone / "cache")
    # a file edited after the entry was made
    tampered = _unpacked(zip_path, tmp_path / "tampered")
    png = next(_entry(tampered, "inpainting").glob("*.png"))
    png.write_bytes(png.read_bytes() + b"x")
    # an entry made with other parameters (its key honestly recomputed, so only the plan can tell)
    foreign = _unpacked(zip_path, tmp_path / "foreign")
    e = _entry(foreign, "inpainting")
    man = json.loads((e / "manifest.json").read_text())
    man["ingredients"]["params"]["gamma"] = 9.0
    man["key"] = keys.key_of(man["ingredients"])
    (e / "manifest.json").write_text(json.dumps(man))
    e.rename(e.parent / man["key"][:16])
    # a manifest that names a file outside its entry
    escape = _unpacked(zip_path, tmp_path / "escape")
    e = _entry(escape, "inpainting")
    man = json.loads((e / "manifest.json").read_text())
    art = next(iter(man["artifacts"].values()))
    role, f = next(iter(art["files"].items()))
    art["files"][role] = "../../../x.png"
    art["sha256"]["../../../x.png"] = art["sha256"].pop(f)
    man["key"] = keys.key_of(man["ingredients"])
    (e / "manifest.json").write_text(json.dumps(man))
    for folder, why in ((tampered, "does not match its sha256"), (foreign, "gamma: 9.0 -> 3.0"),
                        (escape, "not a plain file name")):
        done = _run(clone, "--import-results", str(folder), "--content", str(tmp / "content"), env=env)
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
        assert done.returncode == 2 and len(errors) == 1 and "refused" in errors[0], done.stdout + done.stderr
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith("inpainting"))
        assert "refused" in line and why in line, line
        # the good entry of the same folder (the prompt embeddings) is imported, nothing else is touched
        assert "prompt_embeddings  imported" in done.stdout or "prompt_embeddings  already" in done.stdout
    assert not (clone / "cache" / "inpainting").exists() or not any(
        (d / "manifest.json").exists() and "DeepFloyd" in (d / "manifest.json").read_text()
        for d in (clone / "cache" / "inpainting").iterdir())
    assert before != _digest(clone / "cache")  # the prompt embeddings came in
