"""Section 15 and Part A's readings, built end to end on tiny models.

The readings of anagrams, hybrids and SDEdit reuse the tiny report's cache (tests/engine/test_build.py);
the DDPM-against-flow comparison also needs section 14's results, so it is marked slow.
"""
import re
import shutil

import pytest

from .tiny_report import TINY_SCRATCH, assert_floors_at_equal_sizes, build, page

READINGS = {
    "anagrams": {"candidates": 3, "shown": 2},
    "hybrids": {"candidates": 3, "shown": 2, "sigmas_at_64": [2.0, 6.0]},
    "sdedit": {"reads": 3, "images": ["test"], "i_starts": [10, 20], "compare_i_start": 20},
}


def tables(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)) for t in re.findall(r"<table.*?</table>", html, re.S)]


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


@pytest.mark.slow
def test_ddpm_against_flow_and_the_best_model(tmp_path):
    tiny = TINY_SCRATCH | {
        "train_class_ddpm": {"epochs": 20, "D": 4, "T": 30, "batch_size": 4000, "keep_epochs": [5, 20]},
        "train_time_ddpm": {"epochs": 20, "D": 4, "T": 30, "batch_size": 4000, "keep_epochs": [5, 20]},
        "ddpm_results": {"eval_per_digit": 2, "show_per_digit": 1, "time_show": 10},
        "improved_results": {"eval_per_digit": 2, "steps": [1, 2], "show_steps": [2], "trajectory_steps": 2,
                             "best_per_digit": 2, "gammas": [1.0, 3.0]},
    }
    figs = [f"improved_results/{a}" for a in ("steps_plot", "steps", "samples", "ema", "guidance", "best",
                                              "best_samples", "ddpm_trajectory",
                                              "flow_trajectory", "flow_loss")] + ["part_a_model/choice"]
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "index.md").write_text(page(tiny, figs))
    code, _, _ = build(tmp_path)
    assert code == 0
    t = tables((tmp_path / "site" / "tiny" / "index.html").read_text())
    steps = next(x for x in t if "network evaluations" in x)
    for sampler in ("DDPM", "DDIM", "flow, Euler", "flow, Heun"):
        assert sampler in steps
    assert "the floor" in steps
    guidance = next(x for x in t if "CFG scale samples recognised" in x)
    assert guidance.count("yes") == 1 and " 1.0 " in guidance and " 3.0 " in guidance
    assert re.search(r"steps, CFG scale [13] 20 ", next(x for x in t if "samples of" in x and "worst digit" in x))
    assert assert_floors_at_equal_sizes(tmp_path / "cache") == 5   # steps, EMA, guidance, best, Part A's choice
    choice = next(x for x in t if "Part A runs on it" in x)
    assert choice.count("yes") == 1
