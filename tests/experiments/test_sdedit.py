"""Section 7: SDEdit: noise an image to strided_timesteps[i_start], then denoise it with guidance."""


def test_the_later_the_edit_starts_the_closer_it_stays_to_the_original(experiment):
    values, p = experiment("sdedit", reads=2, i_starts=[1, 20], compare_i_start=20)
    for row in values["grid"].rows:                                   # an image: its edits, then the original
        early, late, original = row
        d_early, d_late = float((early - original).pow(2).mean()), float((late - original).pow(2).mean())
        assert d_late < 0.75 * d_early, (d_early, d_late)
