"""PITF: pairwise interaction tensor factorisation for user x item x tag data (Rendle &
Schmidt-Thieme, WSDM 2010), used for context-aware item ranking as in ATF (Chen & Li, RecSys 2019)."""

from __future__ import annotations

import torch

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded


class PITF(EmbeddingRecommender):
    """score(u, i, t) = u_I . i_U + u_T . t_U + i_T . t_I: every pair of modes interacts through its own
    factors. With `tags=None` only the user-item term is used (context-free ranking).

    Trained with `fit(model, triples)` where `triples` is an int array [n, 3] of (user, item, tag) and
    the loss is BPR over items (a negative item drawn among those the user never interacted with), with
    the tag of the positive as context. embeddings() = {"user", "item", "tag"} (the user-item factors
    and the tag's factors facing users) plus "user_tag", "item_tag", "tag_item".
    """

    default_loss = "bpr"
    context_key = "tags"

    def __init__(
        self, n_users: int, n_items: int, n_tags: int, dim: int = 32, *, init_std: float = 0.1, seed: int = 0
    ) -> None:
        super().__init__(n_users, n_items)
        if n_tags <= 0:
            raise ValueError(f"n_tags must be positive, got {n_tags}")
        self.n_tags = int(n_tags)
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
            self.user_tag = normal_table(n_users, dim, init_std)
            self.tag = normal_table(n_tags, dim, init_std)
            self.item_tag = normal_table(n_items, dim, init_std)
            self.tag_item = normal_table(n_tags, dim, init_std)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {
            "user": self.user,
            "item": self.item,
            "tag": self.tag,
            "user_tag": self.user_tag,
            "item_tag": self.item_tag,
            "tag_item": self.tag_item,
        }

    def score(
        self, users: torch.Tensor, items: torch.Tensor, tags: torch.Tensor | None = None
    ) -> torch.Tensor:
        scores = (self.table("user")[users] * self.table("item")[items]).sum(-1)
        if tags is None:
            return scores
        scores = scores + (self.table("user_tag")[users] * self.table("tag")[tags]).sum(-1)
        return scores + (self.table("item_tag")[items] * self.table("tag_item")[tags]).sum(-1)

    def full_scores(self, users: torch.Tensor, tags: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.table("user")[users] @ self.table("item").T
        if tags is None:
            return scores
        user_tag = (self.table("user_tag")[users] * self.table("tag")[tags]).sum(-1, keepdim=True)
        return scores + user_tag + self.table("tag_item")[tags] @ self.table("item_tag").T

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's user, item and tag rows, per sample."""
        other = {"tags": [self.tag, self.tag_item]} if "tags" in batch else None
        return batch_l2(batch, [self.user, self.user_tag], [self.item, self.item_tag], other)
