"""The no-op build: when nothing that a build reads has changed since the last one, say so and stop.

A full no-op build imports torch (2-3 s) to learn each experiment's parameters, hashes the
source closure of every experiment and re-verifies 53 MB of cache. Like git's index, the
stamp ``cache/.work/last-build.json`` remembers, after every successful full build, the
size and modification time (ns) of every file that build read or wrote:

* the code (``generator/**.py``, ``build.py``), the content and the templates,
* the input files named by parameters,
* every file of every cache entry the page used, and every file of the site it wrote,
* the places that decide each resource's choice (its ``watched_places``: a model's weight
  folders, a dataset's files),

and the command-line options and environment variables that shape a build. If all are as
recorded, the build is a no-op without importing torch. Any difference, a missing stamp,
``--frozen`` (CI's full verification), ``--force``, ``--only``, ``--gc`` or ``--explain``
takes the full path.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable, Optional

from .object_store import is_url
from .resources import registered

ENV_VARS = ("HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "OMP_NUM_THREADS", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL",
            "GITHUB_SHA")
OPTIONS = ("device", "seed", "threads", "content", "templates", "cache", "site")   # and each resource's own


def path_of(cache_dir: Path) -> Path:
    return Path(cache_dir) / ".work" / "last-build.json"


def _stat(p: Path) -> Optional[list[int]]:
    try:
        st = p.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _files(folder: Path) -> Iterable[Path]:
    if folder.is_dir():
        yield from (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _watched_places(args) -> list[Path]:
    """Folders whose mere appearance changes what a build would do (no contents hashed)."""
    return [p for r in registered().values() for p in r.watched_places(args)]


def _fingerprint(args, root: Path, files: Iterable[Path]) -> dict:
    code = [*_files(root / "generator"), root / "build.py", *_files(Path(args.content)), *_files(Path(args.templates))]
    stats = {str(p): _stat(p) for p in [*code, *files, *_watched_places(args)]}
    options = OPTIONS + tuple(o for r in registered().values() for o in r.option_names)
    return {"options": {k: str(getattr(args, k, None)) for k in options},
            "env": {k: os.environ.get(k) for k in ENV_VARS}, "stats": stats}


def eligible(args) -> bool:
    """Only a local cache can be checked by file stats (an object store's entries are remote)."""
    return not (args.frozen or args.explain or args.force or args.only or args.gc or is_url(args.cache))


def check(args, root: Path) -> Optional[dict]:
    """The stamp of the last build if nothing it recorded has changed, else None."""
    try:
        stamp = json.loads(path_of(args.cache).read_text())
        recorded = [Path(p) for p in stamp["stats"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    now = _fingerprint(args, root, recorded)
    if now["options"] != stamp["options"] or now["env"] != stamp["env"]:
        return None
    if set(now["stats"]) != set(stamp["stats"]):  # a file added to the code, content or templates
        return None
    if any(now["stats"][p] != (None if v is None else list(v)) for p, v in stamp["stats"].items()):
        return None
    return stamp


def write(args, root: Path, entries: Iterable, inputs: Iterable[str], rows: list[dict]) -> None:
    """Record a successful full build: ``entries`` (store.Entry) the page used, input files by
    path relative to the repository, the summary ``rows``. Nothing for an object store."""
    if is_url(args.cache):
        return
    files = [p for e in entries for p in _files(e.path)]
    files += [root / f for f in inputs] + list(_files(Path(args.site)))
    stamp = {**_fingerprint(args, root, files), "rows": rows,
             "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    path = path_of(args.cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(stamp))
    tmp.replace(path)
