"""Section 15: which scratch model Part A runs on, by a stated rule (most recognised; a tie goes to the
lower Fréchet distance), measured with Part A's own sampler."""
import json

from generator.experiments.part_a_model import CANDIDATES, choose


def test_part_a_choice_rule():
    res = {"a": {"recognised": 0.9, "fid": 10.0}, "b": {"recognised": 0.95, "fid": 50.0},
           "c": {"recognised": 0.95, "fid": 20.0}}
    assert choose(res) == "c"                        # most recognised; tie -> lower FID
    assert choose({"a": res["a"]}) == "a"

def test_the_tiny_reports_choice_follows_the_rule_on_equal_sample_sizes(golden):
    """The golden tiny report's three candidates: the recorded choice is the rule's, the table marks
    it once, and every candidate and the floor are judged on as many images."""
    (man_path,) = (golden / "cache" / "part_a_model").glob("*/manifest.json")
    files = {a: v["files"]["main"] for a, v in json.loads(man_path.read_text())["artifacts"].items()}
    metrics = json.loads((man_path.parent / files["metrics"]).read_text())
    table = json.loads((man_path.parent / files["choice"]).read_text())
    assert set(metrics["candidates"]) == set(CANDIDATES)
    assert metrics["choice_label"] == choose(metrics["candidates"])
    assert [r[0] for r in table["rows"] if r[-1] == "yes"] == [metrics["choice_label"]]
    sizes = {c["samples"] for c in metrics["candidates"].values()} | {metrics["floor"]["samples"]}
    assert sizes == {20}                                     # eval_per_digit 2 of each of 10 digits
