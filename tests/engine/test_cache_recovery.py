"""A killed build never costs a good entry or site, and its leftovers are cleaned up next time."""
import subprocess
import sys
import textwrap
from pathlib import Path

from generator.engine import atomic, render
from generator.engine.store import CorruptEntry, MANIFEST, manifest_problem, Store
from generator.paths import ROOT

WRITER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from generator.engine.store import Store

    store = Store(Path(sys.argv[1]))

    def save(d):
        (d / "a.json").write_text(sys.argv[3])
        return {"a": {"kind": "metrics", "files": {"main": "a.json"}}}

    if sys.argv[2] == "swap":        # die between setting the old entry aside and renaming the new one in
        real, calls = os.replace, []
        def dying_replace(a, b):
            calls.append(a)
            if len(calls) == 2:
                os._exit(9)
            real(a, b)
        os.replace = dying_replace
    elif sys.argv[2] == "encode":    # die while the artifacts are being written
        def save(d):
            (d / "a.json").write_text("half")
            os._exit(9)
    store.write("exp", "k" * 64, {"x": 1}, {"date": "now"}, save, replace=True)   # as --force does
""")


def _write(root: Path, how: str, text: str) -> int:
    return subprocess.run([sys.executable, "-c", WRITER, str(root), how, text], cwd=ROOT, timeout=120).returncode


def test_a_kill_while_swapping_keeps_the_old_entry(tmp_path):
    assert _write(tmp_path, "ok", '"old"') == 0
    assert _write(tmp_path, "swap", '"new"') == 9
    store = Store(tmp_path)
    assert store.load("exp", "k" * 64) is None            # the entry is set aside, not lost
    # the old entry is put back; the unfinished new one is removed
    assert sorted(p.name.split("-")[0] for p in store.recover()) == [".old", ".tmp"]
    entry = store.load("exp", "k" * 64)
    assert entry is not None and entry.result().json("a") == "old"
    assert not list(tmp_path.glob("exp/.*"))


def test_a_kill_while_encoding_leaves_the_entry_and_a_leftover_that_is_removed(tmp_path):
    assert _write(tmp_path, "ok", '"old"') == 0
    assert _write(tmp_path, "encode", '"new"') == 9
    assert list(tmp_path.glob("exp/.tmp-*"))
    store = Store(tmp_path)
    assert store.load("exp", "k" * 64).result().json("a") == "old"
    store.recover()
    assert not list(tmp_path.glob("exp/.*"))


def test_a_live_process_keeps_its_temporary_folder(tmp_path):
    import os

    live = tmp_path / "exp" / f".tmp-{'k' * 16}-{os.getpid()}"
    live.mkdir(parents=True)
    assert Store(tmp_path).recover() == [] and live.exists()


def test_a_site_set_aside_by_a_killed_render_comes_back(tmp_path):
    site = tmp_path / "site"
    dead = tmp_path / ".site-old-999999999"
    dead.mkdir()
    (dead / "index.html").write_text("previous")
    (tmp_path / ".site-tmp-999999999").mkdir()
    render.recover_site(site)
    assert (site / "index.html").read_text() == "previous"
    assert not list(tmp_path.glob(".site-*"))


def test_a_manifest_of_the_wrong_shape_is_a_corrupt_entry(tmp_path):
    import json

    import pytest

    store = Store(tmp_path)

    def save(d):
        (d / "a.json").write_text("1")
        return {"a": {"kind": "metrics", "files": {"main": "a.json"}}}

    entry = store.write("exp", "k" * 64, {"x": 1}, {"date": "now"}, save)
    good = json.loads((entry.path / MANIFEST).read_text())
    bad = [[1, 2, 3], {}, {"key": "k" * 64}, {**good, "artifacts": {"a": {"kind": "metrics"}}},
           {**good, "provenance": {}}, {**good, "artifacts": {"a": {**good["artifacts"]["a"], "sha256": {}}}}]
    for manifest in bad:
        (entry.path / MANIFEST).write_text(json.dumps(manifest))
        with pytest.raises(CorruptEntry):
            store.load("exp", "k" * 64)
        assert store.previous("exp") is None


def test_an_entry_computed_meanwhile_by_another_build_is_kept(tmp_path):
    """Without --force, a complete entry of the same key that appeared while this one was computed
    (another build or Ray task) stays, and this writer's copy is dropped."""
    store = Store(tmp_path)

    def save(text):
        def write(d):
            (d / "a.json").write_text(text)
            return {"a": {"kind": "metrics", "files": {"main": "a.json"}}}
        return write

    store.write("exp", "k" * 64, {"x": 1}, {"date": "1"}, save('"first"'))
    entry = store.write("exp", "k" * 64, {"x": 1}, {"date": "2"}, save('"second"'))
    assert entry.result().json("a") == "first" and store.load("exp", "k" * 64).result().json("a") == "first"
    assert not list(tmp_path.glob("exp/.*"))
    entry = store.write("exp", "k" * 64, {"x": 1}, {"date": "3"}, save('"forced"'), replace=True)
    assert store.load("exp", "k" * 64).result().json("a") == "forced"


def test_an_entry_set_aside_comes_back_even_when_its_pid_was_reused(tmp_path):
    """PIDs are reused: a leftover named after a PID that now belongs to another process (here 1,
    always alive) is still put back when no build holds the cache's lock."""
    assert _write(tmp_path, "ok", '"old"') == 0
    entry = tmp_path / "exp" / ("k" * 16)
    entry.rename(entry.parent / f".old-{'k' * 16}-1")
    store = Store(tmp_path)
    assert store.recover() == []                  # by PID alone: process 1 is alive, so it waits
    alone = store.hold_lock()
    assert alone and [p.name for p in store.recover(alone)] == [f".old-{'k' * 16}-1"]
    assert store.load("exp", "k" * 64).result().json("a") == "old"


def test_a_second_build_is_not_alone_so_a_live_leftover_stays(tmp_path):
    import os

    first, second = Store(tmp_path), Store(tmp_path)
    assert first.hold_lock() and not second.hold_lock()
    live = tmp_path / "exp" / f".tmp-{'k' * 16}-{os.getpid()}"
    live.mkdir(parents=True)
    assert second.recover(alone=False) == [] and live.exists()


def test_two_renders_swapping_one_site_at_once_both_succeed(tmp_path, monkeypatch):
    """The race two rendering processes ran into: the site this one found was moved away by the
    other before this one could set it aside, and the other's site landed in between."""
    import os

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("first")
    new = tmp_path / "new"
    new.mkdir()
    (new / "index.html").write_text("ours")
    real = os.replace

    def racing(a, b):
        if Path(a) == site and not (tmp_path / "theirs-moved").exists():   # the other moved it first ...
            real(site, tmp_path / "theirs-moved")
            (site).mkdir()                                                  # ... and put its own in place
            (site / "index.html").write_text("theirs")
            raise FileNotFoundError(a)
        return real(a, b)

    monkeypatch.setattr(os, "replace", racing)
    atomic.swap_in(new, site, tmp_path / ".site-old-1", attempts=5)
    assert (site / "index.html").read_text() == "ours"


def test_a_missing_artifact_file_and_a_broken_manifest_say_what_is_wrong(tmp_path):
    import json

    import pytest

    assert _write(tmp_path, "ok", '"old"') == 0
    store = Store(tmp_path)
    entry = tmp_path / "exp" / ("k" * 16)
    (entry / "a.json").unlink()
    with pytest.raises(CorruptEntry, match="a.json: missing"):
        store.load("exp", "k" * 64)
    assert "'artifacts' is malformed" in manifest_problem({"artifacts": 5})
    escaping = {"key": "k", "ingredients": {}, "provenance": {"date": "now"},
                "artifacts": {"a": {"kind": "image", "files": {"main": "../../../../etc/hostname"},
                                    "sha256": {"../../../../etc/hostname": "0" * 64}}}}
    assert "not a plain file name" in manifest_problem(escaping)
    (entry / "manifest.json").write_text(json.dumps({**escaping, "key": "k" * 64}))
    with pytest.raises(CorruptEntry, match="not a plain file name"):
        store.load("exp", "k" * 64)
