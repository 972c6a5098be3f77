"""BPR-MF: matrix factorisation trained for personalised ranking (Rendle et al., UAI 2009)."""

from __future__ import annotations

import torch
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded


class MatrixFactorization(EmbeddingRecommender):
    """score(u, i) = p_u . q_i (+ b_i): user and item factors, an optional item bias.

    The tables are plain float32 parameters, so the fast engine (`fit(..., engine="fast")`) can update
    them in place; embeddings() = {"user": P, "item": Q} (the bias is not perturbable).
    """

    default_loss = "bpr"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 64,
        *,
        bias: bool = False,
        init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
        self.item_bias = nn.Parameter(torch.zeros(n_items)) if bias else None

    @property
    def dim(self) -> int:
        return int(self.user.shape[1])

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        scores = (self.table("user")[users] * self.table("item")[items]).sum(-1)
        return scores if self.item_bias is None else scores + self.item_bias[items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        scores = self.table("user")[users] @ self.table("item").T
        return scores if self.item_bias is None else scores + self.item_bias

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's user, item (and item-bias) rows, per sample."""
        items = [self.item] if self.item_bias is None else [self.item, self.item_bias]
        return batch_l2(batch, [self.user], items)
