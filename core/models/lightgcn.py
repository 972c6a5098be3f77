"""LightGCN: linear propagation of embeddings over the user-item graph (He et al., SIGIR 2020)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded
from advrec.models.train_matrix import train_matrix


class LightGCN(EmbeddingRecommender):
    """Final embeddings = mean over layers 0..K of E_k = A E_{k-1}, A = D^-1/2 [[0, R], [R^T, 0]] D^-1/2;
    score = user . item of the final embeddings.

    `prepare(train)` (called by `fit`) builds A from the training matrix. embeddings() = {"user", "item"}:
    the layer-0 tables, so perturbations propagate through the graph.
    """

    default_loss = "bpr"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 64,
        *,
        layers: int = 3,
        init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if layers < 0:
            raise ValueError(f"layers must be >= 0, got {layers}")
        self.layers = int(layers)
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
        self.graph: torch.Tensor | None = None

    def prepare(self, train: sp.csr_matrix) -> None:
        """Build the symmetrically normalised user-item adjacency matrix from the training interactions."""
        csr = train_matrix(train, self)
        csr.data[:] = 1.0
        adj = sp.bmat([[None, csr], [csr.T, None]], format="coo")
        degree = np.asarray(adj.sum(axis=1)).ravel()
        inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1e-12)), 0.0)
        values = inv_sqrt[adj.row] * inv_sqrt[adj.col]
        indices = torch.from_numpy(np.vstack([adj.row, adj.col]).astype(np.int64))
        size = (self.n_users + self.n_items,) * 2
        graph = torch.sparse_coo_tensor(
            indices, torch.from_numpy(values.astype(np.float32)), size, check_invariants=True
        )
        self.graph = graph.coalesce().to(self.user.device)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def propagate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The final (user, item) embeddings after `layers` propagation steps."""
        if self.graph is None:
            raise RuntimeError("LightGCN has no graph: call prepare(train) (fit does) before scoring")
        graph = self.graph.to(self.user.device)
        x = torch.cat([self.table("user"), self.table("item")])
        total = x
        for _ in range(self.layers):
            x = torch.sparse.mm(graph, x)
            total = total + x
        final = total / (self.layers + 1)
        return final[: self.n_users], final[self.n_users :]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        user, item = self.propagate()
        return (user[users] * item[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        user, item = self.propagate()
        return user[users] @ item.T

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's layer-0 user and item rows, per sample."""
        return batch_l2(batch, [self.user], [self.item])
