"""Section 15: the improved UNet trained by flow matching (the velocity eps - x0 on the straight line)."""


def test_the_velocity_loss_falls_and_starts_at_what_a_silent_network_pays(experiment):
    """A network that outputs about 0 pays E|eps - x0|^2 = 1 + E[x0^2] at first (x0 in [-1, 1], mostly
    background at -1, so between 1 and 2); training lowers it."""
    values, p = experiment("train_flow", widths=[4, 8, 8], epochs=2, batch_size=1000)
    losses = values["log"]["losses"]                       # one per Adam step: 4,000 digits / 1,000, twice
    assert len(losses) == 8
    assert 1.0 < losses[0] < 2.0
    assert sum(losses[-2:]) < sum(losses[:2]) - 0.05, losses
