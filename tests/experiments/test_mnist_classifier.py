"""The digit classifier that judges every sample: a function of the seed alone.

Its Dropout draws from torch's global generator; whatever ran earlier in the process (another
experiment under the local executor, nothing in a fresh Ray worker) must not change the judge.
"""
from __future__ import annotations

from types import SimpleNamespace

import torch

from generator.context import Context
from generator.experiments import mnist_classifier


def _ctx(tmp_path, name: str) -> Context:
    """The Context every experiment runs in (seeding is its job), on 256 random 'digits'."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(256, 1, 28, 28, generator=g)
    y = torch.arange(256) % 10
    data = SimpleNamespace(train_x=x[:192], train_y=y[:192], test_x=x[192:], test_y=y[192:])
    env = SimpleNamespace(opts=SimpleNamespace(seed=180, device="cpu", precision="fp32", content_dir=tmp_path),
                          mnist=data)
    ctx = Context(SimpleNamespace(name="mnist_classifier", key=name * 16), {}, env, tmp_path)
    ctx.progress = lambda it, **_: it
    return ctx


def test_the_judge_does_not_depend_on_what_ran_before_it_in_the_process(tmp_path):
    p = mnist_classifier.Params(epochs=1, batch_size=32)
    first = _ctx(tmp_path, "a").run(mnist_classifier.run, p)["weights"]
    torch.rand(12345)                      # another experiment moves the global generator
    state = torch.get_rng_state()
    second = _ctx(tmp_path, "b").run(mnist_classifier.run, p)["weights"]
    assert torch.equal(torch.get_rng_state(), state), "the run must leave the global generator as it was"
    assert first.keys() == second.keys()
    for k in first:
        assert torch.equal(first[k], second[k]), k
