"""The figure of a training watched epoch by epoch (``_watched``), for the results experiments."""
from __future__ import annotations

from .. import media


def looked_at(entry) -> list[int]:
    """The epochs after which a training entry took a look, in order."""
    return sorted(int(k[5:]) for k in entry.tensors("looks"))


def epochs_phrase(epochs: list[int]) -> str:
    """'every epoch' where no epoch was skipped, else 'epochs 1, 2, 5 and 20'."""
    if epochs == list(range(1, len(epochs) + 1)):
        return "every epoch"
    if len(epochs) == 1:
        return f"epoch {epochs[0]}"
    return f"epochs {', '.join(map(str, epochs[:-1]))} and {epochs[-1]}"


def epoch_frames(entry, row_labels: list[str], col_labels: list[str], note: str,
                 rows: int | None = None) -> media.Frames:
    """A training entry's looks (``epochN`` -> (rows, cols, C, H, W)) as one figure the page scrubs
    look by look, 2 frames a second when played; ``rows`` keeps only the first rows of each look."""
    looks = entry.tensors("looks")
    epochs = looked_at(entry)
    grids = [[list(row.clamp(0, 1)) for row in looks[f"epoch{e}"][:rows]] for e in epochs]
    return media.Frames(grids, [f"epoch {e}" for e in epochs], row_labels, col_labels, note, axis="epoch", fps=2)
