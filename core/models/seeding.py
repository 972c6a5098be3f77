"""Reproducible parameter initialisation: build a model's layers under a seed without touching the
caller's global random state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Within the block, torch's CPU generator is seeded with `seed`; its previous state is restored after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def normal_table(rows: int, dim: int, std: float) -> torch.nn.Parameter:
    """A [rows, dim] embedding table drawn from N(0, std^2) with the current generator."""
    return torch.nn.Parameter(torch.randn(rows, dim) * std)
