"""How metrics values read on the page."""
from generator.engine.render import column_labels, metric_text


def test_metric_text_formats_numbers_and_summarises_series():
    assert metric_text(1996417, "parameters") == "1,996,417"
    assert metric_text(0.96321, "test_accuracy") == "0.963"
    assert metric_text([40.0, 36.0, 38.0], "epoch_seconds") == "114 s in all, 38.0 s each (median of 3)"
    losses = [1.0 - i / 100 for i in range(40)]
    assert metric_text(losses, "losses") == "40 values, 1 first, 0.61 last"
    assert metric_text([0.5, 1.0], "per_class") == "0.5, 1"
    assert metric_text("mlxtend", "data") == "mlxtend"


def render(text: str, draw=lambda i: f'<figure class="fig" id="fig-{i + 1}">F{i}</figure>') -> str:
    import markdown

    from generator.engine.render import Figures, Maths

    return markdown.markdown(text, extensions=["md_in_html", "attr_list", Maths(), Figures(draw)],
                             output_format="html")


def test_tex_becomes_mathml_and_markdown_never_reads_its_underscores():
    html = render("Noise $x_t = a_t x_0 + b_t \\epsilon$ and *emphasis*.\n\n$$\\bar\\alpha_t = \\prod_s \\alpha_s$$\n")
    assert html.count("<math") == 2 and 'display="block"' in html and "<em>emphasis</em>" in html
    assert "<em>t" not in html and "$" not in html
    assert '<div class="math-block"><math' in html and "<p><div" not in html


def test_dollars_in_code_stay_code():
    html = render("Write `$x_t$` for inline math.")
    assert "<code>$x_t$</code>" in html and "<math" not in html


def test_figure_lines_become_figures_in_order_and_never_sit_in_a_paragraph():
    text = ("Intro.\n\n![First.](exp:a/x)\n\n<div markdown=\"1\">\n\n![Second.](exp:b/y)\n\n</div>\n\n"
            "Text right above\n![Third.](exp:c/z)\nand right below.\n")
    html = render(text)
    assert [html.index(f"F{i}") for i in range(3)] == sorted(html.index(f"F{i}") for i in range(3))
    assert "<p><figure" not in html and "exp:" not in html and "Text right above" in html


def test_column_labels_fit_without_breaking_words():
    assert column_labels([f"sample {i}" for i in range(1, 11)]) == [str(i) for i in range(1, 11)]
    assert column_labels(["i_start = 1 (t = 960)", "original"]) == ["i_start = 1\n(t = 960)", "original"]
    # shared word but not before a number, or too few columns: unchanged
    assert column_labels(["digit 4, 20 steps", "digit 4, 100 steps", "digit 7, 20 steps", "digit 7, 100 steps"]) == [
        "digit 4, 20 steps", "digit 4, 100 steps", "digit 7, 20 steps", "digit 7, 100 steps"]
    assert column_labels(["epoch 1", "epoch 2"]) == ["epoch 1", "epoch 2"]


def test_numbers_are_written_as_readers_write_them():
    from generator.engine.render import number_text

    assert [number_text(v) for v in (2760.4, 37.04, 0.963, 0.0, 1.2e-5, 12345)] == [
        "2,760", "37", "0.963", "0", "1.2 × 10⁻⁵", "12,345"]
    assert metric_text(2760.4, "fid") == "2,760"


def test_labels_are_set_as_maths_and_read_as_words():
    from generator.engine.render import label_words, maths_label

    assert maths_label("x_t") == "<i>x</i><sub><i>t</i></sub>"
    assert maths_label("x0 estimate") == "<i>x</i><sub>0</sub> estimate"
    assert maths_label("i_start = 10\n(t = 690)") == "<i>i</i><sub>start</sub> = 10\n(t = 690)"
    assert maths_label("a <b>") == "a &lt;b&gt;"
    assert label_words("SDEdit, i_start = 10") == "SDEdit, i start = 10"


def test_source_links_point_at_the_repository_being_built_or_stay_words(monkeypatch, tmp_path):
    from generator.engine.render import source_base, with_source_links

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    lines = ["See [the loop](source:pkg/a.py) and [the folder](source:pkg)."]
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert with_source_links(lines, source_base({}), tmp_path) == ["See the loop and the folder."]
    base = source_base({"repository": "https://github.com/me/report"})
    assert with_source_links(lines, base, tmp_path) == [
        "See [the loop](https://github.com/me/report/blob/HEAD/pkg/a.py) and "
        "[the folder](https://github.com/me/report/tree/HEAD/pkg)."]
    monkeypatch.setenv("GITHUB_REPOSITORY", "fork/report")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert source_base({"repository": "https://github.com/me/report"}) == \
        "https://github.com/fork/report/blob/abc123/"


def test_long_column_labels_keep_their_name_once_on_a_phone():
    from generator.engine.render import column_label_html

    labels = [f"i_start = {i} (t = {990 - 30 * i})" for i in (1, 3, 5, 7)] + ["original"]
    html = column_label_html(labels)
    assert html[0].startswith('<span class="lead"><i>i</i><sub>start</sub> = </span>1<span class="aside">')
    assert all(h.startswith('<span class="lead repeat">') for h in html[1:4]) and html[4] == "original"
    short = [f"t = {t}" for t in (990, 960, 930, 900)]
    assert column_label_html(short) == short   # labels that fit are left as they are
