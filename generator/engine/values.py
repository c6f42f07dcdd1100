"""Numbers in the prose that come from the results, so a sentence never states a stale number.

A Markdown link whose target is ``val:EXPERIMENT/ARTIFACT`` and whose title names a cell is replaced,
when the page is rendered, by that cell as the figure shows it::

    recognised [99.7%](val:improved_results/guidance "2.5 | recognised") of the time
    the flow loss starts at [1.91](val:train_flow/log "losses.0 | .2f")

* a ``table`` artifact: ``"ROW | COLUMN"``, the one row whose first cell is ROW (the label the table
  shows; where several rows share it, ``"flow, Euler / 4"`` names the leading cells; a label too long
  to repeat may be given by its beginning) and the column whose header is COLUMN;
* a title that contains double quotes is written in single ones: ``'"a handwritten 6" | recognised'``;
* a ``metrics`` artifact: ``"KEY"`` or ``"KEY.INDEX"`` (a list's item, from 0);
* either may end with ``| FORMAT``, a Python format spec for a number (``.1%``, ``.0f``, ``,``).

The link's text is what the author read when writing the sentence. The page always shows the result;
where the two differ (a recompute moved the number) the build prints the line, so that the sentence
around it is read again: a comparison in words ("falls fivefold") cannot follow a number by itself.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import BuildError

VALUE = re.compile(r"\[(?P<text>[^\]]+)\]\(val:(?P<exp>[\w-]+)/(?P<artifact>[\w.-]+)\s+"
                   r"(?:\"(?P<cell>[^\"]+)\"|'(?P<cell_sq>[^']+)')\)")
ANY_VALUE = re.compile(r"\(val:")


@dataclass
class ValueRef:
    experiment: str
    artifact: str
    cell: str           # "ROW | COLUMN", "KEY", "KEY.INDEX", each optionally "| FORMAT"
    text: str           # what the prose says
    where: str          # "content/index.md:42"
    only_on: Optional[str] = None   # inside <div class="on-MODEL">: that Part A model's page only

    def shown_on(self, variant: Optional[str]) -> bool:
        return self.only_on in (None, variant)


def _ref(m: re.Match, where: str, only_on: Optional[str] = None) -> ValueRef:
    return ValueRef(m["exp"], m["artifact"], m["cell"] or m["cell_sq"], m["text"], where, only_on)


def find(line: str, where: str, only_on: Optional[str] = None) -> list[ValueRef]:
    """The value links of one line; a ``(val:`` that is not one is an error at its line."""
    found = [_ref(m, where, only_on) for m in VALUE.finditer(line)]
    if len(ANY_VALUE.findall(line)) != len(found):
        raise BuildError('a number from a result is written [the number](val:experiment/artifact "row | column") '
                         'for a table or [the number](val:experiment/artifact "key") for metrics', where)
    return found


def _number(value: Any, spec: Optional[str]) -> str:
    from .render import number_text

    if spec is None:
        return number_text(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the format '{spec}' needs a number, and the cell holds {value!r}")
    return format(value, spec)


def lookup(kind: str, data: Any, cell: str) -> str:
    """The text of ``cell`` in a table's or a metrics file's JSON ``data``; ValueError says what is missing."""
    parts = [p.strip() for p in cell.split("|")]
    if kind == "table":
        if len(parts) not in (2, 3):
            raise ValueError(f"'{cell}' names no cell of a table: write \"row | column\"")
        row, column, spec = parts[0], parts[1], parts[2] if len(parts) == 3 else None
        columns = [str(c) for c in data["columns"]]
        lead = [c.strip() for c in row.split(" / ")]
        rows = ([r for r in data["rows"] if str(r[0]) == row]       # the whole label
                or [r for r in data["rows"] if [str(c) for c in r[:len(lead)]] == lead]   # leading cells
                or [r for r in data["rows"] if str(r[0]).startswith(row)])   # the label's beginning
        if not rows:
            labels = list(dict.fromkeys(str(r[0]) for r in data["rows"]))
            raise ValueError(f"no row '{row}'; the rows are {', '.join(labels)}")
        if len(rows) > 1:
            raise ValueError(f"{len(rows)} rows begin with '{row}': name more of their leading cells, "
                             f"e.g. '{' / '.join(str(c) for c in rows[0][:len(lead) + 1])}'")
        if column not in columns:
            raise ValueError(f"no column '{column}'; the columns are {', '.join(columns)}")
        return _number(rows[0][columns.index(column)], spec)
    if kind == "metrics":
        if len(parts) not in (1, 2):
            raise ValueError(f"'{cell}' names no value of a metrics file: write \"key\" or \"key.index\"")
        key, _, index = parts[0].partition(".")
        if key not in data:
            raise ValueError(f"no value '{key}'; there are {', '.join(sorted(data))}")
        value = data[key]
        if index:
            if not (index.isdigit() and isinstance(value, list) and int(index) < len(value)):
                raise ValueError(f"'{key}' has no item {index}")
            value = value[int(index)]
        if isinstance(value, (list, dict)):
            raise ValueError(f"'{key}' is a list or a mapping, not one number: name an item, e.g. {key}.0")
        return _number(value, parts[1] if len(parts) == 2 else None)
    raise ValueError(f"a number can come from a table or metrics artifact, and this one is a {kind}")


def check(ref: ValueRef, experiments: dict) -> None:
    """The link names a known experiment and a table or metrics artifact of it (before anything runs)."""
    if ref.experiment not in experiments:
        raise BuildError(f"unknown experiment '{ref.experiment}' in a number's link. Fix: use one of "
                         f"{', '.join(sorted(experiments))}", ref.where)
    arts = experiments[ref.experiment].artifacts
    if arts.get(ref.artifact) not in ("table", "metrics"):
        usable = [a for a, k in arts.items() if k in ("table", "metrics")]
        raise BuildError(f"experiment '{ref.experiment}' has no table or metrics artifact '{ref.artifact}'. "
                         f"Fix: use one of {', '.join(usable) or '(none)'}", ref.where)


def text_of(ref: ValueRef, entry) -> str:
    """The cell's text in ``entry`` (a cache entry of ``ref.experiment``)."""
    art = entry.artifact(ref.artifact)
    data = json.loads((Path(entry.path) / art["files"]["main"]).read_text())
    try:
        return lookup(art["kind"], data, ref.cell)
    except ValueError as e:
        raise BuildError(f"the number '{ref.text}' names {ref.experiment}/{ref.artifact} \"{ref.cell}\": {e}. "
                         "Fix: name a cell the result has", ref.where) from None


def substitute(line: str, where: str, entries: dict, notes: list[str]) -> str:
    """``line`` with each value link replaced by its result's text; a note for each that the prose had
    written otherwise. (A line for another Part A model is not passed here: its block is dropped.)"""
    def sub(m: re.Match) -> str:
        ref = _ref(m, where)
        value = text_of(ref, entries[ref.experiment])
        if value != ref.text:
            notes.append(f"{where}: the prose says {ref.text} where {ref.experiment}/{ref.artifact} now gives "
                         f"{value}; the page shows {value}. Read that sentence again")
        return value

    return VALUE.sub(sub, line)
