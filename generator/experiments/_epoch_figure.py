"""The figure of a training watched epoch by epoch (``_watched``), for the results experiments."""
from __future__ import annotations

from .. import media


def epoch_frames(entry, row_labels: list[str], col_labels: list[str], note: str,
                 rows: int | None = None) -> media.Frames:
    """A training entry's looks (``epochN`` -> (rows, cols, C, H, W)) as one figure the page scrubs
    epoch by epoch, 2 frames a second when played; ``rows`` keeps only the first rows of each look."""
    looks = entry.tensors("looks")
    epochs = range(1, len(looks) + 1)
    grids = [[list(row.clamp(0, 1)) for row in looks[f"epoch{e}"][:rows]] for e in epochs]
    return media.Frames(grids, [f"epoch {e}" for e in epochs], row_labels, col_labels, note, axis="epoch", fps=2)
