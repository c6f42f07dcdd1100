"""Compare each experiment's newest cache entry with the one it replaces, artifact by artifact.

    python bench/compare_entries.py [--cache cache] [NAME ...] > report.md

For a recompute: every artifact of the new entry is set beside the artifact of the same name in the
entry before it (by provenance date): byte-identical, or what differs: the numbers of a table or
metrics file (each changed cell, old -> new), an image's largest and mean pixel difference (same
size only), a checkpoint's largest weight difference. Artifacts only one side has are listed. Prints
Markdown; reads the cache, never writes it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Iterator


def entries(folder: Path) -> list[tuple[str, Path, dict]]:
    """(date, entry folder, manifest) of every entry of one experiment, oldest first."""
    found = []
    for m in folder.glob("*/manifest.json"):
        manifest = json.loads(m.read_text())
        found.append((manifest["provenance"]["date"], m.parent, manifest))
    return sorted(found, key=lambda e: e[0])


def flat(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) of a JSON value: 'rows[2][1]' -> 5.569."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flat(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from flat(v, f"{path}[{i}]")
    else:
        yield path, value


def table_rows(doc: dict) -> dict[str, list]:
    """A table's rows by their first cell (a row keeps its label across recomputes)."""
    return {str(r[0]): list(r[1:]) for r in doc.get("rows", []) if r}


def compare_json(old: Any, new: Any) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict) and isinstance(old.get("rows"), list) \
            and isinstance(new.get("rows"), list):
        lines = []
        if old.get("columns") != new.get("columns"):
            lines.append(f"columns {old.get('columns')} -> {new.get('columns')}")
        a, b = table_rows(old), table_rows(new)
        for label in list(a) + [x for x in b if x not in a]:
            if label not in b:
                lines.append(f"row '{label}' removed: {a[label]}")
            elif label not in a:
                lines.append(f"row '{label}' added: {b[label]}")
            elif a[label] != b[label]:
                lines.append(f"row '{label}': {a[label]} -> {b[label]}")
        return lines
    a, b = dict(flat(old)), dict(flat(new))
    lines = []
    for k in list(a) + [x for x in b if x not in a]:
        if a.get(k, "(absent)") != b.get(k, "(absent)"):
            lines.append(f"{k}: {a.get(k, '(absent)')} -> {b.get(k, '(absent)')}")
    return lines


def compare_image(old: Path, new: Path) -> str:
    import numpy as np
    from PIL import Image

    with Image.open(old) as x, Image.open(new) as y:
        if x.size != y.size:
            return f"size {x.size} -> {y.size}"
        d = np.abs(np.asarray(x.convert("RGB"), dtype=np.int16) - np.asarray(y.convert("RGB"), dtype=np.int16))
        return f"pixels differ: largest {d.max()} grey levels, mean {d.mean():.2f}"


def compare_weights(old: Path, new: Path) -> str:
    from safetensors.torch import load_file

    a, b = load_file(str(old)), load_file(str(new))
    if set(a) != set(b):
        return f"tensors {sorted(set(a) ^ set(b))[:5]} on one side only"
    worst = max(((a[k].float() - b[k].float()).abs().max().item(), k) for k in a if a[k].shape == b[k].shape)
    return f"weights differ: largest |difference| {worst[0]:.3g} (in {worst[1]})"


def compare_files(old: Path, new: Path) -> str:
    if old.read_bytes() == new.read_bytes():
        return "byte-identical"
    if new.suffix == ".json":
        lines = compare_json(json.loads(old.read_text()), json.loads(new.read_text()))
        return "; ".join(lines[:40]) + (f"; ... {len(lines) - 40} more" if len(lines) > 40 else "")
    if new.suffix in (".png", ".webp"):
        return compare_image(old, new)
    if new.suffix == ".safetensors":
        return compare_weights(old, new)
    return f"bytes differ ({old.stat().st_size} -> {new.stat().st_size})"


def report(cache: Path, names: list[str]) -> str:
    out = []
    for name in names:
        found = entries(cache / name)
        if len(found) < 2:
            out.append(f"## {name}\n\nonly {len(found)} entry: nothing to compare\n")
            continue
        (_, old_dir, old), (_, new_dir, new) = found[-2], found[-1]
        po, pn = old["provenance"], new["provenance"]
        out.append(f"## {name}\n\n{old['key'][:12]} ({po['date']}, {po.get('seconds')} s) -> "
                   f"{new['key'][:12]} ({pn['date']}, {pn.get('seconds')} s)\n")
        for art in sorted(set(old["artifacts"]) | set(new["artifacts"])):
            if art not in new["artifacts"]:
                out.append(f"* {art}: removed")
                continue
            if art not in old["artifacts"]:
                out.append(f"* {art}: added ({new['artifacts'][art]['kind']})")
                continue
            fo, fn = old["artifacts"][art]["files"], new["artifacts"][art]["files"]
            for role in sorted(set(fo) | set(fn)):
                if role not in fo or role not in fn:
                    out.append(f"* {art} [{role}]: {'added' if role in fn else 'removed'}")
                    continue
                out.append(f"* {art} [{role}]: {compare_files(old_dir / fo[role], new_dir / fn[role])}")
            mo, mn = old["artifacts"][art].get("meta", {}), new["artifacts"][art].get("meta", {})
            if mo != mn:
                out.append(f"  * meta: {'; '.join(compare_json(mo, mn)[:10])}")
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("cache"))
    ap.add_argument("names", nargs="*", help="experiments (default: every one in the cache)")
    args = ap.parse_args()
    names = args.names or sorted(p.name for p in args.cache.iterdir() if p.is_dir() and not p.name.startswith("."))
    print(report(args.cache, names))


if __name__ == "__main__":
    main()
