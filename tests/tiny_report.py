"""The tiny report that the build tests share: a page, the small models that Part A's scratch backend is
built from, and helpers to build it and to compare folders. A plain module (fixtures are in conftest.py),
so no test module imports another."""
import hashlib
import json
import re
from pathlib import Path

from generator.engine import cli

# Part A's scratch backend on tiny models: the three candidates, the classifier, the choice
TINY_SCRATCH = {
    "train_class_ddpm": {"epochs": 1, "D": 4, "T": 30, "batch_size": 4000, "keep_epochs": [1, 1]},
    "train_improved_ddpm": {"epochs": 1, "widths": [4, 8, 8], "batch_size": 4000, "T": 30},
    "train_flow": {"epochs": 1, "widths": [4, 8, 8], "batch_size": 4000},
    "mnist_classifier": {"epochs": 1},
    "part_a_model": {"eval_per_digit": 2},
}


def _yaml(names) -> str:
    return "".join(f"  {k}: {json.dumps(TINY_SCRATCH[k])}\n" for k in names).replace("{", "{{").replace("}", "}}")


# forward_process stays on line 7: error messages name it
PAGE = """---
layout: project
title: Tiny report
permalink: /tiny/
experiments:
""" + _yaml(["train_class_ddpm"]) + """  forward_process: {{t: {t}}}
""" + _yaml(list(TINY_SCRATCH)[1:]) + """---

# Intro {{#intro}}

The forward process is $x_t = \\sqrt{{\\bar\\alpha_t}} x_0 + \\sqrt{{1 - \\bar\\alpha_t}}\\, \\epsilon$.

![Noisy versions of the test image.](exp:forward_process/noisy)

[Back to the intro](#intro)
"""


def write_page(folder: Path, t="[250, 500]", text=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.md").write_text(text if text is not None else PAGE.format(t=t))
    return folder


def build(proj: Path, *extra: str, capsys=None) -> tuple[int, str, str]:
    code = cli.main(["--content", str(proj / "content"), "--cache", str(proj / "cache"), "--site",
                     str(proj / "site"), *extra])
    out, err = capsys.readouterr() if capsys else ("", "")
    return code, out, err


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    if folder.exists():
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def page(experiments: dict, figures: list[str]) -> str:
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in experiments.items())
    body = "\n\n".join(f"![{f}](exp:{f})" for f in figures)
    return f"---\nlayout: project\ntitle: Tiny\npermalink: /tiny/\nexperiments:\n{lines}---\n\n# Tiny {{#t}}\n\n{body}\n"


def floor_tables(cache) -> dict[str, dict]:
    """Every table in a cache folder that puts real digits (a floor) beside samples: {entry/name: table}."""
    found = {}
    for man_path in cache.glob("*/*/manifest.json"):
        man = json.loads(man_path.read_text())
        for art, a in man["artifacts"].items():
            if a["kind"] == "table":
                table = json.loads((man_path.parent / a["files"]["main"]).read_text())
                if any(str(r[0]).startswith("real training digits") for r in table["rows"]):
                    found[f"{man_path.parent.parent.name}/{art}"] = table
    return found


def assert_floors_at_equal_sizes(cache) -> int:
    """In every table with a floor row, the floor and every sample set have the same size (the
    Fréchet distance depends on it), and every distance carries its interval ('±')."""
    tables = floor_tables(cache)
    for name, table in tables.items():
        n = table["columns"].index("samples")
        sizes = {r[n] for r in table["rows"]}
        assert len(sizes) == 1, (name, sizes)
        for col, label in enumerate(table["columns"]):
            if "distance" in label:
                assert all("±" in str(r[col]) for r in table["rows"]), (name, label)
    return len(tables)



def tables(html: str) -> list[str]:
    """The text of every table of a page, tags dropped and spaces collapsed."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)) for t in re.findall(r"<table.*?</table>", html, re.S)]
