"""Section 2: the forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, one noise draw."""
import torch


def test_the_later_the_step_the_less_of_the_original_and_the_more_unit_noise(experiment):
    values, p = experiment("forward_process", t=[100, 400, 700, 999])
    (row,) = values["noisy"].rows
    original, noisy = row[0], row[1:]
    distances = [float((x - original).pow(2).mean()) for x in noisy]   # mean squared distance, pixels in [0, 1]
    corr = [float(torch.corrcoef(torch.stack([original.flatten(), x.flatten()]))[0, 1]) for x in noisy]
    assert len(noisy) == len(p.t)
    assert 0 < distances[0] and distances == sorted(distances), distances
    assert corr[0] > 0.9 and corr[-1] < 0.1, corr           # sqrt(abar_t) goes from about 1 to about 0
    # at t = 999 it is eps itself: unit variance in model space, over half the display range once clipped
    assert float(noisy[-1].std()) > 0.3
