"""docs/architecture.md cites only what exists: every backticked path is a file or folder of the
repository, every `module.name` is an attribute of that module, and every other code name appears in
the code (issue 27: the doc had kept names of functions that no longer existed)."""
import importlib
import re

import pytest

from generator.paths import ROOT

DOC = ROOT / "docs" / "architecture.md"
# where a short path in the doc is read from: "content.py" means generator/engine/content.py
BASES = [ROOT, ROOT / "generator", ROOT / "generator" / "engine", ROOT / "templates", ROOT / "templates" / "assets"]
NOT_IN_REPO = {"site/", "manifest.json", "node_modules/", ".fun-with-diffusion-site"}   # made by a build or npm
CODE = "\n".join(p.read_text() for p in [*(ROOT / "generator").rglob("*.py"), *(ROOT / "templates").rglob("*.*")])


def cited() -> list[str]:
    return sorted(set(re.findall(r"`([^`\n]+)`", DOC.read_text())))


def module_of(name: str):
    for package in ("generator.engine.", "generator."):
        try:
            return importlib.import_module(package + name)
        except ImportError:
            continue
    return None


@pytest.mark.parametrize("token", [t for t in cited() if re.fullmatch(r"[\w./-]+\.(py|html|js|md)(: \w+)?|[\w./-]+/", t)
                                   and t not in NOT_IN_REPO and "NAME" not in t])
def test_every_path_exists(token):
    path, _, name = token.partition(": ")
    found = [b / path for b in BASES if (b / path).exists()]
    assert found, f"docs/architecture.md cites `{token}`, which is no file or folder of the repository"
    if name:
        assert re.search(rf"^(def|class) {name}\b|^{name} = ", found[0].read_text(), re.M), token


@pytest.mark.parametrize("token", [t for t in cited() if re.fullmatch(r"[a-z_]+\.[A-Za-z_]+", t)
                                   and module_of(t.split(".")[0]) is not None and not t.endswith(".py")])
def test_every_module_attribute_exists(token):
    mod, name = token.split(".")
    assert hasattr(module_of(mod), name), f"docs/architecture.md cites `{token}`: {mod} has no {name}"


@pytest.mark.parametrize("token", [t for t in cited() if re.fullmatch(r"[A-Z][a-z]+[A-Z]\w*|[a-z]+_[a-z_]+|[A-Z_]{4,}", t)])
def test_every_code_name_is_in_the_code(token):
    experiment = (ROOT / "generator" / "experiments" / f"{token}.py").exists()
    assert experiment or re.search(rf"\b{token}\b", CODE), f"docs/architecture.md cites `{token}`, which the code never names"
