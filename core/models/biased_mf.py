"""Biased matrix factorisation for explicit ratings (Koren, Bell, Volinsky, IEEE Computer 2009)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded
from advrec.models.train_matrix import train_matrix


class BiasedMF(EmbeddingRecommender):
    """r(u, i) = mu + b_u + b_i + p_u . q_i, trained with squared error on observed ratings (loss "mse").

    mu is the training mean, set by `prepare(train)` (called by `fit`).
    """

    default_loss = "mse"

    def __init__(
        self, n_users: int, n_items: int, dim: int = 32, *, init_std: float = 0.01, seed: int = 0
    ) -> None:
        super().__init__(n_users, n_items)
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.register_buffer("mean", torch.zeros(()))

    def prepare(self, train: sp.csr_matrix) -> None:
        """Set the global mean mu to the mean of the training ratings."""
        values = train_matrix(train, self).data.astype(np.float64)
        if values.size == 0:
            raise ValueError("train has no ratings")
        self.mean.fill_(float(values.mean()))

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = (self.table("user")[users] * self.table("item")[items]).sum(-1)
        return self.mean + self.user_bias[users] + self.item_bias[items] + dot

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        dot = self.table("user")[users] @ self.table("item").T
        return self.mean + self.user_bias[users, None] + self.item_bias[None, :] + dot

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's factor and bias rows, per sample."""
        return batch_l2(batch, [self.user, self.user_bias], [self.item, self.item_bias])
