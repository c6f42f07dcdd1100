"""The no-op build: unchanged inputs answer in well under a second without importing torch;
any change to code, content, cache, site or options takes the full path."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.paths import ROOT

from ..tiny_report import build

NOOP = ("import sys, time; t0 = time.perf_counter(); from generator.engine import cli; "
        "code = cli.main(sys.argv[1:]); print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', "
        "round(time.perf_counter() - t0, 3)); sys.exit(code)")


def _noop(proj: Path) -> tuple[str, float, str]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", NOOP, "--content", str(proj / "content"), "--cache",
                          str(proj / "cache"), "--site", str(proj / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout, time.perf_counter() - t0, out.stderr


@pytest.fixture
def built(golden, tmp_path) -> Path:
    import shutil

    proj = tmp_path / "p"
    shutil.copytree(golden, proj)
    code, _, _ = build(proj)  # a full build writes the stamp for this folder
    assert code == 0 and (proj / "cache" / ".work" / "last-build.json").exists()
    return proj


def test_an_unchanged_build_is_a_no_op_without_torch(built):
    out, wall, _ = _noop(built)
    assert "nothing changed" in out and "NO-TORCH" in out, out
    inside = float(out.split()[-1])
    assert inside < 1.0, f"no-op build took {inside} s inside the process ({wall:.2f} s with start-up)"


@pytest.mark.parametrize("change", ["content", "cache artifact", "site deleted", "code"])
def test_any_change_takes_the_full_path(built, change, monkeypatch, tmp_path):
    if change == "content":
        page = built / "content" / "index.md"
        page.write_text(page.read_text() + "\nOne more sentence.\n")
    elif change == "cache artifact":
        stamp = json.loads((built / "cache" / ".work" / "last-build.json").read_text())
        artifact = next(p for p in stamp["stats"] if "/cache/forward_process/" in p and p.endswith(".png"))
        Path(artifact).write_bytes(Path(artifact).read_bytes() + b"\0")
    elif change == "site deleted":
        import shutil

        shutil.rmtree(built / "site")
    else:  # a new code file appears (the stamp lists every file under generator/)
        from generator.engine import build_stamp

        monkeypatch.setattr(build_stamp, "_files", lambda folder, real=build_stamp._files: (
            [*real(folder), tmp_path / "new.py"] if folder.name == "generator" else real(folder)))
        (tmp_path / "new.py").write_text("x = 1\n")
        from generator.engine import cli

        args = cli.parse_args(["--content", str(built / "content"), "--cache", str(built / "cache"),
                               "--site", str(built / "site")])
        assert build_stamp.check(args, ROOT) is None
        monkeypatch.undo()
        assert build_stamp.check(args, ROOT) is not None
        return
    out, _, _ = _noop(built)
    assert "nothing changed" not in out and "TORCH" in out.split()[-2], out
    assert (built / "site" / "index.html").exists()
