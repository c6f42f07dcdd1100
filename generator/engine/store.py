"""The result store: entries in a folder (``Store``), the protocol every store meets (``ResultStore``;
``object_store.ObjectStore`` is the other), and reading an entry's artifacts (``Entry``).

Layout: ``cache/<experiment>/<key[:16]>/`` holds ``manifest.json`` and the artifact files; the key
is computed in ``keys.py``. Provenance (commit, device, versions, seconds, date) is stored beside the
ingredients and never hashed. Entries are written to a hidden temporary folder and renamed into
place (``atomic.py``); every file is checked against its sha256 on read. No pickles: artifacts are
PNG, WebP, JSON and safetensors.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

from ..results import Result
from .atomic import settle_leftover, swap_in
from .keys import sha256_file

MANIFEST = "manifest.json"


class CorruptEntry(Exception):
    pass


def manifest_problem(m: Any) -> Optional[str]:
    """What is wrong with the shape of a manifest, None if nothing: a valid JSON file of the wrong
    shape is a corrupt entry like a failed hash (reported and recomputed), never a traceback."""
    def is_map(v, item=object) -> bool:
        return isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, item) for k, x in v.items())

    if not isinstance(m, dict):
        return f"manifest is a {type(m).__name__}, not an object"
    bad = []
    for field, ok in (("key", isinstance(m.get("key"), str)), ("ingredients", is_map(m.get("ingredients"))),
                      ("artifacts", is_map(m.get("artifacts"), dict)), ("provenance", is_map(m.get("provenance")))):
        if not ok:
            bad.append(f"'{field}' is {'missing' if field not in m else 'malformed'}")
    if bad:
        return "manifest field " + ", field ".join(bad)
    if not isinstance(m["provenance"].get("date"), str):
        return "manifest field 'provenance.date' is missing"
    for name, art in m["artifacts"].items():
        if not (isinstance(art.get("kind"), str) and is_map(art.get("files"), str) and is_map(art.get("sha256"), str)
                and set(art["files"].values()) == set(art["sha256"]) and is_map(art.get("meta", {}))):
            return f"artifact '{name}' is malformed (kind, files, sha256 of every file, meta)"
        for f in art["sha256"]:
            if not plain_name(f):
                return f"artifact '{name}' names the file '{f}', which is not a plain file name inside its entry"
    return None


def plain_name(f: str) -> bool:
    """An artifact file's name inside its entry: plain components (the object store keeps each
    writer's files in a folder of their own, ``WRITER/name.png``), never a parent, a hidden or an
    absolute path."""
    return all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", part) and part != ".." for part in f.split("/"))


def newest_manifest(readers, accept: Optional[Callable[[dict], bool]] = None) -> Optional[dict]:
    """The well-formed manifest with the latest provenance date among ``readers`` (callables that
    return a manifest's bytes) that ``accept`` takes; unreadable or malformed ones are skipped."""
    best = None
    for read in readers:
        try:
            man = json.loads(read())
        except (OSError, ValueError):
            continue
        if manifest_problem(man) or (accept is not None and not accept(man)):
            continue
        if best is None or man["provenance"]["date"] > best["provenance"]["date"]:
            best = man
    return best


def load_if_valid(store, name: str, key: str) -> Optional["Entry"]:
    """The store's verified entry, None when it is absent or corrupt."""
    try:
        return store.load(name, key)
    except CorruptEntry:
        return None


@dataclass
class Entry:
    """A verified cache entry. The store moves and checks its bytes; experiments read its values
    through ``result()`` only."""

    path: Path
    manifest: dict

    @property
    def key(self) -> str:
        return self.manifest["key"]

    def artifact(self, name: str) -> dict:
        return self.manifest["artifacts"][name]

    def file(self, name: str, role: str = "main") -> Path:
        return self.path / self.artifact(name)["files"][role]

    def result(self) -> Result:
        """What an experiment may read of this entry (``generator/results.py``, in every key)."""
        return Result(self.path, self.manifest)


class ResultStore(Protocol):
    """What the build needs of a cache, wherever it lives: a folder (``Store``) or object storage
    (``object_store.ObjectStore``)."""

    @property
    def work_root(self) -> Path: ...

    def describe(self) -> str: ...

    def load(self, name: str, key: str) -> Optional[Entry]: ...

    def previous(self, name: str, accept: Optional[Callable[[dict], bool]] = None) -> Optional[dict]: ...

    def write(self, name: str, key: str, ingredients: dict, provenance: dict,
              save_artifacts: Callable[[Path], dict], replace: bool = False) -> Entry: ...

    def hold_lock(self) -> bool: ...

    def recover(self, alone: bool = False) -> list: ...

    def gc(self, live: dict[str, str]) -> list: ...


class Store:
    """The cache in a folder of this machine, or of a filesystem that every node mounts (NFS, Lustre):
    entries are published by renaming a complete folder into place, which is atomic there."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def work_root(self) -> Path:
        """Resumable work (training snapshots) of results not stored yet."""
        return self.root / ".work"

    def describe(self) -> str:
        return str(self.root)

    def entry_dir(self, name: str, key: str) -> Path:
        return self.root / name / key[:16]

    def load(self, name: str, key: str) -> Optional[Entry]:
        """The verified entry, None when absent; CorruptEntry when a file fails its hash."""
        d = self.entry_dir(name, key)
        if not (d / MANIFEST).exists():
            return None
        try:
            manifest = json.loads((d / MANIFEST).read_text())
        except (OSError, ValueError) as e:
            raise CorruptEntry(f"{d / MANIFEST}: unreadable manifest ({e})") from None
        problem = manifest_problem(manifest)
        if problem:
            raise CorruptEntry(f"{d / MANIFEST}: {problem}")
        if manifest["key"] != key:
            raise CorruptEntry(f"{d / MANIFEST}: key mismatch")
        for art in manifest["artifacts"].values():
            for fname, digest in art["sha256"].items():
                p = d / fname
                if not p.is_file():
                    raise CorruptEntry(f"{p}: missing (the manifest lists it, the entry lacks it)")
                if sha256_file(p) != digest:
                    raise CorruptEntry(f"{p}: content hash mismatch (file damaged or edited)")
        return Entry(d, manifest)

    def previous(self, name: str, accept: Optional[Callable[[dict], bool]] = None) -> Optional[dict]:
        """The newest manifest stored for ``name`` (any key; only those ``accept`` takes), to explain
        what changed and to find what the cached results were computed from."""
        return newest_manifest((m.read_bytes for m in (self.root / name).glob(f"*/{MANIFEST}")), accept)

    def write(self, name: str, key: str, ingredients: dict, provenance: dict,
              save_artifacts: Callable[[Path], dict], replace: bool = False) -> Entry:
        """Write an entry atomically: ``save_artifacts(tmp_dir)`` writes the files and
        returns the artifacts table; then the folder is renamed into place. If a complete entry
        of the same key appeared meanwhile (another build or task computed it too), that one
        stays, unless ``replace`` (--force)."""
        final = self.entry_dir(name, key)
        tmp = final.parent / f".tmp-{key[:16]}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        try:
            artifacts = save_artifacts(tmp)
            for art in artifacts.values():
                art["sha256"] = {f: sha256_file(tmp / f) for f in art["files"].values()}
            manifest = {"name": name, "key": key, "ingredients": ingredients,
                        "artifacts": artifacts, "provenance": provenance}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
            other = None if replace else load_if_valid(self, name, key)
            if other is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                return other
            try:
                swap_in(tmp, final, final.parent / f".old-{final.name}-{os.getpid()}")
            except OSError:
                # another build or task published the same key between our two renames: its entry
                # is as good as ours (same key), so it stays and ours is dropped
                other = load_if_valid(self, name, key)
                if other is None:
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
                return other
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Entry(final, manifest)

    def hold_lock(self) -> bool:
        """Join the builds that use this cache, for the life of the process: every build holds a
        shared lock on a file named after the cache's path (in the system's temporary folder). True
        if no other build held it at that moment, so any leftover is from a process that is gone,
        whatever its PID (PIDs are reused)."""
        import fcntl

        # the lock file lives outside the cache (a build that changes nothing leaves the cache as it was)
        folder = Path(tempfile.gettempdir()) / f"fwd-locks-{os.getuid()}"
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:16]
        self._lock = open(folder / f"{name}.lock", "a")  # held open: closing would release it
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        return alone

    def recover(self, alone: bool = False) -> list[Path]:
        """Undo what killed builds left behind: an old entry set aside while its replacement was
        swapped in is put back if the replacement never arrived, and temporary folders of
        processes that are gone are removed (a live process's are left alone). ``alone``: no other
        build holds the cache (``hold_lock``), so every leftover's process is gone."""
        touched: list[Path] = []
        if not self.root.exists():
            return touched
        for d in sorted(self.root.glob("*/.old-*")) + sorted(self.root.glob("*/.tmp-*")):
            key, pid = d.name.split("-")[1:3]
            final = d.parent / key if d.name.startswith(".old-") else None
            if settle_leftover(d, pid, final, complete=lambda f: (f / MANIFEST).exists(), gone=alone):
                touched.append(d)
        return touched

    def gc(self, live: dict[str, str]) -> list[Path]:
        """Delete entries (and leftover temporary folders) whose key is not in ``live``."""
        removed: list[Path] = []
        if not self.root.exists():
            return removed
        for exp_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if exp_dir.name.startswith("."):
                continue
            for d in sorted(p for p in exp_dir.iterdir() if p.is_dir()):
                if live.get(exp_dir.name, "")[:16] != d.name:
                    shutil.rmtree(d)
                    removed.append(d)
            if not any(exp_dir.iterdir()):
                exp_dir.rmdir()
        return removed
