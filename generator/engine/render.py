"""Markdown + Jinja2 -> site/. Nothing here runs an experiment.

Every URL is relative (the site works under /repo/ and from file://), artifacts
are copied under content-hashed names, math becomes MathML on the server (no
CDN), and the new site is written to a temporary folder that replaces site/
only when complete, so a failed build leaves the previous site intact.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional

import jinja2
import markdown
import markupsafe
import markdown.inlinepatterns
import markdown.preprocessors
import markdown.treeprocessors
from latex2mathml.converter import convert as latex_to_mathml
from PIL import Image

from ..errors import BuildError
from ..paths import ROOT
from .atomic import settle_leftover, swap_in
from .keys import sha256_file
from . import animation, browser_runtime, estimate, site_guard, values
from .content import FIGURE, SOURCE_LINK, Page, page_output

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


class VariantNotes(markdown.Extension):
    """Keeps prose written for one page variant only on that variant's page: a block
    ``<div class="on-VARIANT" markdown="1">`` is dropped unless the build shows VARIANT (so the page
    of one model carries no note written for another, not even hidden)."""

    def __init__(self, variant: Optional[str]):
        super().__init__()
        self.variant = variant

    def extendMarkdown(self, md):
        md.treeprocessors.register(_DropOtherVariants(md, self.variant), "variant_notes", 0)


class _DropOtherVariants(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md, variant: Optional[str]):
        super().__init__(md)
        self.variant = variant

    def run(self, root):
        for parent in list(root.iter()):
            for child in list(parent):
                classes = (child.get("class") or "").split()
                if any(c.startswith("on-") and c != f"on-{self.variant}" for c in classes):
                    parent.remove(child)


def source_base(meta: dict) -> Optional[str]:
    """Where links to the repository's source point: on GitHub Actions the repository and commit
    being built (a fork links to itself), elsewhere the front matter's ``repository:`` at its default
    branch; None where neither is known (the words stay, unlinked)."""
    env = os.environ
    if env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/blob/{env.get('GITHUB_SHA') or 'HEAD'}/"
    url = meta.get("repository")   # checked by content.read_page
    return f"{str(url).rstrip('/')}/blob/HEAD/" if url else None


def with_source_links(lines: list[str], base: Optional[str], root: Path) -> list[str]:
    """[words](source:path) -> a link to the file (or folder) at ``base``, or the plain words where base
    is None."""
    def link(m: re.Match) -> str:
        if not base:
            return m["text"]
        repo, _, rev = base.rpartition("/blob/")
        kind = "tree" if (root / m["path"]).is_dir() else "blob"   # GitHub's word for a folder
        return f"[{m['text']}]({repo}/{kind}/{rev}{m['path']})"
    return [SOURCE_LINK.sub(link, line) for line in lines]


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


SUBSCRIPTED = re.compile(r"\b([A-Za-z])_([A-Za-z0-9]+)\b|\b([A-Za-z])(0)\b")
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def maths_label(text) -> markupsafe.Markup:
    """A label as maths is written: 'x_t' -> x with an italic subscript t, 'i_start' -> i with the
    subscript 'start', 'x0 estimate' -> x with subscript 0 (HTML, escaped; the cache keeps plain text)."""
    def sub(m: re.Match) -> str:
        base, index = (m[1], m[2]) if m[1] else (m[3], m[4])
        index = f"<i>{index}</i>" if len(index) == 1 and index.isalpha() else index
        return f"<i>{base}</i><sub>{index}</sub>"
    return markupsafe.Markup(SUBSCRIPTED.sub(sub, str(markupsafe.escape(text))))


NAMED_VALUE = re.compile(r"^(?P<lead>[^=()]+ = )(?P<value>[^(]+?)(?: \((?P<aside>[^)]*)\))?$")


def column_label_html(labels: list[str]) -> list[markupsafe.Markup]:
    """Column labels as HTML: maths set as maths, and where four or more read 'NAME = VALUE (ASIDE)'
    ('i_start = 5 (t = 840)'), the name and the aside in spans that a phone hides, the name after the
    first column ('i_start = 1', '3', '5', ...; the full label is each label's title)."""
    shown = column_labels(labels)
    named = [NAMED_VALUE.match(lab) for lab in labels]
    if sum(m is not None and m["aside"] is not None for m in named) < 4:   # short labels fit as they are
        return [maths_label(s) for s in shown]
    out, first = [], True
    for s, m in zip(shown, named):
        if m is None:
            out.append(maths_label(s))
            continue
        html = (f'<span class="lead{"" if first else " repeat"}">{maths_label(m["lead"])}</span>'
                f'{maths_label(m["value"])}')
        if m["aside"]:
            html += f'<span class="aside">\n({maths_label(m["aside"])})</span>'
        out.append(markupsafe.Markup(html))
        first = False
    return out


def label_words(text) -> str:
    """The same label as plain words, for titles and accessible names: 'i_start = 5' -> 'i start = 5'."""
    return SUBSCRIPTED.sub(lambda m: f"{m[1]} {m[2]}" if m[1] else f"{m[3]} {m[4]}", str(text))


def number_text(value) -> str:
    """A number as readers write it: 2,760 (not 2.76e+03), 0.963, 1.2 × 10⁻⁵; integers with commas."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0 or abs(value) >= 1e-3:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{float(mantissa):.3g} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def metric_text(value, key: str = "") -> str:
    """One value of a ``metrics`` artifact as table text: 1,996,417; 0.963; a long series
    summarised (a ``*seconds`` series as its total and median, others as first -> last)."""
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        numbers = [v for v in value if isinstance(v, (int, float))]
        if key.endswith("seconds") and numbers:
            median = sorted(numbers)[len(numbers) // 2]
            return f"{sum(numbers):,.0f} s in all, {median:.1f} s each (median of {len(numbers)})"
        if len(value) > 12 and len(numbers) == len(value):
            return f"{len(value):,} values, {number_text(numbers[0])} first, {number_text(numbers[-1])} last"
        return ", ".join(metric_text(v, key) for v in value)
    return str(value)


@dataclass
class Asset:
    """An artifact file published under a content-hashed name, or bytes made from one at render time
    (``data``: a trajectory's GIF and still frame)."""

    source: Path | None
    url: str  # relative to the site root: media/<hash>.<ext>
    data: bytes | None = None

    def write(self, dest: Path) -> None:
        if self.data is not None:
            dest.write_bytes(self.data)
        elif self.source is None:
            raise ValueError(f"asset {self.url} has neither a source nor data")
        elif dest.suffix != self.source.suffix:   # a PNG published as WebP (Renderer.publish)
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
        self.env.filters["column_label_html"] = column_label_html
        self.env.filters["maths_label"] = maths_label
        self.env.filters["label_words"] = label_words
        self.env.filters["number_text"] = number_text
        self.env.filters["duration"] = estimate.duration
        self.assets: dict[str, Asset] = {}
        self.notes: list[str] = []   # printed by the build: what the page lacks and how to fix it

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

    def publish_bytes(self, data: bytes, suffix: str) -> str:
        url = f"media/{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
        self.assets[url] = Asset(None, url, data)
        return url

    def figure_html(self, fig, entry, root: str, macros) -> str:
        art = entry.artifact(fig.artifact)
        data, extra = None, {}
        if art["kind"] in ("table", "metrics"):   # written into the page; the JSON itself is not published
            data = json.loads((entry.path / art["files"]["main"]).read_text())
            urls = {}
        else:
            urls = {role: root + self.publish(entry.path / f, art["sha256"][f]) for role, f in art["files"].items()}
        if art["kind"] == "trajectory":   # what a reader takes away (generator/engine/animation.py)
            with Image.open(entry.path / art["files"]["sprite"]) as im:
                gif = animation.gif_bytes(im, art["meta"])
                still = animation.still_bytes(im, art["meta"], **WEBP_FROM_PNG)
            urls["gif"], urls["still"] = root + self.publish_bytes(gif, ".gif"), root + self.publish_bytes(still, ".webp")
            extra["gif_size"] = animation.size_text(len(gif))
        if art["kind"] == "demo":
            extra.update(self.demo_runtime(root, art["meta"]["model_bytes"]))
        return macros.figure(fig=fig, kind=art["kind"], meta=art["meta"], urls=urls, data=data, extra=extra)

    def demo_runtime(self, root: str, model_bytes: int) -> dict:
        """The in-browser runtime's URLs and what opening the demo downloads (``browser_runtime``);
        ``runtime`` None, and a note for the build to print, where the runtime is not installed."""
        files, why = browser_runtime.find(ROOT)
        if files is None:
            if why not in self.notes:
                self.notes.append(f"the page's in-browser demo is off: {why}")
            return {"runtime": None}
        runtime_bytes = sum(p.stat().st_size for p in files.values())
        return {"runtime": {role: root + self.publish(p, sha256_file(p)) for role, p in files.items()},
                "download": animation.size_text(model_bytes + runtime_bytes),
                "model_size": animation.size_text(model_bytes), "runtime_size": animation.size_text(runtime_bytes)}

    def render_page(self, page: Page, entries: dict, context: dict) -> tuple[PurePosixPath, str]:
        out = page_output(str(page.meta["permalink"]))
        root = relative_root(out)
        layout = self.template(f"{page.meta['layout']}.html", f"{page.rel}:2 (layout)")
        macros = self.template("figures.html", page.rel).module

        def draw(i: int) -> str:
            fig = page.figures[i]   # number 0: for another page variant, in a block that VariantNotes drops
            return self.figure_html(fig, entries[fig.experiment], root, macros) if fig.number else ""

        extensions = ["attr_list", "tables", "md_in_html", "fenced_code", "sane_lists", Maths(), Figures(draw),
                      VariantNotes(context["build"]["variant"])]
        elsewhere = {v.where for v in page.values if not v.shown_on(context["build"]["variant"])}
        lines = [line if where in elsewhere else values.substitute(line, where, entries, self.notes)
                 for line, where in ((line, f"{page.rel}:{page.body_start + i}")
                                     for i, line in enumerate(page.body_lines))]
        lines = with_source_links(lines, source_base(page.meta), ROOT)
        body = markdown.markdown("\n".join(lines), extensions=extensions, output_format="html")
        html_text = layout.render(page=page.meta, content=body, root=root, **context)
        return out, html_text

    def render_template(self, name: str, out: str, **context) -> tuple[PurePosixPath, str]:
        p = PurePosixPath(out)
        return p, self.template(name, name).render(root=relative_root(p), **context)


def render_site(pages: list[Page], entries: dict, renderer: Renderer, site: Path, static: Path, build_line: dict,
                rows: list[dict]) -> None:
    """Every page, the build summary and the root's redirect, written as one new site (``write_site``).
    ``entries``: experiment -> its cache entry; ``build_line``: seed and Part A model for the masthead."""
    files = {}
    for page in pages:
        if not page.meta.get("author"):
            print(f"note: {page.rel} is not signed: add 'author: Your Name' to its front matter")
        context = {"build": build_line, "summary_url": "build-summary/index.html"}
        out, text = renderer.render_page(page, entries, context)
        files[out] = text
    # links name index.html itself: from file:// a link to a folder opens the browser's folder listing
    report_url = str(page_output(str(pages[0].meta["permalink"])))
    out, text = renderer.render_template("summary.html", "build-summary/index.html", rows=rows, build=build_line,
                                         report_url=report_url)
    files[out] = text
    out, text = renderer.render_template("redirect.html", "index.html", target=report_url,
                                         title=pages[0].meta["title"])
    files.setdefault(out, text)
    for note in renderer.notes:
        print(f"note: {note}")
    write_site(site, files, renderer.assets, static)


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
