"""Section 14: the time-conditioned DDPM eps_theta(x_t, t), watched after every epoch."""
import torch


def test_the_noise_loss_falls_and_every_epoch_is_looked_at_from_the_same_noise(experiment):
    values, p = experiment("train_time_ddpm", D=4, epochs=2, batch_size=1000, T=30, keep_epochs=[1, 2])
    losses = values["log"]["losses"]
    assert len(losses) == 8 and 0.9 < losses[0] < 1.3
    assert sum(losses[-2:]) < sum(losses[:2]) - 0.05, losses
    looks = values["looks"]                                # (1, 10, 1, 28, 28): ten samples per epoch
    assert sorted(looks) == ["epoch1", "epoch2"] and looks["epoch1"].shape == (1, 10, 1, 28, 28)
    # the same starting noise, so a tile is one sample growing up: close, but the model moved
    assert not torch.equal(looks["epoch1"], looks["epoch2"])
