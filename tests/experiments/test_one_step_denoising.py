"""Section 4: one-step denoising, x0_hat = (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t)."""


def test_with_the_true_noise_the_one_step_estimate_is_the_original(experiment):
    first, _ = experiment("one_step_denoising", t=[100])
    original = first["estimates"].rows[0][0]
    values, _ = experiment("one_step_denoising", knows=original, t=[100, 500, 999])
    for original, noisy, estimate in values["estimates"].rows:
        assert (noisy - original).abs().max() > 0.2                  # the step really added noise
        # 1/sqrt(abar_t) amplifies float rounding near t = T: 1e-3 of the [0, 1] range
        assert (estimate - original).abs().max() < 2e-3
