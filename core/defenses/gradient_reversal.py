"""Gradient reversal layer (Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation",
ICML 2015): identity forward, gradient multiplied by -scale backward, so one loss trains an adversary
to predict while it trains the encoder beneath it to defeat the prediction."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def grad_reverse(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """`x` unchanged; its gradient is multiplied by -scale on the way back."""
    return _GradientReversal.apply(x, float(scale))


class GradientReversal(nn.Module):
    """Module form of `grad_reverse`, to place between an encoder and an adversary head."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.scale)
