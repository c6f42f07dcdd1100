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
