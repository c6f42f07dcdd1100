"""Section 5: sampling from pure noise (i_start = 0) with the conditional model, no guidance."""


def test_from_any_noise_the_sampler_reaches_the_image_the_model_predicts(experiment):
    first, _ = experiment("sampling_from_noise", n=1)
    target = first["samples"].rows[0][0]
    values, _ = experiment("sampling_from_noise", knows=target, n=3)
    samples = values["samples"].rows[0]
    starts = [item[1][0] for item in values["trajectory"].items]      # x_t at the first step, per sample
    assert len(samples) == 3
    assert all((s - target).abs().max() < 1e-3 for s in samples)
    assert (starts[0] - starts[1]).abs().mean() > 0.1                # from different noise
