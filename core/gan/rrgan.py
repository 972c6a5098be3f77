"""RRGAN (Chen, Zheng, Wang, Wang, Zhang; IJCNN 2019): a GAN recommender over ratings and reviews.

The survey's Table 5 lists RRGAN with a latent-factor generator, an MLP discriminator and point-wise
training; its method section was not read, so this is a reconstruction on IRGAN's point-wise minimax game
(`advrec.gan.irgan.IRGAN`, whose trainer is reused) with text-aware players:
- G (`TextLFM`): f_theta(u, i) = p_u . (q_i + W t_i) + b_i, the item factors shifted by a projection of
  the item's text profile t_i (the reviews' representation; offline, tag profiles stand in for it);
- D (`TextMLPDiscriminator`): an MLP over [p_u, q_i, A t_u, A t_i], the user's and item's embeddings and
  projected text profiles, giving the logit that (u, i) is an observed pair.
G samples items from softmax(f_theta(u, .)) and follows the REINFORCE gradient of D's reward; D learns to
tell observed pairs from G's samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from advrec.gan.irgan import IRGAN
from advrec.gan.networks import MLPNet
from advrec.models.base import EmbeddingRecommender
from advrec.models.seeding import seeded


def _text(values: np.ndarray, rows: int, name: str) -> torch.Tensor:
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != rows or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a [{rows}, n_features] array, got shape {arr.shape}")
    return torch.as_tensor(arr)


class TextLFM(nn.Module):
    """Generator f(u, i) = p_u . (q_i + W t_i) + b_i; tables uniform in [-init_delta, init_delta], W small."""

    def __init__(self, item_text: np.ndarray, n_users: int, dim: int, init_delta: float, seed: int) -> None:
        super().__init__()
        text = _text(item_text, item_text.shape[0], "item_text")
        self.register_buffer("item_text", text)
        with seeded(seed):
            self.user = nn.Parameter((torch.rand(n_users, dim) * 2 - 1) * init_delta)
            self.item = nn.Parameter((torch.rand(text.shape[0], dim) * 2 - 1) * init_delta)
            self.text = nn.Parameter((torch.rand(text.shape[1], dim) * 2 - 1) * init_delta)
        self.item_bias = nn.Parameter(torch.zeros(text.shape[0]))

    @torch.no_grad()
    def load_factors(self, model: EmbeddingRecommender) -> None:
        """Start p_u and q_i from a pre-trained embedding model's "user"/"item" tables (and `item_bias`)."""
        tables = model.embeddings()
        for name, target in (("user", self.user), ("item", self.item)):
            if name not in tables or tuple(tables[name].shape) != tuple(target.shape):
                got = tuple(tables[name].shape) if name in tables else None
                raise ValueError(f"g_init's {name!r} table must have shape {tuple(target.shape)}, got {got}")
            target.copy_(tables[name].detach())
        bias = getattr(model, "item_bias", None)
        if isinstance(bias, torch.Tensor) and bias.shape == self.item_bias.shape:
            self.item_bias.copy_(bias.detach())

    def item_factors(self) -> torch.Tensor:
        """q_i + W t_i for every item."""
        return self.item + self.item_text @ self.text

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        q = self.item[items] + self.item_text[items] @ self.text
        return (self.user[users] * q).sum(-1) + self.item_bias[items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.user[users] @ self.item_factors().T + self.item_bias

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the squared norms of the rows used (users, items, their biases) and of W."""
        return (self.user[users].pow(2).sum() + self.item[items].pow(2).sum()
                + self.item_bias[items].pow(2).sum() + self.text.pow(2).sum()) / 2


class TextMLPDiscriminator(nn.Module):
    """D(u, i) = MLP([p_u, q_i, A t_u, A t_i]) -> one logit per pair."""

    def __init__(self, user_text: np.ndarray, item_text: np.ndarray, dim: int, hidden: Sequence[int],
                 seed: int) -> None:
        super().__init__()
        users = _text(user_text, user_text.shape[0], "user_text")
        items = _text(item_text, item_text.shape[0], "item_text")
        if users.shape[1] != items.shape[1]:
            raise ValueError(f"user_text and item_text must share their features, got {users.shape[1]} "
                             f"and {items.shape[1]} columns")
        self.register_buffer("user_text", users)
        self.register_buffer("item_text", items)
        with seeded(seed):
            self.user = nn.Parameter(torch.randn(users.shape[0], dim) * 0.05)
            self.item = nn.Parameter(torch.randn(items.shape[0], dim) * 0.05)
            self.text = nn.Linear(users.shape[1], dim, bias=False)
            self.net = MLPNet(4 * dim, 1, hidden=hidden, activation="relu")

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.user[users], self.item[items], self.text(self.user_text[users]),
                       self.text(self.item_text[items])], dim=-1)
        return self.net(x.reshape(-1, x.shape[-1])).reshape(users.shape)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        items = torch.arange(self.item.shape[0], device=self.user.device)
        uu = users[:, None].expand(-1, len(items))
        return self.score(uu, items[None, :].expand_as(uu))

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the squared norms of the embedding rows used."""
        return (self.user[users].pow(2).sum() + self.item[items].pow(2).sum()) / 2


class RRGAN(IRGAN):
    """IRGAN's point-wise game with a text-aware LFM generator and an MLP discriminator (see the module
    docstring); `user_text` [n_users, T] and `item_text` [n_items, T] are the side text profiles;
    `g_init` starts G's user/item factors from a pre-trained embedding model (e.g. BPR-MF of width `dim`).
    Every IRGAN option applies (`fit` schedule, reward, baseline, scorer)."""

    def __init__(self, user_text: np.ndarray, item_text: np.ndarray, dim: int = 32, *,
                 d_hidden: Sequence[int] = (64,), init_delta: float = 0.05,
                 g_init: EmbeddingRecommender | None = None, temperature: float = 0.2,
                 mix: float = 0.2, reward: str = "sigmoid", baseline: str | float | None = "mean",
                 scorer: str = "generator", seed: int = 0) -> None:
        n_users, n_items = np.asarray(user_text).shape[0], np.asarray(item_text).shape[0]
        super().__init__(n_users, n_items, dim=dim, init_delta=init_delta, temperature=temperature, mix=mix,
                         reward=reward, baseline=baseline, scorer=scorer, seed=seed)
        self.generator = TextLFM(item_text, n_users, dim, init_delta, seed)
        if g_init is not None:
            self.generator.load_factors(g_init)
        self.discriminator = TextMLPDiscriminator(user_text, item_text, dim, d_hidden, seed + 1)
