"""The prompts each Part A backend draws with, declared in this one place.

The experiments' own defaults (``Params`` in ``generator/experiments/``) are the scratch
model's set: digits ("a handwritten 6") and a few course prompts that the scratch model maps to
digits (its stand-ins, ``scratch_backend.STAND_INS``), so a classifier can read every illusion.
DeepFloyd IF understands language, so its page uses the course's own prompts, given here as
parameter values that replace those defaults; the page's front matter still overrides both.
Every figure names its prompts in its caption.
"""
from __future__ import annotations

# experiment -> {parameter: value}, applied beneath the front matter's overrides
PROMPT_SETS: dict[str, dict[str, dict]] = {
    "scratch": {},
    "deepfloyd": {
        "cfg_sampling": {
            "prompt": "a high quality photo",   # the course's prompt of section 6
            "sweep_prompts": ["a high quality photo", "an oil painting of a snowy mountain village",
                              "a rocket ship"],
        },
        "anagrams": {
            "illusions": [
                ["an oil painting of an old man", "an oil painting of people around a campfire", "flip"],
                ["an oil painting of a snowy mountain village", "a photo of a dog", "rotate_180"],
                ["a lithograph of a skull", "a watercolor of a waterfall", "flip"],
            ],
        },
        "hybrids": {
            "pairs": [
                ["a lithograph of a skull", "a lithograph of waterfalls"],
                ["an oil painting of an old man", "a photo of a dog"],
                ["a rocket ship", "a pencil"],
            ],
        },
    },
}


def defaults(backend: str) -> dict[str, dict]:
    """{experiment: {parameter: value}} that ``backend``'s page uses instead of the defaults."""
    return PROMPT_SETS[backend]
