"""CDAE: collaborative denoising auto-encoder for top-N recommendation (Wu et al., WSDM 2016)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.seeding import normal_table, seeded
from advrec.models.train_matrix import dense_rows, train_matrix


class CDAE(EmbeddingRecommender):
    """h = sigmoid(W^T y~ + V_u + b), scores = W' h + b', with y~ the user's row under dropout noise.

    Trained with loss "cdae" (binary cross-entropy over the whole row). `full_scores(users)` reads the
    users' training rows stored by `prepare(train)` (called by `fit`). embeddings() = {"user": V,
    "item": W} (the input item weights).
    """

    default_loss = "cdae"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden: int = 50,
        *,
        corruption: float = 0.5,
        init_std: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not 0.0 <= corruption < 1.0:
            raise ValueError(f"corruption must be in [0, 1), got {corruption}")
        self.corruption = float(corruption)
        with seeded(seed):
            self.user = normal_table(n_users, hidden, init_std)
            self.item = normal_table(n_items, hidden, init_std)
            self.decoder = nn.Linear(hidden, n_items)
        self.hidden_bias = nn.Parameter(torch.zeros(hidden))
        self.interactions: sp.csr_matrix = sp.csr_matrix((n_users, n_items), dtype=np.float32)

    def prepare(self, train: sp.csr_matrix) -> None:
        """Store the training matrix whose rows are the model's input."""
        self.interactions = train_matrix(train, self)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def row_logits(self, users: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Output logits for input rows (dropout noise applies in training mode only)."""
        noisy = F.dropout(rows, self.corruption, self.training)
        hidden = torch.sigmoid(noisy @ self.table("item") + self.table("user")[users] + self.hidden_bias)
        return self.decoder(hidden)

    def _rows(self, users: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(dense_rows(self.interactions, users.cpu().numpy())).to(self.user.device)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.row_logits(users, self._rows(users))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)


def cdae_loss(model: CDAE, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Binary cross-entropy between the reconstructed and the (clean) input rows, summed over items."""
    logits = model.row_logits(batch["users"], batch["rows"])
    return F.binary_cross_entropy_with_logits(logits, batch["rows"], reduction="sum") / len(batch["users"])
