"""The cache on object storage (``s3://``, ``gs://``, ``file://`` ...), through fsspec.

Same entries as ``store.Store``, but object stores cannot rename a folder, so publishing works
by writing the manifest last:

    <url>/<experiment>/<key[:16]>/<writer>/<artifact files>   uploaded first, under a folder
                                                               unique to this writer
    <url>/<experiment>/<key[:16]>/manifest.json               one PUT, naming those files

A reader sees an entry only through its manifest, and the manifest names only files that were
complete before it was written (each checked against its sha256 on read), so nobody ever sees
half an entry. Two writers of the same key each upload their own files; whichever manifest lands
last wins, and it names a complete set. Nothing is locked, so a crash holds nothing: the files of
a writer that died before its manifest (or lost the race) are removed by ``recover`` once they are
an hour old, and by ``--gc``.

Entries are read through a local mirror (a folder in the system's temporary directory, one per
store URL) that experiments and the renderer use like any cache folder; it is verified by hash on
every load and can be deleted at any time.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Optional

from .atomic import settle_leftover
from .keys import sha256_file
from .store import MANIFEST, CorruptEntry, Entry, ResultStore, Store, load_if_valid, manifest_problem, newest_manifest

ORPHAN_AGE_S = 3600   # a writer's files without a manifest naming them are removed after this long


def is_url(spec: str) -> bool:
    return "://" in str(spec)


class ObjectStore:
    def __init__(self, url: str, mirror: Optional[Path] = None):
        from fsspec.core import url_to_fs

        self.url = url.rstrip("/")
        try:
            self.fs, self.path = url_to_fs(self.url)
        except (ImportError, ValueError) as e:   # e.g. s3:// without s3fs installed
            from ..errors import BuildError

            raise BuildError(f"cannot open the cache '{url}': {e}. Fix: install the filesystem's fsspec package "
                             "(s3fs for s3://, gcsfs for gs://) or pass a folder", "--cache") from None
        self.path = self.path.rstrip("/")
        try:   # reach the store once now: missing credentials are one line before any work
            self.fs.exists(self.path)
        except Exception as e:   # each filesystem raises its own types (botocore's NoCredentialsError, ...)
            from ..errors import BuildError

            raise BuildError(f"cannot reach the cache '{url}' ({type(e).__name__}: {str(e).splitlines()[0][:160]}). "
                             "Fix: check the URL and the store's credentials (AWS_* variables for s3://), or pass "
                             "a folder", "--cache") from None
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.root = Path(mirror) if mirror else Path(tempfile.gettempdir()) / f"fwd-store-{os.getuid()}" / digest

    @property
    def work_root(self) -> Path:
        return self.root / ".work"

    def describe(self) -> str:
        return self.url

    def _dir(self, name: str, key: str) -> str:
        return f"{self.path}/{name}/{key[:16]}"

    def _manifest(self, remote: str) -> Optional[dict]:
        try:
            raw = self.fs.cat_file(f"{remote}/{MANIFEST}")
        except FileNotFoundError:
            return None
        try:
            manifest = json.loads(raw)
        except ValueError as e:
            raise CorruptEntry(f"{self.url}/{remote[len(self.path) + 1:]}/{MANIFEST}: unreadable manifest ({e})") from None
        problem = manifest_problem(manifest)
        if problem:
            raise CorruptEntry(f"{self.url}/{remote[len(self.path) + 1:]}/{MANIFEST}: {problem}")
        return manifest

    def load(self, name: str, key: str) -> Optional[Entry]:
        """The verified entry (its files copied into the mirror), None when absent; CorruptEntry when a
        file is missing or fails its hash."""
        remote = self._dir(name, key)
        self.fs.invalidate_cache(remote)
        manifest = self._manifest(remote)
        if manifest is None:
            return None
        if manifest["key"] != key:
            raise CorruptEntry(f"{self.url}/{name}/{key[:16]}/{MANIFEST}: key mismatch")
        local = self.root / name / key[:16]
        for art in manifest["artifacts"].values():
            for rel, digest in art["sha256"].items():
                target = local / rel
                if target.exists() and sha256_file(target) == digest:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                part = target.with_name(f".part-{os.getpid()}-{target.name}")
                try:
                    self.fs.get_file(f"{remote}/{rel}", str(part))
                except FileNotFoundError:
                    raise CorruptEntry(f"{self.url}/{name}/{key[:16]}/{rel}: missing") from None
                if sha256_file(part) != digest:
                    part.unlink()
                    raise CorruptEntry(f"{self.url}/{name}/{key[:16]}/{rel}: content hash mismatch")
                os.replace(part, target)
        return Entry(local, manifest)

    def previous(self, name: str, accept: Optional[Callable[[dict], bool]] = None) -> Optional[dict]:
        """As ``Store.previous``."""
        self.fs.invalidate_cache()
        return newest_manifest((functools.partial(self.fs.cat_file, m)
                                for m in self.fs.glob(f"{self.path}/{name}/*/{MANIFEST}")), accept)

    def write(self, name: str, key: str, ingredients: dict, provenance: dict,
              save_artifacts: Callable[[Path], dict], replace: bool = False) -> Entry:
        """Save the artifacts locally, upload them under a folder of this writer, then PUT the manifest.
        If a complete entry of the same key is already there (another build or task), it stays,
        unless ``replace`` (--force)."""
        writer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        local = self.root / name / key[:16]
        tmp = local.parent / f".tmp-{key[:16]}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / writer).mkdir(parents=True)
        try:
            artifacts = save_artifacts(tmp / writer)
            for art in artifacts.values():
                art["files"] = {role: f"{writer}/{f}" for role, f in art["files"].items()}
                art["sha256"] = {f: sha256_file(tmp / f) for f in art["files"].values()}
            manifest = {"name": name, "key": key, "ingredients": ingredients,
                        "artifacts": artifacts, "provenance": provenance}
            if not replace:
                other = load_if_valid(self, name, key)
                if other is not None:
                    return other
            remote = self._dir(name, key)
            if self._local_fs():
                self.fs.makedirs(f"{remote}/{writer}", exist_ok=True)   # object stores have no folders
            for art in artifacts.values():
                for rel in art["files"].values():
                    self.fs.put_file(str(tmp / rel), f"{remote}/{rel}")
            self._put_last(f"{remote}/{MANIFEST}", (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
            local.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(local / writer, ignore_errors=True)
            os.replace(tmp / writer, local / writer)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return Entry(local, manifest)

    def _local_fs(self) -> bool:
        from fsspec.implementations.local import LocalFileSystem

        return isinstance(self.fs, LocalFileSystem)

    def _put_last(self, path: str, data: bytes) -> None:
        """One atomic write: a PUT on object stores; on a local filesystem, a temporary file renamed."""
        if self._local_fs():
            tmp = f"{path}.tmp-{os.getpid()}"
            self.fs.pipe_file(tmp, data)
            os.replace(tmp, path)
        else:
            self.fs.pipe_file(path, data)

    def _entries(self) -> list[tuple[str, str]]:
        """(experiment, remote folder) of every entry folder in the store."""
        self.fs.invalidate_cache()
        if not self.fs.exists(self.path):
            return []
        out = []
        for exp in self.fs.ls(self.path, detail=False):
            exp_name = exp.rstrip("/").rsplit("/", 1)[-1]
            if exp_name.startswith(".") or not self.fs.isdir(exp):
                continue
            out += [(exp_name, d.rstrip("/")) for d in self.fs.ls(exp, detail=False) if self.fs.isdir(d)]
        return out

    def _age_s(self, folder: str) -> float:
        """Seconds since the newest file under ``folder`` was written."""
        newest = 0.0
        for info in self.fs.find(folder, detail=True).values():
            t = info.get("mtime") or info.get("LastModified") or info.get("updated") or info.get("created")
            if isinstance(t, datetime.datetime):
                t = t.timestamp()
            elif isinstance(t, str):
                t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
            newest = max(newest, float(t or 0.0))
        return time.time() - newest

    def _orphans(self, folder: str, max_age_s: float) -> list[str]:
        """Writer folders of an entry folder that its manifest does not name, older than ``max_age_s``."""
        try:
            manifest = self._manifest(folder)
        except CorruptEntry:
            manifest = None
        named = set()
        for art in (manifest or {}).get("artifacts", {}).values():
            named |= {rel.split("/", 1)[0] for rel in art["files"].values()}
        return [w for w in self.fs.ls(folder, detail=False)
                if self.fs.isdir(w) and w.rstrip("/").rsplit("/", 1)[-1] not in named and self._age_s(w) > max_age_s]

    def hold_lock(self) -> bool:
        """No lock on object storage (nothing is locked there, see above): never known to be alone."""
        return False

    def recover(self, alone: bool = False) -> list[str]:
        """Remove what dead writers left: their temporary folders in the mirror, and remote files that
        no manifest names once they are ``ORPHAN_AGE_S`` old (a live writer's are younger)."""
        touched = []
        if self.root.exists():
            for d in sorted(self.root.glob("*/.tmp-*")):
                if settle_leftover(d, d.name.split("-")[2]):
                    touched.append(str(d))
        for _, folder in self._entries():
            for w in self._orphans(folder, ORPHAN_AGE_S):
                self.fs.rm(w, recursive=True)
                touched.append(w)
        return touched

    def gc(self, live: dict[str, str]) -> list[str]:
        """Delete entries whose key is not in ``live``, and every file their manifests do not name."""
        removed = []
        for name, folder in self._entries():
            if live.get(name, "")[:16] != folder.rsplit("/", 1)[-1]:
                self.fs.rm(folder, recursive=True)
                removed.append(folder)
            else:
                for w in self._orphans(folder, 0.0):
                    self.fs.rm(w, recursive=True)
                    removed.append(w)
        for d in sorted(self.root.glob("*/*")) if self.root.exists() else []:   # the mirror follows
            if d.is_dir() and not d.name.startswith(".") and live.get(d.parent.name, "")[:16] != d.name:
                shutil.rmtree(d, ignore_errors=True)
        return removed


def open_store(spec) -> ResultStore:
    """``--cache``: a folder (``store.Store``) or an fsspec URL (``ObjectStore``)."""
    return ObjectStore(str(spec)) if is_url(spec) else Store(Path(spec))
