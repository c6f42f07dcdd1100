"""``python build.py --import-results FILE|DIR|URL``: results computed elsewhere, brought in verified.

A GPU machine or Colab (notebooks/colab.ipynb) computes results this machine cannot and hands back
their cache entries, as a zip or a folder laid out as the cache is (``NAME/KEY16/manifest.json``
and the artifact files). Each entry is checked before it is added to the cache:

1. its manifest has the right shape and names only plain files inside the entry;
2. every file matches the sha256 its manifest records;
3. its key is the hash of its ingredients (nothing was edited after it was made);
4. the key is the one this checkout would give the same experiment: planned here from the local
   code and content, with the Part A model the entry records. An entry made from other code or
   other parameters is refused with what differs.

Entries already in the cache are never touched; a new entry is copied to a temporary folder and
renamed into place, as the build writes its own.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..errors import BuildError
from . import content, registry, resources
from ..paths import ROOT
from .keys import explain_change, key_of, sha256_file
from .store import MANIFEST, manifest_problem

if TYPE_CHECKING:   # imported where used: planning loads torch
    from .plan import Node


def _materialise(spec: str, work: Path) -> Path:
    """A folder holding the entries: ``spec`` itself, a zip unpacked, or a URL fetched then unpacked."""
    if spec.startswith(("http://", "https://")):
        dest = work / "download.zip"
        try:
            urllib.request.urlretrieve(spec, dest)  # noqa: S310 (the user's own URL)
        except OSError as e:
            raise BuildError(f"cannot download '{spec}' ({e}). Fix: check the URL, or download the file and "
                             "pass its path", "--import-results") from None
        spec = str(dest)
    path = Path(spec)
    if path.is_dir():
        return path
    if not path.is_file():
        raise BuildError(f"'{spec}' is neither a file, a folder nor an http(s) URL. Fix: pass the zip or folder "
                         "the notebook or build produced", "--import-results")
    if not zipfile.is_zipfile(path):
        raise BuildError(f"'{spec}' is not a zip file. Fix: pass the zip the notebook produced, or a folder",
                         "--import-results")
    out = work / "unpacked"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            p = PurePosixPath(name)
            if p.is_absolute() or ".." in p.parts:
                raise BuildError(f"'{spec}' holds a file outside its own folder ({name}); refused whole",
                                 "--import-results")
        z.extractall(out)
    return out


def _entries(folder: Path) -> list[Path]:
    """Every entry folder below ``folder`` (a folder holding a manifest), wherever the zip rooted them."""
    return sorted(p.parent for p in folder.rglob(MANIFEST) if not p.parent.name.startswith("."))


def verify(d: Path) -> tuple[dict | None, str]:
    """(manifest, '') for an intact entry folder, else (None or the manifest, the reason)."""
    try:
        man = json.loads((d / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        return None, f"unreadable manifest ({type(e).__name__})"
    problem = manifest_problem(man)
    if problem:   # still read what it says it is, for the table and the plan
        ok = isinstance(man, dict) and isinstance(man.get("ingredients"), dict)
        return (man if ok else None), problem
    if key_of(man["ingredients"]) != man["key"]:
        return man, "its key is not the hash of its ingredients (edited after it was made)"
    if d.name != man["key"][:16] or man["ingredients"].get("name") != d.parent.name:
        return man, f"its folder {d.parent.name}/{d.name} does not match its manifest"
    for art in man["artifacts"].values():
        for fname, digest in art["sha256"].items():   # plain names: checked by manifest_problem
            if not (d / fname).is_file():
                return man, f"file {fname} is missing"
            if sha256_file(d / fname) != digest:
                return man, f"file {fname} does not match its sha256 (damaged or edited)"
    return man, ""


def _local_keys(mans: list[dict], args) -> dict[str, Node]:
    """{experiment: planned node}, planned from this checkout's code and content as a build would plan
    them (the page's figures and the imported experiments), with the resources' choices (the model
    that drew them) and the seed that the entries ``mans`` record."""
    from .plan import Environment, Options, page_roots, plan
    from .object_store import open_store

    experiments = registry.discover()
    pages = content.gather(args.content, ROOT)
    overrides, lines = content.merged_overrides(pages)
    store = open_store(args.cache)
    seeds = {m["ingredients"].get("seed") for m in mans}
    if len(seeds) > 1:
        raise BuildError(f"the results come from several seeds ({', '.join(sorted(map(str, seeds)))}). Fix: import "
                         "one build's results at a time", "--import-results")
    extra: dict[str, dict[str, str]] = {}
    declared = resources.declared(pages)     # the imported results' choice of a declared one wins below
    for name, r in resources.registered().items():
        found = {i for m in mans if (i := resources.identity_in(m["ingredients"], r))}
        if len(found) > 1:
            raise BuildError(f"the results come from several choices of {name} ({', '.join(sorted(found))}). Fix: "
                             "import one build's results at a time", "--import-results")
        ident = next(iter(found), None)
        extra[name] = {r.group_of(ident): ident} if ident else {}
        if ident and r.front_matter_key:
            declared[name] = r.group_of(ident)
    opts = Options(seed=next(iter(seeds)), device="cpu", frozen=True, cache_dir=Path(args.cache),
                   content_dir=Path(args.content))
    env = Environment(opts, resources.configure(args, experiments, store, True, declared, extra))
    names = {m["ingredients"].get("name") for m in mans} & set(experiments)
    roots = page_roots(pages, overrides, env.resources) | names
    nodes = plan(experiments, overrides, env, store, lines, roots=sorted(roots))
    return {n.name: n for n in nodes}


def import_results(spec: str, args) -> int:
    with tempfile.TemporaryDirectory(prefix="fwd-import-") as work:
        folder = _materialise(spec, Path(work))
        dirs = _entries(folder)
        if not dirs:
            raise BuildError(f"no cache entries (NAME/KEY/manifest.json) in '{spec}'. Fix: pass the zip or folder "
                             "of results the notebook or build produced", "--import-results")
        checked = [(d, *verify(d)) for d in dirs]
        readable = [man for _, man, _ in checked if man is not None]   # tell which model and seed
        local = _local_keys(readable, args) if any(not why for _, _, why in checked) else {}
        store_root = Path(args.cache)
        rows, refused = [], 0
        for d, man, why in checked:
            name = man["ingredients"].get("name", d.parent.name) if man else d.parent.name
            if man is not None and not why:
                node = local.get(name)
                if node is None:
                    why = f"no experiment '{name}' in this checkout"
                elif node.key != man["key"]:
                    diff = "; ".join(explain_change(man["ingredients"], node.ingredients))
                    why = f"made from other code or parameters than this checkout's (entry -> checkout: {diff})"
            if why or man is None:   # verify() gives a reason whenever it has no manifest
                refused += 1
                rows.append((name, "refused", why))
                continue
            final = store_root / name / man["key"][:16]
            if (final / MANIFEST).exists():
                rows.append((name, "already in the cache", "left as it is"))
                continue
            tmp = final.parent / f".tmp-{man['key'][:16]}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(d, tmp)
            os.replace(tmp, final)
            made_with = [i for r in resources.registered().values()
                         if (i := resources.identity_in(man["ingredients"], r))]
            rows.append((name, "imported", ", ".join([man["provenance"].get("device", ""), *made_with])))
    width = max(len(r[0]) for r in rows)
    for name, status, why in rows:
        print(f"{name.ljust(width)}  {status}: {why}")
    imported = sum(1 for r in rows if r[1] == "imported")
    print(f"{imported} imported, {len(rows) - imported - refused} already in the cache, {refused} refused")
    if refused:
        raise BuildError(f"{refused} of {len(rows)} entries refused (reasons above); the others were imported. "
                         "Fix: compute them with this checkout's code and content (same commit)", "--import-results")
    return 0
