"""Numbers in the prose taken from results (generator/engine/values.py): the page shows the result's
cell, the build names a sentence whose number moved, a bad link is an error at its line, and every
number of the committed report is the committed result's."""
import json
import re

import pytest

from generator.engine import content, registry, values
from generator.engine.store import Entry
from generator.errors import BuildError
from generator.paths import ROOT

from ..tiny_report import build

TABLE = {"columns": ["model", "steps", "FID", "recognised"],
         "rows": [["epoch 5", 300, 983.778, "9%"], ["flow, Euler", 1, 150.2, "100%"], ["flow, Euler", 2, 76.1, "99%"],
                  ["real training digits (floor)", "", 5.569, "97%"]]}


def test_a_table_cell_is_found_by_its_row_label_and_column_header_and_written_as_the_table_writes_it():
    assert values.lookup("table", TABLE, "epoch 5 | FID") == "984"          # number_text: 3 significant digits
    assert values.lookup("table", TABLE, "real training digits (floor) | recognised") == "97%"
    assert values.lookup("table", TABLE, "epoch 5 | FID | .1f") == "983.8"  # a format of the author's choice
    assert values.lookup("table", TABLE, "flow, Euler / 2 | FID") == "76.1"  # rows that share a label: more cells
    assert values.lookup("table", TABLE, "real training | FID") == "5.57"     # a long label by its beginning


def test_a_metrics_value_is_found_by_its_key_or_an_item_of_a_list():
    data = {"test_accuracy": 0.9700000286102295, "per_class": [0.9885, 0.9808], "test_images": 1000}
    assert values.lookup("metrics", data, "test_accuracy | .1%") == "97.0%"
    assert values.lookup("metrics", data, "per_class.1 | .0%") == "98%"
    assert values.lookup("metrics", data, "test_images") == "1,000"


@pytest.mark.parametrize("kind, cell, says", [
    ("table", "epoch 6 | FID", "no row 'epoch 6'; the rows are epoch 5, flow, Euler, real training digits (floor)"),
    ("table", "flow, Euler | FID", "2 rows begin with 'flow, Euler': name more of their leading cells, e.g. "
                                   "'flow, Euler / 1'"),
    ("table", "epoch 5 | KID", "no column 'KID'"),
    ("table", "epoch 5", "write \"row | column\""),
    ("table", "epoch 5 | recognised | .1%", "needs a number"),
    ("metrics", "per_class", "a list or a mapping"),
    ("metrics", "per_class.7", "has no item 7"),
    ("metrics", "accuracy", "no value 'accuracy'"),
])
def test_a_cell_that_is_not_there_says_what_is(kind, cell, says):
    data = TABLE if kind == "table" else {"per_class": [0.9, 0.8], "test_accuracy": 0.97}
    with pytest.raises(ValueError, match=re.escape(says)):
        values.lookup(kind, data, cell)


def test_a_malformed_value_link_is_an_error_at_its_line():
    assert values.find('it reads [97%](val:mnist_classifier/accuracy "test_accuracy | .0%") of them', "p.md:3")
    quoted = values.find('''works in [16 of 16](val:anagrams/readings '"a handwritten 6" | candidates that work')''', "p.md:4")
    assert quoted[0].cell == '"a handwritten 6" | candidates that work'
    with pytest.raises(BuildError, match="p.md:7"):
        values.find("it reads [97%](val:mnist_classifier/accuracy) of them", "p.md:7")   # no cell named


def test_the_page_shows_the_result_and_the_build_names_a_sentence_whose_number_moved(proj, capsys):
    page = proj / "content" / "index.md"
    text = page.read_text()
    page.write_text(text + '\nThe judge reads [12.3%](val:mnist_classifier/accuracy "test_accuracy | .1%") '
                           'of the held-out digits.\n')
    code, out, err = build(proj, "--frozen", capsys=capsys)
    assert code == 0, err
    entry = next((proj / "cache" / "mnist_classifier").glob("*/accuracy.json"))
    truth = f"{json.loads(entry.read_text())['test_accuracy']:.1%}"
    html = (proj / "site" / "tiny" / "index.html").read_text()
    assert f"The judge reads {truth} of the held-out digits." in html and "val:" not in html
    line = len(text.splitlines()) + 2
    assert f"index.md:{line}: the prose says 12.3% where mnist_classifier/accuracy now gives {truth}" in out


def test_a_value_link_to_an_unknown_experiment_or_an_image_fails_before_anything_runs(proj, capsys):
    page = proj / "content" / "index.md"
    for link, says in [('[1](val:no_such/accuracy "x")', "unknown experiment 'no_such'"),
                       ('[1](val:forward_process/noisy "x")', "no table or metrics artifact 'noisy'")]:
        page.write_text(page.read_text().split("\nLINK")[0] + f"\nLINK {link}\n")
        code, _, err = build(proj, "--frozen", capsys=capsys)
        assert code == 2 and says in err and "index.md:" in err


def committed_entry(name: str) -> Entry:
    manifests = list((ROOT / "cache" / name).glob("*/manifest.json"))
    assert len(manifests) == 1, f"{name}: {len(manifests)} committed entries"
    return Entry(manifests[0].parent, json.loads(manifests[0].read_text()))


def test_every_number_the_report_takes_from_a_result_is_what_the_committed_result_says():
    """The committed page's prose was written from the committed results: a recompute that moves a
    number fails here until its sentence has been read again and its number updated."""
    experiments = registry.discover()
    refs = [v for page in content.gather(ROOT / "content", ROOT) for v in page.values]
    assert len(refs) >= 20, "sections 13-15 take their numbers from the results"
    for ref in refs:
        values.check(ref, experiments)
        assert values.text_of(ref, committed_entry(ref.experiment)) == ref.text, ref
