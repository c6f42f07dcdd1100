"""ONNX Runtime Web, the runtime of the page's in-browser demo, from npm (never from a CDN).

``package.json`` pins it; ``npm ci`` puts it in ``node_modules/``. The build publishes its plain
WebAssembly build (three files: the loader, its module, the SIMD+threads binary) under content-hashed
names like every other file of the site. Where it is absent (a machine without npm, the offline quick
start) the page renders without the demo and says so in one line.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

PACKAGE = "onnxruntime-web"
FILES = {"js": "ort.wasm.min.js", "mjs": "ort-wasm-simd-threaded.mjs", "wasm": "ort-wasm-simd-threaded.wasm"}


def find(root: Path) -> tuple[Optional[dict[str, Path]], str]:
    """(role -> file, "") where the pinned runtime is installed under ``root``, else (None, why)."""
    try:
        pinned = json.loads((root / "package.json").read_text())["dependencies"][PACKAGE]
    except (OSError, ValueError, KeyError):
        return None, f"package.json does not pin {PACKAGE}"
    home = root / "node_modules" / PACKAGE
    try:
        installed = json.loads((home / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None, f"{PACKAGE} {pinned} is not installed. Fix: run npm ci"
    if installed != pinned:
        return None, f"{PACKAGE} {installed} is installed, package.json pins {pinned}. Fix: run npm ci"
    files = {role: home / "dist" / name for role, name in FILES.items()}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        return None, f"{PACKAGE} lacks {', '.join(missing)}. Fix: run npm ci"
    return files, ""
