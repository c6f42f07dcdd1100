"""How fast section 15's "Try it" demo samples in headless Chromium: ten digits, Heun, 4 steps, guidance.

    python bench/browser_demo.py [--site DIR] [--reps 5] [--json]

Serves a built site (default: builds one from the cache with --frozen into a temporary folder) twice:
as GitHub Pages serves it (not cross-origin isolated, so ONNX Runtime Web runs one thread), and with
the two headers that make a page cross-origin isolated (COOP same-origin, COEP require-corp), where
the demo asks for up to four threads. Each: the demo is opened, one warm-up run, then ``reps`` timed
runs of the page's own sampler (8 network evaluations of a batch of 20). Prints the median seconds and
the CPU. Not a test: the numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import socketserver
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throughput import cpu_description  # noqa: E402
from tests.site_fixture import SubPathHandler  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
RUN = """async reps => {
  const x1 = Array.from({length: 10 * 784}, (_, i) => Math.sin(i * 12.9898) * 0.9);   // fixed noise-like input
  const r = {digits: [0,1,2,3,4,5,6,7,8,9], x1, steps: 4, solver: 'heun', gamma: 2.5};
  await window.fwdDemo.check.sample(r);
  const times = [];
  for (let k = 0; k < reps; k++) { const t = performance.now(); await window.fwdDemo.check.sample(r); times.push((performance.now() - t) / 1000); }
  return {times, isolated: self.crossOriginIsolated, threads: window.ort.env.wasm.numThreads};
}"""


class Isolated(SubPathHandler):
    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()


def measure(site: Path, handler: type, reps: int) -> dict:
    from playwright.sync_api import sync_playwright

    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/repo/cs180proj5/", wait_until="networkidle")
            page.click(".demo-open")
            page.wait_for_function("window.fwdDemo && window.fwdDemo.ready", timeout=120_000)
            out = page.evaluate(RUN, reps)
            browser.close()
    finally:
        httpd.shutdown()
    return {"median_s": round(statistics.median(out["times"]), 3), "times_s": [round(t, 3) for t in out["times"]],
            "cross_origin_isolated": out["isolated"], "threads": out["threads"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, help="a built site (default: build one from the cache, --frozen)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            from generator.engine import cli

            site = Path(tmp) / "site"
            if cli.main(["--frozen", "--site", str(site)]) != 0:
                sys.exit("the site could not be built from the cache")
        runs = {"as_on_pages": measure(site, SubPathHandler, args.reps), "isolated": measure(site, Isolated, args.reps)}
    result = {"task": "ten digits, Heun, 4 steps, guidance 2.5 (8 evaluations of a batch of 20)", **runs,
              **cpu_description(), "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
    else:
        for name, r in runs.items():
            print(f"{name:12s} {r['median_s']:.2f} s (median of {len(r['times_s'])}), {r['threads']} thread(s), "
                  f"isolated: {r['cross_origin_isolated']}")
        print(f"CPU: {result['cpu']}, {result['cores']} cores")


if __name__ == "__main__":
    main()
