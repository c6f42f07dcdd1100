"""Reading the report: Markdown pages with Jekyll-style front matter, figure references
and experiment parameter overrides, each remembered with its file and line for errors.

Front matter (YAML between ``---`` lines)::

    layout: project            # templates/project.html
    title: Fun with Diffusion Models
    permalink: /cs180proj5/
    experiments:               # optional overrides, checked against each Params
      forward_process:
        t: [250, 500, 750]

A figure is a line of its own::

    ![Caption text, also the alt text](exp:forward_process/noisy)

A link to the repository's own source names a path from the repository's root; it points at the
``repository:`` of the front matter (on GitHub Actions, the repository being built), and stays plain
words where no repository is known::

    [the forward process](source:generator/diffusion/forward.py)

A number the prose takes from a result is a link to its cell, replaced by the cell when the page is
rendered (``values.py``)::

    recognised [99.7%](val:improved_results/guidance "2.5 | recognised") of the time
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

import yaml

from ..errors import BuildError
from . import values

FIGURE = re.compile(r"^\s*!\[(?P<caption>[^\]]*)\]\(exp:(?P<exp>[\w-]+)/(?P<artifact>[\w.-]+)\)\s*$")
ANY_REF = re.compile(r"\(exp:[^)]*\)")
REPOSITORY = re.compile(r"https://[\w.-]+/[\w.-]+/[\w.-]+/?")
DIV_TAG = re.compile(r"<div\b(?:[^>]*?\bclass=\"(?P<classes>[^\"]*)\")?[^>]*>|(?P<close></div>)")
FOR_MODEL = re.compile(r"\bon-([\w-]+)")
SOURCE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\(source:(?P<path>[^)\s]*)\)")


@dataclass
class FigureRef:
    experiment: str
    artifact: str
    caption: str
    where: str          # "content/index.md:42"
    number: int = 0     # 0: not shown on this build's Part A model
    only_on: Optional[str] = None   # inside <div class="on-MODEL">: shown on that Part A model only

    def shown_on(self, variant: Optional[str]) -> bool:
        return self.only_on in (None, variant)


@dataclass
class Page:
    path: Path
    rel: str
    meta: dict
    body_lines: list[str]           # the Markdown body (render.py's Figures extension draws the figure lines)
    body_start: int                 # line number of the first body line
    figures: list[FigureRef] = field(default_factory=list)
    overrides: dict = field(default_factory=dict)
    override_lines: dict = field(default_factory=dict)   # (experiment, param|None) -> "file:line"
    meta_lines: dict = field(default_factory=dict)       # top-level front-matter key -> "file:line"
    values: list[values.ValueRef] = field(default_factory=list)   # numbers the prose takes from results


def _split_front_matter(text: str, rel: str) -> tuple[str, list[str], int]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise BuildError("no front matter: the file must start with a '---' line, then YAML (layout, title, "
                         "permalink), then '---'", f"{rel}:1")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), lines[i + 1:], i + 2
    raise BuildError("front matter is not closed: add a '---' line after the YAML", f"{rel}:1")


def _override_lines(node, rel: str) -> dict:
    """(experiment, param) -> 'file:line' from the composed YAML node of the front matter."""
    out: dict[tuple[str, Optional[str]], str] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for k, v in node.value:
        if k.value == "experiments":
            out[("experiments", None)] = f"{rel}:{k.start_mark.line + 2}"
        if k.value != "experiments" or not isinstance(v, yaml.MappingNode):
            continue
        for ek, ev in v.value:
            out[(ek.value, None)] = f"{rel}:{ek.start_mark.line + 2}"
            if isinstance(ev, yaml.MappingNode):
                for pk, _ in ev.value:
                    out[(ek.value, pk.value)] = f"{rel}:{pk.start_mark.line + 2}"
    return out


def _read_utf8(path: Path, rel: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise BuildError(f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}). Fix: save the file "
                         "as UTF-8 (most editors: 'Save with encoding')", f"{rel}:{line}") from None


def _duplicate_keys(node, rel: str) -> None:
    """YAML keeps the last of two equal keys silently; a duplicate is an error at its line."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise BuildError(f"duplicate key '{k.value}' in the front matter (first on line {seen[k.value]}). "
                                     "Fix: keep one of them", f"{rel}:{k.start_mark.line + 2}")
                seen[k.value] = k.start_mark.line + 2
            _duplicate_keys(v, rel)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _duplicate_keys(v, rel)


HEADING_ID = re.compile(r"\{#([\w-]+)\}|\bid=\"([\w-]+)\"")


def _duplicate_ids(body: list[str], body_start: int, rel: str) -> None:
    """Two elements with one id break every link to it: an error at the second."""
    seen: dict[str, int] = {}
    for i, line in enumerate(body):
        for m in HEADING_ID.finditer(line):
            ident = m[1] or m[2]
            if ident in seen:
                raise BuildError(f"duplicate id '{ident}' (first on line {seen[ident]}). Fix: rename one",
                                 f"{rel}:{body_start + i}")
            seen[ident] = body_start + i


def read_page(path: Path, root: Path) -> Page:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    fm, body, body_start = _split_front_matter(_read_utf8(path, rel), rel)
    try:
        meta = yaml.safe_load(fm) or {}
        node = yaml.compose(fm)
    except yaml.MarkedYAMLError as e:
        line = (e.problem_mark.line + 2) if e.problem_mark else 1
        context = f" ({e.context} on line {e.context_mark.line + 2})" if e.context_mark else ""
        raise BuildError(f"malformed front matter: {e.problem}{context}. Fix the YAML there",
                         f"{rel}:{line}") from None
    if not isinstance(meta, dict):
        raise BuildError("front matter must be a YAML mapping (key: value lines)", f"{rel}:2")
    _duplicate_keys(node, rel)
    _duplicate_ids(body, body_start, rel)
    for key in ("layout", "title", "permalink"):
        if key not in meta:
            raise BuildError(f"front matter lacks '{key}'. Fix: add '{key}: ...'", f"{rel}:1")
    meta_lines = {k.value: f"{rel}:{k.start_mark.line + 2}" for k, _ in node.value}
    if "repository" in meta and not REPOSITORY.fullmatch(str(meta["repository"])):
        raise BuildError(f"'repository: {meta['repository']}' is not a repository's web address. Fix: write "
                         "it as https://github.com/USER/REPO", meta_lines["repository"])
    overrides = meta.get("experiments") or {}
    lines = _override_lines(node, rel)
    if not isinstance(overrides, dict):
        raise BuildError("'experiments' must map experiment names to {param: value}. Fix: indent each "
                         "experiment under it", lines.get(("experiments", None), f"{rel}:2"))
    for name, value in overrides.items():
        if not isinstance(value, dict):
            raise BuildError(f"experiment '{name}' must map parameter names to values, got {value!r}. Fix: "
                             f"write '{name}: {{param: value}}'", lines.get((name, None), f"{rel}:2"))
    page = Page(path, rel, meta, [], body_start, overrides=overrides, override_lines=lines, meta_lines=meta_lines)
    blocks: list[Optional[str]] = []   # the open <div>s, each with the Part A model it is for (or None)
    for i, line in enumerate(body):
        where = f"{rel}:{body_start + i}"
        for tag in DIV_TAG.finditer(line):
            if tag["close"]:
                blocks = blocks[:-1]
            else:
                model = FOR_MODEL.search(tag["classes"] or "")
                blocks.append(model[1] if model else None)
        m = FIGURE.match(line)
        only_on = next((b for b in reversed(blocks) if b), None)
        if m:
            page.figures.append(FigureRef(m["exp"], m["artifact"], m["caption"].strip(), where, only_on=only_on))
            page.body_lines.append(line)
        else:
            page.values += values.find(line, where, only_on)
            for link in SOURCE_LINK.finditer(line):
                _check_source(link["path"], root, where)
            if ANY_REF.search(line) and "exp:" in line:
                raise BuildError("a figure reference must stand alone on its line as "
                                 "![caption](exp:experiment/artifact)", where)
            page.body_lines.append(line)
    return page


def _check_source(path: str, root: Path, where: str) -> None:
    target = (root / path).resolve()
    if not path or ".." in PurePosixPath(path).parts or not target.exists():
        raise BuildError(f"source link to '{path}', which is not a file or folder of the repository. Fix: give "
                         "its path from the repository's root, e.g. (source:generator/diffusion/forward.py)",
                         where)


def gather(content_dir: Path, root: Path) -> list[Page]:
    pages = [read_page(p, root) for p in sorted(content_dir.glob("*.md"))]
    if not pages:
        raise BuildError(f"no Markdown pages in {content_dir}. Fix: add content/index.md", str(content_dir))
    _unique_permalinks(pages)
    return pages


def page_output(permalink: str) -> PurePosixPath:
    """'/cs180proj5/' -> cs180proj5/index.html ; '/about.html' -> about.html."""
    p = permalink.strip("/")
    if not p:
        return PurePosixPath("index.html")
    return PurePosixPath(p if p.endswith(".html") else f"{p}/index.html")


def _unique_permalinks(pages: list[Page]) -> None:
    """Two pages with one permalink would write the same file, the later silently replacing the
    earlier (a copied page replacing the report): an error naming both files."""
    seen: dict[PurePosixPath, Page] = {}
    for page in pages:
        link = page_output(str(page.meta["permalink"]))
        if link in seen:
            first = seen[link]
            raise BuildError(f"permalink '{page.meta['permalink']}' is also the permalink of "
                             f"{first.meta_lines.get('permalink', first.rel)}: both pages would be written to "
                             "the same file. Fix: give one of them another permalink",
                             page.meta_lines.get("permalink", f"{page.rel}:2"))
        seen[link] = page


def check_references(pages: list[Page], experiments: dict) -> None:
    """Every figure names a known experiment and one of its declared artifacts (before anything runs;
    number_figures numbers them once the Part A model is known)."""
    for page in pages:
        for fig in page.figures:
            if fig.experiment not in experiments:
                raise BuildError(f"unknown experiment '{fig.experiment}'. Fix: use one of "
                                 f"{', '.join(sorted(experiments))}", fig.where)
            arts = experiments[fig.experiment].artifacts
            if fig.artifact not in arts:
                raise BuildError(f"experiment '{fig.experiment}' has no artifact '{fig.artifact}'. Fix: use one "
                                 f"of {', '.join(arts)}", fig.where)
        for ref in page.values:
            values.check(ref, experiments)


def number_figures(pages: list[Page], variant: Optional[str]) -> None:
    """Number the figures this build's page shows (1, 2, ... in reading order); a figure written for
    another page variant only (inside ``<div class="on-VARIANT">``) gets 0 and leaves no gap."""
    n = 0
    for page in pages:
        for fig in page.figures:
            shown = fig.shown_on(variant)
            n += shown
            fig.number = n if shown else 0


def check_front_matter(pages: list[Page], experiments: dict) -> None:
    """A top-level front-matter key named like an experiment is a misplaced override (it would be
    ignored): an error at its line."""
    for page in pages:
        for key in page.meta:
            if key in experiments:
                line = page.meta_lines.get(key, f"{page.rel}:2")
                raise BuildError(f"'{key}' is an experiment: its parameters belong under 'experiments:'. Fix: "
                                 f"indent it under an 'experiments:' line", line)


def declared(pages: list[Page], key: str) -> Optional[str]:
    """The choice the report declares in its front matter under ``key`` (a resource's, such as the
    model the page shows), so that what the published page shows never depends on the machine that
    renders it. None where no page declares one."""
    found = {str(p.meta[key]): p for p in pages if key in p.meta}
    if len(found) > 1:
        (a, pa), (b, pb) = list(found.items())[:2]
        raise BuildError(f"the pages declare two values of '{key}', '{a}' ({pa.meta_lines[key]}) and '{b}'. "
                         f"Fix: declare one '{key}' for the report", pb.meta_lines[key])
    return next(iter(found), None)


def merged_overrides(pages: list[Page]) -> tuple[dict, dict]:
    overrides: dict[str, dict] = {}
    lines: dict = {}
    for page in pages:
        for exp, params in page.overrides.items():
            overrides.setdefault(exp, {}).update(params)
        lines.update(page.override_lines)
    return overrides, lines
