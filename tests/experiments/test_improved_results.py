"""Section 15: samplers, EMA, guidance and the best configuration of the improved models, by stated rules."""
import re

import pytest

from generator.experiments.improved_results import best_configuration, best_guidance

from ..tiny_report import TINY_SCRATCH, assert_floors_at_equal_sizes, build, page, tables


def test_best_configuration_rule():
    c = [{"evaluations": 1, "recognised": 1.0, "fid": 80.0}, {"evaluations": 8, "recognised": 0.99, "fid": 60.0},
         {"evaluations": 16, "recognised": 0.97, "fid": 40.0}, {"evaluations": 1000, "recognised": 1.0, "fid": 10.0}]
    assert best_configuration(c, 64, 0.98)["evaluations"] == 8       # lowest FID among the well recognised
    assert best_configuration(c, 64, 0.995)["evaluations"] == 1      # only one qualifies
    assert best_configuration(c, 2000, 0.98)["evaluations"] == 1000  # the budget decides what may compete
    assert best_configuration(c[2:3], 64, 0.98)["evaluations"] == 16  # none qualifies: the most recognised


def test_best_guidance_rule():
    def r(gamma, rec, worst, fid):
        return {"gamma": gamma, "recognised": rec, "recognised_per_digit": [worst] + [1.0] * 9, "fid": fid}

    tried = [r(1.5, 0.97, 0.90, 17.0), r(2.0, 0.989, 0.93, 13.8), r(2.5, 0.996, 0.97, 23.1), r(3.0, 0.997, 0.97, 37.5)]
    assert best_guidance(tried, 0.98, 0.95)["gamma"] == 2.5   # 2.0 has the lower FID but a digit below 95%
    assert best_guidance(tried, 0.98, 0.90)["gamma"] == 2.0   # without that bar, the lowest FID of the recognised
    assert best_guidance(tried, 0.999, 0.95)["gamma"] == 3.0  # none qualifies: the most recognised


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
    # steps, EMA, guidance, best, Part A's choice, and section 14's quality (its page is built too)
    assert assert_floors_at_equal_sizes(tmp_path / "cache") == 6
    choice = next(x for x in t if "Part A runs on it" in x)
    assert choice.count("yes") == 1
