"""Section 15's demo export: the ONNX file computes the network, its weights are fp16 only where exact,
the runtime is found or its absence explained, and the page says so."""
import json
from pathlib import Path

import onnx
import torch

from generator.engine import browser_runtime, render
from generator.experiments.browser_model import ring, top_half
from generator.models.improved_unet import ImprovedUNet
from generator.models.onnx_export import max_difference, to_onnx


def tiny_unet() -> torch.nn.Module:
    torch.manual_seed(0)
    model = ImprovedUNet((8, 16, 16)).eval()
    with torch.no_grad():   # the build's weights are fp16 values (cached as fp16); one tensor is not
        for p in model.parameters():
            p.copy_(torch.randn_like(p).mul(0.2).half().float())
        model.conv_in.bias.add_(1e-5)   # not representable in fp16: must stay fp32
    return model


def test_export_computes_the_network_at_any_batch_with_fp16_weights_where_exact():
    model = tiny_unet()
    x, s, c = torch.randn(2, 1, 28, 28), torch.rand(2, 1), torch.eye(10)[:2]
    data = to_onnx(model, (x, s, c), ["x", "s", "c"], "v")
    g = onnx.load_model_from_string(data).graph
    kinds = {i.name: i.data_type for i in g.initializer}
    assert sum(t == onnx.TensorProto.FLOAT16 for t in kinds.values()) > 20
    assert any(t == onnx.TensorProto.FLOAT for t in kinds.values())   # the inexact bias, kept as it was
    batch5 = {"x": torch.randn(5, 1, 28, 28), "s": torch.rand(5, 1), "c": torch.zeros(5, 10)}
    assert max_difference(data, model, batch5) <= 1e-5


def test_the_drawn_ring_and_the_mask():
    r, m = ring(), top_half()
    assert r.shape == m.shape == (1, 1, 28, 28)
    assert r.min() == -1 and r.max() == 1 and (r > 0).sum() > 60   # ink on a black background
    assert m[..., :14, :].eq(1).all() and m[..., 14:, :].eq(0).all()


def test_the_runtime_is_found_only_where_the_pinned_version_is_installed(tmp_path: Path):
    files, why = browser_runtime.find(tmp_path)
    assert files is None and "does not pin" in why
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"onnxruntime-web": "1.30.0"}}))
    files, why = browser_runtime.find(tmp_path)
    assert files is None and why.endswith("Fix: run npm ci")
    home = tmp_path / "node_modules" / "onnxruntime-web"
    (home / "dist").mkdir(parents=True)
    (home / "package.json").write_text(json.dumps({"version": "1.29.0"}))
    assert "1.29.0 is installed" in browser_runtime.find(tmp_path)[1]
    (home / "package.json").write_text(json.dumps({"version": "1.30.0"}))
    assert "lacks" in browser_runtime.find(tmp_path)[1]
    for name in browser_runtime.FILES.values():
        (home / "dist" / name).write_bytes(b"x")
    files, why = browser_runtime.find(tmp_path)
    assert why == "" and set(files) == {"js", "mjs", "wasm"}


def test_without_the_runtime_the_page_says_the_demo_is_off_and_the_build_says_why(monkeypatch):
    monkeypatch.setattr(browser_runtime, "find", lambda root: (None, "onnxruntime-web 1.30.0 is not installed. "
                                                                     "Fix: run npm ci"))
    r = render.Renderer(render.ROOT / "templates")
    extra = r.demo_runtime("../", 2_000_000)
    assert extra == {"runtime": None} and r.notes == ["the page's in-browser demo is off: onnxruntime-web 1.30.0 is "
                                                      "not installed. Fix: run npm ci"]
    macros = r.template("figures.html", "test").module
    fig = type("Fig", (), {"number": 3, "caption": "The demo."})()
    html = str(macros.figure(fig=fig, kind="demo", meta={"parameters": 10, "max_difference": 1e-6, "best": "Heun"},
                             urls={"main": "m.onnx", "config": "c.json"}, data=None, extra=extra))
    assert "the demo is off" in html and "demo-open" not in html and "data-runtime" not in html
