"""Markdown + Jinja2 -> site/. Nothing here runs an experiment.

Every URL is relative (the site works under /repo/ and from file://), artifacts
are copied under content-hashed names, math becomes MathML on the server (no
CDN), and the new site is written to a temporary folder that replaces site/
only when complete, so a failed build leaves the previous site intact.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2
import markdown
import markdown.inlinepatterns
import markdown.preprocessors
import markdown.treeprocessors
from latex2mathml.converter import convert as latex_to_mathml
from PIL import Image

from ..errors import BuildError
from .cache import settle_leftover, swap_in
from . import site_guard
from .content import FIGURE, Page, page_output

INLINE_MATH = r"(?<![\\$])\$(?P<tex>[^$\n]+?)\$"
BLOCK_MATH = re.compile(r"\$\$(?P<tex>.+?)\$\$", re.S)   # anywhere, as before the extension


class Maths(markdown.Extension):
    """TeX to MathML on the server (no CDN): ``$$...$$`` blocks (a preprocessor, before Markdown sees
    the lines) and ``$...$`` inline (an inline pattern, below code spans so `$x$` stays code). The
    MathML goes into Markdown's raw-HTML stash, so emphasis rules never touch TeX's _ and *."""

    def extendMarkdown(self, md):
        md.preprocessors.register(_BlockMath(md), "block_math", 28)
        md.inlinePatterns.register(_InlineMath(INLINE_MATH, md), "inline_math", 185)


class _BlockMath(markdown.preprocessors.Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        def stash(m: re.Match) -> str:
            html = f'<div class="math-block">{latex_to_mathml(m["tex"].strip(), display="block")}</div>'
            return f"\n\n{self.md.htmlStash.store(html)}\n\n"

        return BLOCK_MATH.sub(stash, "\n".join(lines)).split("\n")


class _InlineMath(markdown.inlinepatterns.InlineProcessor):
    def handleMatch(self, m: re.Match, data: str):
        return self.md.htmlStash.store(latex_to_mathml(m["tex"].strip(), display="inline")), m.start(0), m.end(0)


class Figures(markdown.Extension):
    """Each figure line ``![caption](exp:NAME/ARTIFACT)`` (checked and numbered while gathering,
    ``content.py``) becomes the figure's HTML, drawn by ``draw(i)``. Stashed as raw HTML alone in
    its paragraph, so Markdown puts the block-level <figure> in place of the paragraph."""

    def __init__(self, draw):
        super().__init__()
        self.draw = draw

    def extendMarkdown(self, md):
        md.preprocessors.register(_FigureLines(md, self.draw), "figures", 29)


class _FigureLines(markdown.preprocessors.Preprocessor):
    def __init__(self, md, draw):
        super().__init__(md)
        self.draw = draw

    def run(self, lines: list[str]) -> list[str]:
        out, n = [], 0
        for line in lines:
            if FIGURE.match(line):
                out += ["", self.md.htmlStash.store(self.draw(n)), ""]
                n += 1
            else:
                out.append(line)
        return out


class BackendNotes(markdown.Extension):
    """Keeps prose written for one Part A model only on that model's page: a block
    ``<div class="on-scratch" markdown="1">`` is dropped unless the backend is ``scratch``
    (so a DeepFloyd page carries no scratch-model note, not even hidden)."""

    def __init__(self, backend: str):
        super().__init__()
        self.backend = backend

    def extendMarkdown(self, md):
        md.treeprocessors.register(_DropOtherBackends(md, self.backend), "backend_notes", 0)


class _DropOtherBackends(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md, backend: str):
        super().__init__(md)
        self.backend = backend

    def run(self, root):
        for parent in list(root.iter()):
            for child in list(parent):
                classes = (child.get("class") or "").split()
                if any(c.startswith("on-") and c != f"on-{self.backend}" for c in classes):
                    parent.remove(child)


def relative_root(out: PurePosixPath) -> str:
    depth = len(out.parts) - 1
    return "../" * depth if depth else "./"


def column_labels(labels: list[str]) -> list[str]:
    """Column labels as the page shows them, so that they fit their columns without breaking words:
    where every label is one shared word and a number ("sample 1" ... "sample 10") only the numbers
    are shown (the full label is the span's title), and a parenthesis goes on a line of its own
    ("i_start = 5" / "(t = 840)"; the page keeps newlines)."""
    words = [lab.split(" ", 1) for lab in labels]
    shared = (len(labels) >= 4 and all(len(w) == 2 and w[1].isdigit() for w in words)
              and len({w[0] for w in words}) == 1)
    shown = [w[1] for w in words] if shared else list(labels)
    return [lab.replace(" (", "\n(") for lab in shown]


def metric_text(value, key: str = "") -> str:
    """One value of a ``metrics`` artifact as table text: 1,996,417; 0.963; a long series
    summarised (a ``*seconds`` series as its total and median, others as first -> last)."""
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        numbers = [v for v in value if isinstance(v, (int, float))]
        if key.endswith("seconds") and numbers:
            median = sorted(numbers)[len(numbers) // 2]
            return f"{sum(numbers):,.0f} s in all, {median:.1f} s each (median of {len(numbers)})"
        if len(value) > 12 and len(numbers) == len(value):
            return f"{len(value):,} values, {numbers[0]:.3g} first, {numbers[-1]:.3g} last"
        return ", ".join(metric_text(v, key) for v in value)
    return str(value)


@dataclass
class Asset:
    """An artifact file published under a content-hashed name."""

    source: Path
    url: str  # relative to the site root: media/<hash>.<ext>

    def write(self, dest: Path) -> None:
        if dest.suffix != self.source.suffix:   # a PNG published as WebP (Renderer.publish)
            with Image.open(self.source) as im:
                im.save(dest, format="WEBP", **WEBP_FROM_PNG)
        else:
            shutil.copyfile(self.source, dest)


# PNG artifacts are published as lossless WebP: the very same pixels (``exact`` keeps the colour under
# the grids' transparent gaps; tests/engine/test_site.py decodes both), 44 % fewer bytes (the report's
# 49 PNGs: 1.03 -> 0.58 MB) for under a second of encoding per build. The cache keeps the PNGs.
WEBP_FROM_PNG = {"lossless": True, "quality": 50, "method": 4, "exact": True}


class Renderer:
    def __init__(self, templates: Path):
        self.templates = templates
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)), autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters["metric_text"] = metric_text
        self.env.filters["column_labels"] = column_labels
        self.assets: dict[str, Asset] = {}

    def template(self, name: str, where: str):
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound:
            raise BuildError(f"template '{name}' not found in {self.templates}. Fix: add it, or change the "
                             "page's 'layout'", where) from None

    def publish(self, path: Path, digest: str) -> str:
        url = f"media/{digest[:16]}{'.webp' if path.suffix == '.png' else path.suffix}"
        self.assets[url] = Asset(path, url)
        return url

    def figure_html(self, fig, entry, root: str, macros) -> str:
        art = entry.artifact(fig.artifact)
        urls = {role: root + self.publish(entry.path / f, art["sha256"][f]) for role, f in art["files"].items()}
        data = None
        if art["kind"] in ("table", "metrics"):
            data = json.loads((entry.path / art["files"]["main"]).read_text())
        return macros.figure(fig=fig, kind=art["kind"], meta=art["meta"], urls=urls, data=data)

    def render_page(self, page: Page, entries: dict, context: dict) -> tuple[PurePosixPath, str]:
        out = page_output(str(page.meta["permalink"]))
        root = relative_root(out)
        layout = self.template(f"{page.meta['layout']}.html", f"{page.rel}:2 (layout)")
        macros = self.template("figures.html", page.rel).module

        def draw(i: int) -> str:
            fig = page.figures[i]
            return self.figure_html(fig, entries[fig.experiment], root, macros)

        extensions = ["attr_list", "tables", "md_in_html", "fenced_code", "sane_lists", Maths(), Figures(draw),
                      BackendNotes(context["build"]["backend"])]
        body = markdown.markdown("\n".join(page.body_lines), extensions=extensions, output_format="html")
        html_text = layout.render(page=page.meta, content=body, root=root, **context)
        return out, html_text

    def render_template(self, name: str, out: str, **context) -> tuple[PurePosixPath, str]:
        p = PurePosixPath(out)
        return p, self.template(name, name).render(root=relative_root(p), **context)


def write_site(site_dir: Path, files: dict[PurePosixPath, str], assets: dict[str, Asset], static: Path) -> None:
    """Write everything to a sibling temporary folder, then swap it in for site/."""
    recover_site(site_dir)
    tmp = site_dir.parent / f".site-tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for asset in assets.values():
            dest = tmp / asset.url
            dest.parent.mkdir(parents=True, exist_ok=True)
            asset.write(dest)
        shutil.copytree(static, tmp / "assets")
        (tmp / ".nojekyll").write_text("")
        (tmp / site_guard.MARK).write_text(site_guard.MARK_TEXT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, site_dir, site_dir.parent / f".site-old-{os.getpid()}", attempts=5)


def recover_site(site_dir: Path) -> None:
    """Before writing a site: put back a site set aside by a killed build whose new site never
    arrived, and remove the temporary folders of processes that are gone."""
    for d in sorted(site_dir.parent.glob(".site-old-*")) + sorted(site_dir.parent.glob(".site-tmp-*")):
        settle_leftover(d, d.name.rsplit("-", 1)[1], site_dir if d.name.startswith(".site-old-") else None)
