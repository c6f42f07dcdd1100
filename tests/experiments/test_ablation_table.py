"""Section 15's ablation table is read from the benchmark's record: every run a row, the page's model
first, a broken line an error at its line."""
import json

import pytest

from generator.errors import BuildError
from generator.experiments import ablation_table


def record(tmp_path, monkeypatch, lines: list[str]) -> ablation_table.Params:
    monkeypatch.setattr(ablation_table, "ROOT", tmp_path)
    (tmp_path / "runs.jsonl").write_text("\n".join(lines) + "\n")
    return ablation_table.Params(results="runs.jsonl")


def run_line(variant: str, seed: int, seconds: float, fid: float) -> str:
    return json.dumps({"variant": variant, "seed": seed, "train_seconds": seconds,
                       "heun4_1000": {"recognised": 0.996, "worst_digit": 0.96, "fid": fid},
                       "part_a_sampler_100": {"recognised": 1.0, "worst_digit": 1.0, "fid": 36.04}})


def test_every_run_is_a_row_with_the_pages_model_first(tmp_path, monkeypatch):
    p = record(tmp_path, monkeypatch, [run_line("batchnorm", 180, 1167.8, 34.243),
                                       run_line("full", 182, 940.7, 58.2), run_line("committed", 180, 0, 24.32)])
    table = ablation_table.run(p, None)["runs"]
    assert [r[0] for r in table["rows"]] == ["this page's, seed 180", "the same, seed 182", "BatchNorm, not GroupNorm"]
    assert table["rows"][0][1:] == ["99.6% (96%)", "24.3", "100%, 36.0", "trained by the build"]
    assert table["rows"][2][-1] == "19 min"
    assert all(len(r) == len(table["columns"]) for r in table["rows"])


def test_the_committed_record_is_read_and_keyed_as_an_input():
    assert ablation_table.Params().input_files() == ["bench/results/ablation.jsonl"]
    rows = ablation_table.run(ablation_table.Params(), None)["runs"]["rows"]
    assert len(rows) == len((ablation_table.ROOT / "bench/results/ablation.jsonl").read_text().splitlines())


def test_a_broken_line_is_an_error_at_its_line(tmp_path, monkeypatch):
    p = record(tmp_path, monkeypatch, [run_line("committed", 180, 0, 24.3), "{not json"])
    with pytest.raises(BuildError) as e:
        ablation_table.run(p, None)
    assert "runs.jsonl:2" in str(e.value)
    p = record(tmp_path, monkeypatch, ['{"variant": "full", "seed": 1}'])
    with pytest.raises(BuildError, match="lacks heun4_1000, part_a_sampler_100, train_seconds"):
        ablation_table.run(p, None)
