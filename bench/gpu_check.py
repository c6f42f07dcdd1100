"""The GPU check: the whole DeepFloyd build on the stand-in weights, then the Part B throughput bench.

    python bench/gpu_check.py [--device cuda] [--out DIR]

1. Writes the structural stand-in of tests/fixtures/tiny_deepfloyd.py (tiny random IF
   components in a hub-cache layout), copies the committed cache (so Part B is not
   retrained) and runs ``python build.py --backend deepfloyd --device DEVICE --weights HUB``
   into a temporary cache and site: fp16 on CUDA, exactly the code path of a real run.
2. Runs ``bench/throughput.py --device DEVICE``.

Prints the wall time of each step (and the build's summary table); with ``--out`` also writes
``gpu_check.json`` and the logs there. Meant for a machine with a GPU; on the CPU it runs the same
steps in fp32 (minutes).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], log: Path, env: dict) -> tuple[int, float]:
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    with open(log, "w") as f:
        code = subprocess.call(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env)
    seconds = time.perf_counter() - t0
    tail = log.read_text(errors="replace").replace("\r", "\n").splitlines()
    print("\n".join([ln for ln in tail if "it/s]" not in ln and "s/it]" not in ln][-40:]))
    print(f"-> exit {code} in {seconds:.1f} s\n", flush=True)
    return code, seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", type=Path, default=None, help="folder for gpu_check.json and the logs")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    results: dict = {"device": args.device}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        code, results["standin_seconds"] = run(
            [sys.executable, "-m", "tests.fixtures.tiny_deepfloyd", str(tmp / "hub")], out / "standin.log", env)
        shutil.copytree(ROOT / "cache", tmp / "cache", ignore=shutil.ignore_patterns(".work", ".tmp-*"))
        build = [sys.executable, "build.py", "--backend", "deepfloyd", "--device", args.device, "--weights",
                 str(tmp / "hub"), "--cache", str(tmp / "cache"), "--site", str(tmp / "site")]
        results["deepfloyd_build_exit"], results["deepfloyd_build_seconds"] = run(build, out / "build.log", env)
        results["deepfloyd_rebuild_exit"], results["deepfloyd_rebuild_seconds"] = run(
            build, out / "rebuild.log", env)
    results["throughput_exit"], results["throughput_seconds"] = run(
        [sys.executable, "bench/throughput.py", "--device", args.device], out / "throughput.log", env)
    (out / "gpu_check.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return 0 if all(v == 0 for k, v in results.items() if k.endswith("_exit")) else 1


if __name__ == "__main__":
    sys.exit(main())
