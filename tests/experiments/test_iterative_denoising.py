"""Section 4: iterative denoising from strided_timesteps[i_start] by strided DDPM steps.

With a model that knows the clean image, every estimate is that image and the last step returns it;
the step's own formula (the posterior mean and variance) is checked against diffusers' scheduler in
tests/diffusion, so here the experiment's wiring is: which image, which steps, which estimate."""


def test_with_the_true_noise_every_step_leads_back_to_the_original(experiment):
    first, _ = experiment("iterative_denoising")
    original = first["results"].rows[0][0]
    values, p = experiment("iterative_denoising", knows=original)
    original, noisy, iterative, one_step, _blurred = values["results"].rows[0]
    assert (noisy - original).abs().max() > 0.5
    assert (iterative - original).abs().max() < 1e-3
    assert (one_step - original).abs().max() < 1e-3


def test_the_steps_are_evenly_strided_down_to_zero(experiment):
    values, p = experiment("iterative_denoising", every=1)
    shown = [int(c.split("= ")[1]) for c in values["steps"].col_labels[:-1]]
    strides = {a - b for a, b in zip(shown, shown[1:])}
    assert len(strides) == 1 and strides.pop() > 0 and shown[-1] == 0, shown   # evenly strided, down to 0
