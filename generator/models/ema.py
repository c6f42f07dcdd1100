"""An exponential moving average of a network's weights, carried inside the module.

``WithEMA(net)`` trains ``net`` as usual; its ``ema`` copy follows the weights,
ema <- d * ema + (1 - d) * net, with the warm-up d_k = min(decay, (1 + k) / (10 + k)), k the
number of updates so far (the form of diffusers' ``EMAModel`` with ``use_ema_warmup=False``).

The update runs at the start of every training-mode forward, so the k-th step folds in
the weights that step k - 1 produced, and ``finish()`` folds in the last ones. Keeping
the copy and the counter in the module's state_dict is what makes it work with the
shared training loop (``generator/train.py``) unchanged: checkpoints carry the EMA, so an
interrupted training resumes exactly.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class WithEMA(nn.Module):
    def __init__(self, net: nn.Module, decay: float = 0.995):
        super().__init__()
        self.net = net
        self.ema = copy.deepcopy(net).requires_grad_(False)   # no grads: the optimizer skips it
        self.decay = decay
        self.updates: torch.Tensor   # () int64: the steps averaged so far (a buffer, saved with the weights)
        self.register_buffer("updates", torch.zeros((), dtype=torch.int64))

    def forward(self, *args, **kwargs):
        if self.training:
            self.update()
        return self.net(*args, **kwargs)

    @torch.no_grad()
    def update(self) -> None:
        k = int(self.updates)
        d = min(self.decay, (1 + k) / (10 + k))
        for e, p in zip(self.ema.parameters(), self.net.parameters()):   # e, p: Parameter
            e.lerp_(p.detach(), 1 - d)
        for eb, b in zip(self.ema.buffers(), self.net.buffers()):
            eb.copy_(b)
        self.updates.add_(1)

    def finish(self) -> None:
        """Fold in the weights of the last step (call once, after training)."""
        self.update()
