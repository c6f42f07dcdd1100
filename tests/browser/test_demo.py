"""Section 15's "Try it" demo in Chromium: the browser's samplers against the build's own Python runs.

The build (``generator/experiments/browser_model.py``) stores four runs of the Python samplers with
their noise; here the page's JavaScript replays each with that noise, on the ONNX export, and must
land within 1e-4 per pixel of the Python result (inpainting: the known pixels exactly).
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from generator.paths import ROOT

from .pages import AXE, CHROMIUM, TRANSFERRED, open_report

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")]
TOLERANCE = 1e-4


def reference(site):
    """The browser_model entry whose model the page publishes, and its parameters' fixed runs."""
    html = (site / "cs180proj5" / "index.html").read_text()
    assert "data-runtime=" in html, ("the page has no demo runtime: install it with npm ci (package.json pins "
                                     "onnxruntime-web) before building")
    for manifest in sorted((ROOT / "cache" / "browser_model").glob("*/manifest.json")):
        m = json.loads(manifest.read_text())
        onnx = manifest.parent / m["artifacts"]["demo"]["files"]["main"]
        if f'media/{hashlib.sha256(onnx.read_bytes()).hexdigest()[:16]}.onnx' in html:
            return load_file(str(manifest.parent / m["artifacts"]["reference"]["files"]["main"])), \
                json.loads((manifest.parent / m["artifacts"]["demo"]["files"]["config"]).read_text())
    raise AssertionError("no browser_model entry in cache/ publishes the page's model")


@pytest.fixture(scope="module")
def demo(browser, server, site):
    ref, cfg = reference(site)
    ctx, page, errors = open_report(browser, server)
    page.click(".demo-open")
    page.wait_for_function("window.fwdDemo && window.fwdDemo.ready", timeout=60_000)
    yield page, ref, cfg, errors
    ctx.close()


def flat(a: np.ndarray) -> list:
    return a.reshape(-1).astype(float).tolist()


def test_flow_samples_equal_python_samplers(demo):
    page, ref, cfg, errors = demo
    for name, digits, steps, solver, gamma in (
            ("sample", list(range(10)), cfg["defaults"]["steps"], cfg["defaults"]["solver"], cfg["defaults"]["gamma"]),
            ("euler", [7, 7], 3, "euler", 4.0)):
        got = np.array(page.evaluate("r => window.fwdDemo.check.sample(r)", {
            "digits": digits, "x1": flat(ref[f"{name}.x1"]), "steps": steps, "solver": solver, "gamma": gamma}))
        want = ref[f"{name}.out"].reshape(-1)
        assert np.abs(got - want).max() <= TOLERANCE, (name, np.abs(got - want).max())
    assert errors == []


def test_sdedit_and_inpainting_equal_python(demo):
    page, ref, cfg, errors = demo
    noise = [flat(n) for n in ref["noise"]]
    e = cfg["edits"]["sdedit"]
    got = page.evaluate("r => window.fwdDemo.check.sdedit(r)", {
        "digit": e["digit"], "gamma": e["gamma"], "i_start": e["i_start"], "image": flat(ref["ring"]), "noise": noise})
    assert np.abs(np.array(got["out"]) - ref["sdedit.out"].reshape(-1)).max() <= TOLERANCE
    e = cfg["edits"]["inpaint"]
    got = page.evaluate("r => window.fwdDemo.check.inpaint(r)", {
        "digit": e["digit"], "gamma": e["gamma"], "image": flat(ref["ring"]), "mask": flat(ref["mask"]), "noise": noise})
    out, want, known = np.array(got["out"]), ref["inpaint.out"].reshape(-1), ref["mask"].reshape(-1) == 0
    assert np.abs(out - want).max() <= TOLERANCE
    assert np.array_equal(out[known].astype(np.float32), ref["ring"].reshape(-1)[known])   # kept exactly
    assert errors == []


class DemoBytes(UserWarning):
    """What opening the demo downloaded (shown in pytest's warnings summary)."""


def test_the_demo_downloads_what_it_states_and_only_when_opened(browser, server):
    """Nothing of the demo is fetched before "Try it" (the page's byte budgets stay as they were:
    test_page.py's bytes test also checks after scrolling everything); opening it downloads at most the
    size its button states."""
    ctx, page, errors = open_report(browser, server)
    before = page.evaluate(TRANSFERRED)
    label = page.inner_text(".demo-open")
    stated = float(label.split("(")[1].split(" MB")[0]) * 1e6
    page.click(".demo-open")
    page.wait_for_function("window.fwdDemo && window.fwdDemo.ready", timeout=60_000)
    page.wait_for_load_state("networkidle")
    got = page.evaluate(TRANSFERRED) - before
    import warnings

    warnings.warn(DemoBytes(f"opening the demo transferred {got / 1e6:.2f} MB; its button states {label!r}"))
    assert 0.2 * stated <= got <= 1.02 * stated, (got, label)
    assert errors == []
    ctx.close()


def test_the_controls_sample_and_edit_by_mouse_and_keyboard(demo):
    page, ref, cfg, errors = demo
    page.focus(".demo-go")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.demo-time').textContent.includes(' in ')", timeout=60_000)
    assert page.inner_text(".demo-time").startswith("10 samples in ")
    steps = 2 * cfg["defaults"]["steps"] if cfg["defaults"]["solver"] == "heun" else cfg["defaults"]["steps"]
    assert f"{steps} network evaluations" in page.inner_text(".demo-time")
    lit = "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; " \
          "for (let i = 0; i < d.length; i += 4) n += d[i] > 128; return [c.width, n]; }"
    width, bright = page.locator(".demo-view").evaluate(lit)
    assert width == 10 * 29 - 1 and bright > 500   # ten digits with ink
    # SDEdit on a drawing made with the keyboard: the pen goes down, moves five pixels, lifts
    page.select_option(".demo-controls select >> nth=0", "sdedit")
    page.focus(".demo-pad")
    page.keyboard.press("Space")
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator(".demo-pad").evaluate(lit)[1] >= 5
    page.click(".demo-go")
    page.wait_for_function("document.querySelector('.demo-time').textContent.startsWith('The edit')", timeout=60_000)
    start = cfg["defaults"]["i_start"]
    assert f"{len(cfg['timesteps']) - start} network evaluations" in page.inner_text(".demo-time")
    # inpainting without a mask says what to do; with one it runs
    page.select_option(".demo-controls select >> nth=0", "inpaint")
    page.click("text=clear")
    page.click(".demo-go")
    assert "Paint the mask first" in page.inner_text(".demo-time")
    page.click("text=mask the top half")
    page.click(".demo-go")
    page.wait_for_function("document.querySelector('.demo-time').textContent.startsWith('The edit')", timeout=60_000)
    assert errors == []


def test_where_the_demo_cannot_run_it_says_why_in_one_sentence(browser, server, site):
    ctx = browser.new_context()
    ctx.add_init_script("delete window.WebAssembly")
    page = ctx.new_page()
    page.goto(server + "cs180proj5/", wait_until="networkidle")
    page.click(".demo-open")
    page.wait_for_function("document.querySelector('.demo-status').textContent.length > 0")
    assert "cannot run WebAssembly" in page.inner_text(".demo-status")
    ctx.close()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((site / "cs180proj5" / "index.html").as_uri())
    page.click(".demo-open")
    page.wait_for_function("document.querySelector('.demo-status').textContent.length > 0")
    assert "opened from a file" in page.inner_text(".demo-status") and "http.server" in page.inner_text(".demo-status")
    ctx.close()


def test_the_open_demo_on_a_phone_fits_and_passes_axe(browser, server):
    ctx, page, errors = open_report(browser, server, viewport={"width": 390, "height": 800}, has_touch=True,
                                    is_mobile=True, color_scheme="dark")
    page.locator(".demo-open").tap()
    page.wait_for_function("window.fwdDemo && window.fwdDemo.ready", timeout=60_000)
    page.locator(".demo-go").tap()
    page.wait_for_function("document.querySelector('.demo-time').textContent.includes(' in ')", timeout=60_000)
    page.select_option(".demo-controls select >> nth=0", "sdedit")
    page.locator(".demo-pad").scroll_into_view_if_needed()
    box = page.locator(".demo-pad").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)   # a finger draws
    assert page.locator(".demo-pad").evaluate(
        "c => c.getContext('2d').getImageData(13, 13, 2, 2).data[0]") > 100
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document.querySelector('.demo')))"
                               ".violations.map(v => [v.id, v.nodes.map(n => n.target.join(' '))])")
    assert violations == [] and errors == []
    ctx.close()
