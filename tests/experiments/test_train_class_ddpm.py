"""Section 14: the class-conditioned DDPM eps_theta(x_t, t, c), watched after every epoch."""


def test_the_noise_loss_falls_and_each_look_draws_every_digit(experiment):
    values, p = experiment("train_class_ddpm", D=4, epochs=2, batch_size=1000, T=30, keep_epochs=[1, 2])
    losses = values["log"]["losses"]
    assert len(losses) == 8 and 0.9 < losses[0] < 1.3
    assert sum(losses[-2:]) < sum(losses[:2]) - 0.05, losses
    assert values["looks"]["epoch2"].shape == (1, 10, 1, 28, 28)     # digits 0 to 9, one each
