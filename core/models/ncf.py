"""Neural collaborative filtering: GMF, MLP and their fusion NeuMF (He et al., WWW 2017)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.regularization import batch_l2
from advrec.models.seeding import normal_table, seeded

# Pairs scored at once by full_scores (users x items), to bound memory for the MLP towers.
_PAIRS_PER_CHUNK = 1 << 20


def _tower(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


class _PairModel(EmbeddingRecommender):
    """Shared plumbing: a model defined by `_logits(users, items)` on aligned pairs (loss "bce")."""

    default_loss = "bce"

    def _logits(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self._logits(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        items = torch.arange(self.n_items, device=users.device)
        step = max(1, _PAIRS_PER_CHUNK // self.n_items)
        rows = []
        for start in range(0, len(users), step):
            chunk = users[start : start + step]
            u = chunk.repeat_interleave(self.n_items)
            rows.append(self._logits(u, items.repeat(len(chunk))).view(len(chunk), self.n_items))
        if not rows:
            return torch.zeros(0, self.n_items, device=users.device)
        return torch.cat(rows)

    def l2_penalty(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Half the squared norm of the batch's user and item embedding rows (all towers), per sample."""
        tables = self.embeddings()
        return batch_l2(
            batch,
            [t for n, t in tables.items() if n.endswith("user")],
            [t for n, t in tables.items() if n.endswith("item")],
        )


class GMF(_PairModel):
    """Generalised matrix factorisation: logit = h . (p_u * q_i) + b."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 32, *, init_std: float = 0.01, seed: int = 0
    ) -> None:
        super().__init__(n_users, n_items)
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
            self.out = nn.Linear(dim, 1)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def _logits(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.out(self.table("user")[users] * self.table("item")[items]).squeeze(-1)


class MLP(_PairModel):
    """logit = MLP([p_u, q_i]) with ReLU layers `layers` (the first is the concatenated embedding size)."""

    def __init__(
        self,
        n_users: int,
        n_items: int,
        layers: Sequence[int] = (64, 32, 16),
        *,
        init_std: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if len(layers) < 1 or layers[0] % 2:
            raise ValueError(
                f"layers must start with an even size (two concatenated embeddings), got {layers}"
            )
        with seeded(seed):
            self.user = normal_table(n_users, layers[0] // 2, init_std)
            self.item = normal_table(n_items, layers[0] // 2, init_std)
            self.tower = _tower(layers)
            self.out = nn.Linear(layers[-1], 1)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def _logits(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.table("user")[users], self.table("item")[items]], dim=-1)
        return self.out(self.tower(x)).squeeze(-1)


class NeuMF(_PairModel):
    """NeuMF: a GMF and an MLP branch with their own embeddings, fused by one output layer.

    embeddings() = {"user", "item"} (GMF branch) and {"mlp_user", "mlp_item"} (MLP branch).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 32,
        layers: Sequence[int] = (64, 32, 16),
        *,
        init_std: float = 0.01,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if len(layers) < 1 or layers[0] % 2:
            raise ValueError(
                f"layers must start with an even size (two concatenated embeddings), got {layers}"
            )
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
            self.mlp_user = normal_table(n_users, layers[0] // 2, init_std)
            self.mlp_item = normal_table(n_items, layers[0] // 2, init_std)
            self.tower = _tower(layers)
            self.out = nn.Linear(dim + layers[-1], 1)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item, "mlp_user": self.mlp_user, "mlp_item": self.mlp_item}

    def _logits(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        gmf = self.table("user")[users] * self.table("item")[items]
        mlp = self.tower(torch.cat([self.table("mlp_user")[users], self.table("mlp_item")[items]], dim=-1))
        return self.out(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)
