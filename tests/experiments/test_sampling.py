"""Section 1: sampling at two step counts; the steps are spaced as diffusers' DDPM scheduler spaces them."""
import pytest
from diffusers import DDPMScheduler

from generator.experiments.sampling import inference_timesteps


@pytest.mark.parametrize("T, n", [(1000, 20), (1000, 100), (1000, 7), (300, 20), (300, 300)])
def test_the_steps_are_those_of_diffusers_leading_spacing(T, n):
    scheduler = DDPMScheduler(num_train_timesteps=T, timestep_spacing="leading")
    scheduler.set_timesteps(n)
    assert inference_timesteps(T, n) == scheduler.timesteps.tolist()


def test_one_row_per_prompt_one_column_per_step_count_from_the_same_noise(experiment):
    values, p = experiment("sampling", prompts=["a handwritten 3", "a handwritten 8"], steps=[5, 20])
    assert values["samples"].col_labels == ["5 steps", "20 steps"] and len(values["samples"].rows) == 2
    items = values["trajectory"].items                                # per prompt, per step count
    start = [x_t[0] for _t, x_t, _x0 in items]
    assert (start[0] - start[1]).abs().max() == 0                      # both step counts from one noise
