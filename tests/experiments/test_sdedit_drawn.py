"""Section 8: SDEdit of drawings (a typeset digit and two scribbles) toward the model's digits."""


def test_a_drawing_edited_late_stays_a_drawing_and_one_edited_early_does_not(experiment):
    values, p = experiment("sdedit_drawn", reads=2, i_starts=[1, 20], compare_i_start=20)
    assert p.images == ["web", "drawn1", "drawn2"]
    for row in values["grid"].rows:
        early, late, drawing = row
        d_early, d_late = float((early - drawing).pow(2).mean()), float((late - drawing).pow(2).mean())
        assert d_late < 0.75 * d_early, (d_early, d_late)
