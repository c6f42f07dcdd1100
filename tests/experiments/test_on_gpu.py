"""Every Part A experiment as on ``--device cuda``, without a GPU.

The tiny scratch build's backend is built on a simulated CUDA device (tests/fixtures/fake_cuda.py):
an experiment that combines a display tensor on the CPU with one on the device, or hands a device
tensor to numpy, fails here exactly as it would on a real card, and its returned figures must be
writable (every tensor in them back on the CPU).
"""
import pytest

from generator import artifacts
from generator.engine import registry

from ..fixtures.fake_cuda import FakeCuda

EXPERIMENTS = registry.discover()
PART_A = sorted(n for n, e in EXPERIMENTS.items() if e.uses("backend"))
# fewer candidates and edits than the report draws: the device rules do not depend on how many
SMALL = {"anagrams": {"candidates": 2, "shown": 1}, "hybrids": {"candidates": 2, "shown": 1, "sigmas_at_64": [2.0]},
         "sdedit": {"reads": 2}, "sdedit_drawn": {"reads": 2}, "text_sdedit": {"reads": 2},
         "cfg_sampling": {"n": 1, "sweep_gammas": [1.0, 3.0]}}


@pytest.mark.parametrize("name", PART_A)
def test_a_part_a_experiment_keeps_every_tensor_on_its_device(experiment_context, tmp_path, name):
    small = {k: v for k, v in SMALL.get(name, {}).items() if k in EXPERIMENTS[name].params_cls.__dataclass_fields__}
    node, ctx = experiment_context(name, device="cuda", **small)
    with FakeCuda():
        values = node.exp.module.run(node.params, ctx)
        assert ctx.backend.device.type == "cuda"
        (tmp_path / "out").mkdir()
        artifacts.save_all(values, node.exp.artifacts, tmp_path / "out", node.exp.source_file)
