"""Which folder ``--site`` may replace: one the build made itself, or an empty or missing one.

Rendering replaces the whole site folder (``render.write_site``), so a mistyped ``--site``
(``cache``, ``content``, ``.``) would delete whatever is there. Every site the build writes
carries the mark file ``MARK``; a folder without it is never replaced, and neither is a
folder that holds (or is inside) the cache, the content, the templates or a git checkout.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import BuildError

MARK = ".fun-with-diffusion-site"  # written into every site; its text says what it is
MARK_TEXT = "This folder was written by `python build.py` and is replaced by the next build.\n"
# sites written before the mark existed: the two files every one of them has
LEGACY = (".nojekyll", "build-summary/index.html")


def made_by_build(folder: Path) -> bool:
    return (folder / MARK).is_file() or all((folder / f).is_file() for f in LEGACY)


def _inside(a: Path, b: Path) -> bool:
    """a is b or below it."""
    return a == b or b in a.parents


def check(site: Path, protected: dict[str, Path], repository: Path) -> None:
    """Refuse, before any work, a ``--site`` that the build must not replace. ``protected`` names
    the folders the build reads or keeps ({'the cache': ..., 'the content': ...}): the site may be
    neither one of them, nor hold one, nor lie inside one. It may lie inside ``repository`` (site/
    does) but not hold it."""
    where = f"--site {site}"
    target = site.resolve()
    if _inside(repository.resolve(), target):
        raise BuildError(f"'{site}' holds the repository ({repository.resolve()}); building the site there "
                         "would delete it. Fix: pass a folder of its own, such as --site site", where)
    for what, folder in protected.items():
        folder = folder.resolve()
        if _inside(folder, target) or _inside(target, folder):
            inside = "is inside" if target != folder and _inside(target, folder) else "holds"
            raise BuildError(f"'{site}' {inside} {what} ({folder}); building the site there would delete it. "
                             "Fix: pass a folder of its own, such as --site site", where)
    if (target / ".git").exists():
        raise BuildError(f"'{site}' holds a git repository; building the site there would delete it. Fix: "
                         "pass a folder of its own, such as --site site", where)
    if target.exists() and not target.is_dir():
        raise BuildError(f"'{site}' is a file, not a folder. Fix: pass another --site", where)
    if target.is_dir() and any(target.iterdir()) and not made_by_build(target):
        raise BuildError(f"'{site}' is a folder the build did not make (it has no {MARK} file) and is not "
                         "empty; building the site there would delete what it holds. Fix: pass a new or "
                         "empty folder, or one an earlier build wrote", where)
    parent = target.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise BuildError(f"cannot write the site into '{site}': its folder {parent} does not exist or is not "
                         "writable. Fix: create it, or pass a --site in a writable folder", where)
