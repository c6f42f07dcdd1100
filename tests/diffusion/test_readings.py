"""The illusion measurements on constructed cases: a digit and its rotation, a hybrid seen from afar."""
import torch

from generator.diffusion.readings import from_afar, share_read_as, two_way
from generator.diffusion.views import Rotate180View


def blob_reader(x: torch.Tensor) -> torch.Tensor:
    """A stand-in classifier: mass in the lower half reads as 6, in the upper half as 9."""
    h = x.shape[-2]
    low, high = x[..., h // 2:, :].sum((1, 2, 3)), x[..., : h // 2, :].sum((1, 2, 3))
    p6 = torch.sigmoid(4 * (low - high))
    p = torch.zeros(x.shape[0], 10)
    p[:, 6], p[:, 9] = p6, 1 - p6
    return p


def test_a_six_that_rotates_into_a_nine_works_and_ranks_first():
    six = torch.zeros(1, 1, 8, 8)
    six[..., 5:, 2:5] = 1                     # mass at the bottom: a 6 upright, a 9 when turned
    even = torch.zeros(1, 1, 8, 8)
    even[..., 3:5, 2:5] = 1                   # balanced: neither reading wins
    nine = Rotate180View().view(six)          # a 9 upright: fails upright, fails rotated
    x = torch.cat([even, nine, six])
    r = two_way(blob_reader, x, Rotate180View().view(x), 6, 9)
    assert r.works.tolist() == [False, False, True]
    assert r.ranking()[0] == 2 and r.ranking()[-1] == 1
    assert float(r.score[2]) > 0.99 and float(r.score[1]) < 0.01


def test_from_afar_removes_fine_detail_and_keeps_the_coarse():
    checker = (torch.arange(28)[:, None] + torch.arange(28)[None]) % 2 * 1.0
    far = from_afar(checker[None, None], 7)
    assert far.shape == (1, 1, 28, 28) and far.std() < 1e-6 and abs(float(far.mean()) - 0.5) < 1e-6
    half = torch.zeros(1, 1, 28, 28)
    half[..., 14:, :] = 1                     # a coarse shape survives
    assert from_afar(half, 7)[..., 20:, :].min() > 0.99 and from_afar(half, 7)[..., :8, :].max() < 0.01


def test_share_read_as():
    x = torch.zeros(4, 1, 8, 8)
    x[:3, :, 6:, :] = 1                       # three 6s
    x[3, :, :2, :] = 1                        # and a 9
    assert share_read_as(blob_reader, x, 6) == 0.75 and share_read_as(blob_reader, x, 9) == 0.25
