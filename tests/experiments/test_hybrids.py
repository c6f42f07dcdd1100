"""Section 12: hybrid images, eps = lowpass(eps(x_t, p_low)) + highpass(eps(x_t, p_high))."""
import torch

from generator.diffusion.hybrid import blur_params, lowpass
from generator.diffusion.readings import from_afar

LEFT, TOP = torch.zeros(1, 28, 28), torch.zeros(1, 28, 28)
LEFT[..., :14], TOP[..., :14, :] = 1.0, 1.0


def test_the_sample_is_the_low_frequencies_of_one_image_and_the_high_of_the_other(experiment):
    """A model that sees LEFT in "a handwritten 8" (low) and TOP in "a handwritten 3" (high): the
    combined noise leads to lowpass(LEFT) + TOP - lowpass(TOP), the hybrid image of the two."""
    values, p = experiment("hybrids", knows={"a handwritten 8": LEFT, "a handwritten 3": TOP},
                       pairs=[("a handwritten 8", "a handwritten 3")], gamma=1.0, candidates=2, shown=2,
                       sigmas_at_64=[4.0])
    size, sigma = blur_params(28, p.kernel_at_64, 4.0)
    low = lambda x: lowpass(x[None], size, sigma)[0]               # noqa: E731
    expected = (low(LEFT) + TOP - low(TOP)).clamp(0, 1)
    close_up, afar = values["hybrids"].rows
    for near, far in zip(close_up, afar):
        assert (near - expected).abs().max() < 1e-3
        assert (far - from_afar(near[None], round(28 * p.afar_fraction))[0]).abs().max() < 1e-6
