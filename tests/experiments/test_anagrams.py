"""Section 11: visual anagrams, eps = (eps(x_t, p1) + view^-1(eps(view(x_t), p2))) / 2."""
import torch

from generator.diffusion.views import VIEW_MAP

# two digit-sized images a model might "know": the left half lit, and the top half lit
LEFT, TOP = torch.zeros(1, 28, 28), torch.zeros(1, 28, 28)
LEFT[..., :14], TOP[..., :14, :] = 1.0, 1.0


def test_the_sample_is_the_mean_of_the_first_image_and_the_second_seen_back_through_the_view(experiment):
    """A model that sees LEFT in "a handwritten 6" and TOP in "a handwritten 9": the combined noise
    leads to (LEFT + view^-1(TOP)) / 2, so upright it is half each, and turned it is the same."""
    values, _ = experiment("anagrams", knows={"a handwritten 6": LEFT, "a handwritten 9": TOP},
                       illusions=[("a handwritten 6", "a handwritten 9", "rotate_180")], gamma=1.0,
                       candidates=2, shown=2)
    view = VIEW_MAP["rotate_180"]()
    upright, turned = values["illusions"].rows
    expected = (LEFT + view.inverse_view(TOP[None])[0]) / 2
    for a, b in zip(upright, turned):
        assert (a - expected).abs().max() < 1e-3
        assert torch.equal(b, view.view(a[None])[0])          # the second row is the first, turned
