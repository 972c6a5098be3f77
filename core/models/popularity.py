"""ItemPop: rank items by their number of training interactions, the same list for every user."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix


class ItemPop(Recommender):
    """score(u, i) = number of training users who interacted with i; `prepare(train)` counts them."""

    default_loss = None

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self.register_buffer("counts", torch.zeros(n_items))

    def prepare(self, train: sp.csr_matrix) -> None:
        """Count each item's training interactions (any stored entry counts once)."""
        csr = train_matrix(train, self)
        counts = np.bincount(csr.indices, minlength=self.n_items).astype(np.float32)
        self.counts.copy_(torch.from_numpy(counts))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.counts[items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.counts.expand(len(users), -1).clone()
