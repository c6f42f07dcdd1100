"""Section 15: the improved UNet trained by the DDPM noise loss, for comparison with flow matching."""


def test_the_noise_loss_falls_from_what_a_silent_network_pays(experiment):
    """A network that outputs about 0 pays E|eps|^2 = 1 at first; training lowers it."""
    values, p = experiment("train_improved_ddpm", widths=[4, 8, 8], epochs=2, batch_size=1000, T=30)
    losses = values["log"]["losses"]
    assert len(losses) == 8
    assert 0.9 < losses[0] < 1.1
    assert sum(losses[-2:]) < sum(losses[:2]) - 0.05, losses
