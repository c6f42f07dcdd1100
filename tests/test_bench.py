"""The benchmark scripts at least parse and answer --help (they run only on request, some on a GPU)."""
import py_compile
import subprocess
import sys

import pytest

from generator.paths import ROOT

BENCH = sorted((ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("script", BENCH, ids=[p.name for p in BENCH])
def test_bench_script_compiles(script):
    py_compile.compile(str(script), doraise=True)


def test_gpu_check_answers_help():
    out = subprocess.run([sys.executable, "bench/gpu_check.py", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "--device" in out.stdout
