"""Part A's readings (anagrams, hybrids, SDEdit) on the golden tiny report's models: the project's digit
classifier ranks every candidate, and each table counts how many of all candidates work."""
import re
import shutil

from ..tiny_report import TINY_SCRATCH, build, page, tables

READINGS = {
    "anagrams": {"candidates": 3, "shown": 2},
    "hybrids": {"candidates": 3, "shown": 2, "sigmas_at_64": [2.0, 6.0]},
    "sdedit": {"reads": 3, "images": ["test"], "i_starts": [10, 20], "compare_i_start": 20},
}


def test_part_a_readings_rank_and_count_every_candidate(golden, tmp_path):
    shutil.copytree(golden / "cache", tmp_path / "cache")
    (tmp_path / "content").mkdir()
    figs = ["anagrams/illusions", "anagrams/readings", "hybrids/hybrids", "hybrids/readings", "hybrids/blurs",
            "sdedit/readings"]
    (tmp_path / "content" / "index.md").write_text(page(TINY_SCRATCH | READINGS, figs))
    code, _, _ = build(tmp_path, "--only", "anagrams", "hybrids", "sdedit")
    assert code == 0
    t = tables((tmp_path / "site" / "tiny" / "index.html").read_text())
    anagram = next(x for x in t if "P(upright) / P(view)" in x)
    assert len(re.findall(r"\b[0-3] of 3\b", anagram)) == 3            # one success count per illusion
    scores = [float(v) for v in re.findall(r"\b[01]\.\d\d\b", anagram)]
    assert len(scores) == 3 * 2 * 2 and all(0 <= v <= 1 for v in scores)
    hybrid = next(x for x in t if "P(close up) / P(from afar)" in x)
    assert len(re.findall(r"\b[0-3] of 3\b", hybrid)) == 3
    blurs = next(x for x in t if "sigma 2.0 at 64 px" in x)
    assert blurs.count(" shown") == 1 and len(re.findall(r"\b[0-3] of 3\b", blurs)) == 3 * 2
    sd = next(x for x in t if "read as" in x)
    assert "its own" in sd and len(re.findall(r"\b\d+%", sd)) == 2     # one share per i_start
