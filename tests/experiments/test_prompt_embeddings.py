"""The T5 embeddings of every Part A prompt (DeepFloyd IF), computed once, or read from a user's file."""
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import save_file

from generator.errors import BuildError
from generator.experiments import prompt_embeddings
from generator.experiments.prompt_embeddings import Params, consumer_view


def test_a_result_depends_on_its_own_prompts_only_unless_a_file_fixes_the_positions():
    """Each prompt is embedded by its own T5 call, so a prompt added for another section leaves a
    result's key alone; a user's file finds tensors by position, so there the whole list counts."""
    consumer = SimpleNamespace(used_prompts=lambda: ["a rocket ship"])
    for others in (["a man wearing a hat"], ["a man wearing a hat", "a lithograph of waterfalls"]):
        ingredients = {"params": {"prompts": ["a rocket ship", *others], "embeddings_file": ""}}
        assert consumer_view(ingredients, consumer)["params"]["prompts"] == ["", "a rocket ship"]
    with_file = {"params": {"prompts": ["a rocket ship", "a man wearing a hat"], "embeddings_file": "e.safetensors"}}
    assert consumer_view(with_file, consumer) == with_file


def test_a_users_file_is_read_by_position_and_a_missing_prompt_is_named(tmp_path):
    prompts = ["", "a rocket ship", "a man wearing a hat"]
    tensors = {f"prompt{i}": torch.full((1, 77, 4096), float(i)) for i in range(len(prompts))}
    save_file(tensors, str(tmp_path / "all.safetensors"))
    out = prompt_embeddings.run(Params(prompts, str(tmp_path / "all.safetensors")), SimpleNamespace())
    assert out["prompts"] == prompts
    for i in range(len(prompts)):
        e = out["embeddings"][f"prompt{i}"]
        assert e.dtype == torch.float16 and e.shape == (1, 77, 4096) and float(e.float().mean()) == i
    save_file({k: v for k, v in tensors.items() if k != "prompt1"}, str(tmp_path / "short.safetensors"))
    with pytest.raises(BuildError, match=r"missing \['prompt1'\].*order of prompts") as err:
        prompt_embeddings.run(Params(prompts, str(tmp_path / "short.safetensors")), SimpleNamespace())
    assert err.value.where == str(tmp_path / "short.safetensors")
