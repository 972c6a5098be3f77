"""LambdaGAN (Wang, Zheng, Chen, Zhang, "LambdaGAN: Generative Adversarial Nets for Recommendation Task with
Lambda Strategy", IJCNN 2019): IRGAN's pair-wise game made position-aware with LambdaRank weights.

Pair-wise ranking losses treat a swap at the top of a list like a swap in its tail; LambdaRank weights the
gradient of each (observed i+, other i-) pair by |Delta NDCG|, the change of the user's NDCG if the two
items swapped places in the current ranking. Here each player uses its own ranking (over all items):
- D minimises sum lambda_D(u, i+, i-) * -log sigmoid(f_phi(u, i+) - f_phi(u, i-)) over the pairs of a
  batch (i- drawn by G), lambda_D from D's ranking at the start of the pass (one snapshot per pass: a
  ranking per batch costs a full sort per pair);
- G follows REINFORCE on lambda_G(u, i+, i-) * reward(f_phi(u, i-) - f_phi(u, i+)), lambda_G from G's
  scores (the ranking that is recommended), i- drawn from P_theta over the unobserved items.
Weights are rescaled to mean 1 over a D batch / a user's G samples, so the learning rates keep IRGAN's
meaning and only the emphasis between pairs changes. The paper's two redesigned lambda functions are not
public in its abstract; this is the standard LambdaRank |Delta NDCG|. `weighting="none"` is IRGAN's
pair-wise game exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.irgan import IRGAN
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import GANHistory
from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix

_WEIGHTINGS = ("ndcg", "none")


def ranks(scores: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """1-based rank of `items[r, k]` in row r of `scores` [B, n_items] (1 + items scored strictly higher)."""
    ascending = scores.sort(dim=1).values
    picked = scores.gather(1, items).contiguous()
    return 1 + scores.shape[1] - torch.searchsorted(ascending, picked, right=True)


def ideal_dcg(n_relevant: torch.Tensor) -> torch.Tensor:
    """DCG of a ranking with `n_relevant[r]` relevant items on top: sum_{k=1}^{n} 1 / log2(1 + k)."""
    n = n_relevant.to(torch.long)
    width = max(int(n.max()) if n.numel() else 0, 1)
    discounts = 1.0 / torch.log2(torch.arange(2, width + 2, device=n.device, dtype=torch.float32))
    keep = torch.arange(width, device=n.device)[None, :] < n[:, None]
    return (discounts[None, :] * keep).sum(dim=1)


def swap_gain(rank_pos: torch.Tensor, rank_neg: torch.Tensor, n_relevant: torch.Tensor) -> torch.Tensor:
    """LambdaRank weight |Delta NDCG| [B, K] of swapping a relevant item at 1-based rank `rank_pos[r, k]`
    with an irrelevant one at `rank_neg[r, k]`:
    |1/log2(1 + rank_pos) - 1/log2(1 + rank_neg)| / IDCG(n_relevant[r])."""
    if rank_pos.shape != rank_neg.shape or rank_pos.ndim != 2:
        raise ValueError(f"rank_pos {tuple(rank_pos.shape)} and rank_neg {tuple(rank_neg.shape)} must "
                         "both be [batch, K]")
    if n_relevant.shape != (rank_pos.shape[0],) or bool((n_relevant < 1).any()):
        raise ValueError(f"n_relevant must hold {rank_pos.shape[0]} counts >= 1, got shape "
                         f"{tuple(n_relevant.shape)}")
    gain = lambda r: 1.0 / torch.log2(1.0 + r.to(torch.float32))  # noqa: E731
    return (gain(rank_pos) - gain(rank_neg)).abs() / ideal_dcg(n_relevant)[:, None]


def lambda_weights(scores: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor,
                   n_relevant: torch.Tensor) -> torch.Tensor:
    """`swap_gain` of the pairs (`pos[r, k]`, `neg[r, k]`) [B, K] in the ranking by `scores` [B, n_items]."""
    if pos.shape != neg.shape or pos.ndim != 2 or pos.shape[0] != scores.shape[0]:
        raise ValueError(f"pos {tuple(pos.shape)} and neg {tuple(neg.shape)} must both be [batch, K] with "
                         f"batch = {scores.shape[0]} (the rows of scores)")
    return swap_gain(ranks(scores, pos), ranks(scores, neg), n_relevant)


def _unit_mean(weights: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """`weights` rescaled to mean 1 per row over the kept entries (rows whose weights are all 0 get 1s)."""
    m = torch.ones_like(weights) if mask is None else mask.to(weights.dtype)
    mean = (weights * m).sum(dim=-1, keepdim=True) / m.sum(dim=-1, keepdim=True).clamp(min=1)
    return torch.where(mean > 0, weights / mean.clamp(min=torch.finfo(weights.dtype).tiny),
                       torch.ones_like(weights))


class LambdaGAN(IRGAN):
    """IRGAN's pair-wise game with LambdaRank |Delta NDCG| weights on D's pair losses and G's rewards
    (`weighting="ndcg"`); `weighting="none"` reproduces `IRGAN(mode="pair")`. Other arguments as IRGAN."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 5, *, weighting: str = "ndcg",
        g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, **kwargs: object,
    ) -> None:
        if "mode" in kwargs:
            raise ValueError("LambdaGAN is pair-wise only; do not pass mode")
        super().__init__(n_users, n_items, dim, "pair", g_init=g_init, d_init=d_init, **kwargs)
        if weighting not in _WEIGHTINGS:
            raise ValueError(f"weighting must be one of {_WEIGHTINGS}, got {weighting!r}")
        self.weighting = weighting
        self._n_pos = torch.zeros(n_users, dtype=torch.long)
        self._d_ranks = torch.ones(n_users, n_items, dtype=torch.long)

    def fit(self, train: sp.spmatrix, *args: object, **kwargs: object) -> GANHistory:
        """As `IRGAN.fit` (pair-wise); the users' numbers of observed items give each NDCG's ideal DCG."""
        csr = train_matrix(train, self, "train")
        self._n_pos = torch.as_tensor(np.diff(csr.indptr), dtype=torch.long, device=self.device)
        return super().fit(train, *args, **kwargs)

    def _d_pass(self, *args: object, **kwargs: object) -> float:
        if self.weighting == "ndcg":
            with torch.no_grad():
                scores = torch.cat([self.discriminator.full_scores(torch.arange(
                    start, min(start + 1024, self.n_users), device=self.device))
                    for start in range(0, self.n_users, 1024)])
                every = torch.arange(self.n_items, device=self.device).expand(self.n_users, -1)
                self._d_ranks = ranks(scores, every.contiguous())
        return super()._d_pass(*args, **kwargs)

    def _d_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        d, users = self.discriminator, batch["users"]
        losses = F.softplus(d.score(users, batch["neg_items"]) - d.score(users, batch["pos_items"]))
        if self.weighting == "none":
            return losses.sum()
        w = swap_gain(self._d_ranks[users, batch["pos_items"]][:, None],
                      self._d_ranks[users, batch["neg_items"]][:, None], self._n_pos[users])[:, 0]
        return (_unit_mean(w[None, :])[0] * losses).sum()

    def _g_loss(self, csr: sp.csr_matrix, chunk: np.ndarray,
                gen: torch.Generator) -> tuple[torch.Tensor, float, torch.Tensor]:
        dev = self.device
        rows = csr[chunk]
        positives = torch.zeros(len(chunk), self.n_items, dtype=torch.bool, device=dev)
        positives[torch.as_tensor(np.repeat(np.arange(len(chunk)), np.diff(rows.indptr)), device=dev),
                  torch.as_tensor(rows.indices, device=dev, dtype=torch.long)] = True
        n_pos = positives.sum(dim=1)
        bu = torch.as_tensor(chunk, device=dev)
        logits = self.generator.full_scores(bu)
        log_p = torch.log_softmax(logits.masked_fill(positives, float("-inf")), dim=1)
        items = torch.multinomial(log_p.exp().detach(), int(n_pos.max()), replacement=True, generator=gen)
        # the k-th draw is paired with the user's k-th observed item; the mask drops padding slots
        slot = torch.arange(items.shape[1], device=dev)[None, :] % n_pos[:, None]
        by_observed = torch.sort(positives.to(torch.int8), dim=1, descending=True, stable=True).indices
        paired = by_observed.gather(1, slot)
        mask = torch.arange(items.shape[1], device=dev)[None, :] < n_pos[:, None]
        with torch.no_grad():
            uu = bu[:, None].expand_as(items)
            rewards = self._reward(self.discriminator.score(uu, items) - self.discriminator.score(uu, paired))
            if self.weighting == "ndcg":
                rewards = rewards * _unit_mean(lambda_weights(logits.detach(), paired, items, n_pos), mask)
        loss = reinforce_loss(log_p.gather(1, items), rewards, self.baseline, mask=mask)
        m = mask.to(rewards.dtype)
        cost = -((rewards * m).sum(dim=1) / m.sum(dim=1)).mean().item()
        return loss * len(chunk), cost, items[mask]
