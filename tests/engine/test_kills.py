"""The kill campaign (slow: `python -m pytest -m slow tests/engine/test_kills.py`): SIGKILL a `--force` build
of the tiny report at random moments, 20 times; after each kill the next build must succeed with
every entry intact (none corrupt, none lost) and no temporary folder left, and the site must exist."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.engine.store import CorruptEntry, Store
from generator.paths import ROOT

KILLS = 20


def _start(proj: Path, *extra: str) -> subprocess.Popen:
    code = "import sys; from generator.engine import cli; sys.exit(cli.main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "--threads", "1", "--content", str(proj / "content"),
                             "--cache", str(proj / "cache"), "--site", str(proj / "site"), *extra],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _entries(proj: Path) -> dict[str, str]:
    return {p.parent.parent.name: json.loads(p.read_text())["key"]
            for p in (proj / "cache").glob("*/*/manifest.json")}


@pytest.mark.slow
def test_twenty_kills_lose_nothing(golden, tmp_path):
    import shutil

    proj = tmp_path / "p"
    shutil.copytree(golden, proj)
    before = _entries(proj)
    rng = random.Random(180)
    tally = {"kills": 0, "corrupt": 0, "lost": 0, "leftovers": 0, "broken sites": 0}
    for _ in range(KILLS):
        proc = _start(proj, "--force", "forward_process", "train_class_ddpm")
        time.sleep(rng.uniform(1.0, 12.0))  # start-up, training, encoding, rendering
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            tally["kills"] += 1
        proc.wait()
        assert _start(proj).wait() == 0  # the next build recovers and completes
        store = Store(proj / "cache")
        after = _entries(proj)
        tally["lost"] += len(set(before) - set(after))
        for name, key in after.items():
            try:
                assert store.load(name, key) is not None
            except CorruptEntry:
                tally["corrupt"] += 1
        tally["leftovers"] += len(list((proj / "cache").glob("*/.tmp-*"))) + len(list((proj / "cache").glob(
            "*/.old-*"))) + len(list(proj.glob(".site-*")))
        tally["broken sites"] += not (proj / "site" / "index.html").exists()
    print(tally)
    assert tally["kills"] >= KILLS // 2, tally
    assert tally["corrupt"] == tally["lost"] == tally["leftovers"] == tally["broken sites"] == 0, tally
