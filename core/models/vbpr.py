"""VBPR: BPR with visual (or any side) item features (He & McAuley, AAAI 2016)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded


class VBPR(EmbeddingRecommender):
    """score(u, i) = b_i + gamma_u . gamma_i + theta_u . (E f_i) + beta' . f_i.

    `features` is the fixed [n_items, F] side-feature table f (e.g. CNN image features); E projects it
    to the visual factor space. embeddings() = {"user": gamma_u, "item": gamma_i, "visual_user": theta_u,
    "side": f}: perturbing "side" is the feature attack of AMR (Tang et al., TKDE 2019).
    """

    default_loss = "bpr"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        features: np.ndarray | torch.Tensor,
        dim: int = 32,
        visual_dim: int = 32,
        *,
        init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        feats = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if feats.ndim != 2 or feats.shape[0] != n_items:
            raise ValueError(f"features must have shape (n_items={n_items}, F), got {tuple(feats.shape)}")
        self.register_buffer("features", feats)
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
            self.visual_user = normal_table(n_users, visual_dim, init_std)
            self.projection = nn.Parameter(torch.randn(feats.shape[1], visual_dim) * init_std)
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.visual_bias = nn.Parameter(torch.zeros(feats.shape[1]))

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item, "visual_user": self.visual_user, "side": self.features}

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        f = self.table("side")[items]
        latent = (self.table("user")[users] * self.table("item")[items]).sum(-1)
        visual = (self.table("visual_user")[users] * (f @ self.projection)).sum(-1)
        return self.item_bias[items] + latent + visual + f @ self.visual_bias

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        f = self.table("side")
        latent = self.table("user")[users] @ self.table("item").T
        visual = self.table("visual_user")[users] @ (f @ self.projection).T
        return latent + visual + (self.item_bias + f @ self.visual_bias)

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's user, visual-user, item and item-bias rows, per sample."""
        return batch_l2(batch, [self.user, self.visual_user], [self.item, self.item_bias])
