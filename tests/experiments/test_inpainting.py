"""Section 9: inpainting: regenerate inside the mask, keep the rest at forward(x_orig, t) at every step."""


def test_outside_the_mask_the_result_is_the_original_and_inside_it_is_new(experiment):
    values, p = experiment("inpainting")
    assert len(values["grid"].rows) == len(p.masks)
    for image, mask, _region, result in values["grid"].rows:
        assert ((result - image) * (1 - mask)).abs().max() == 0
        inside = ((result - image).abs() * mask).sum() / mask.sum()
        assert inside > 0.01, float(inside)
