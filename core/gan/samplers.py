"""The sampling strategies that make discrete item generation trainable (survey Table 4) and CFGAN's masks.

- REINFORCE (Williams 1992; IRGAN, Wang et al. SIGIR 2017): the generator's gradient is estimated as
  1/K sum_k (r_k - b) grad log P_theta(i_k | u); `reinforce_loss` is the surrogate whose gradient is minus
  that estimate, and `importance_sample` draws IRGAN's samples from a mixture of the generator's softmax
  and the user's positives, with the weights P_theta / mixture that keep the estimate unbiased.
- Gumbel-softmax (Jang et al. 2017; APL, Sun et al. 2019): a continuous relaxation of sampling from a
  softmax, differentiable in the logits, with temperature tau.
- Vector-wise masks (CFGAN, Chae et al. CIKM 2018): zero-reconstruction negatives and partial masking.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch


def _row_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the last dimension, counting only masked-in entries (0 where a row has none)."""
    if mask is None:
        return values.mean(dim=-1)
    m = mask.to(values.dtype)
    return (values * m).sum(dim=-1) / m.sum(dim=-1).clamp_min(1.0)


def reinforce_loss(
    log_probs: torch.Tensor, rewards: torch.Tensor, baseline: str | float | None = "mean", *,
    weights: torch.Tensor | None = None, mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Policy-gradient surrogate: minimising it ascends E[reward] with the REINFORCE gradient estimate.

    `log_probs[..., k]` = log P_theta(i_k) of sampled items (differentiable), `rewards` the same shape (to
    be maximised; treated as constants). The loss is the mean over rows (leading dims) of
    -1/K sum_k w_k (r_k - b) log P_theta(i_k), over the K samples of a row that `mask` keeps. `baseline`
    b: "mean" (the row's mean reward, lowers variance), a constant, or None (b = 0). `weights` w are
    importance weights (1 when None), e.g. those of `importance_sample`.
    """
    if log_probs.shape != rewards.shape:
        raise ValueError(f"log_probs {tuple(log_probs.shape)} and rewards {tuple(rewards.shape)} must have "
                         "the same shape")
    if log_probs.ndim == 0:
        raise ValueError("log_probs must have at least one dimension (the samples)")
    for name, t in (("weights", weights), ("mask", mask)):
        if t is not None and t.shape != log_probs.shape:
            raise ValueError(f"{name} has shape {tuple(t.shape)}, expected {tuple(log_probs.shape)}")
    rewards = rewards.detach()
    if baseline is None:
        advantage = rewards
    elif isinstance(baseline, str):
        if baseline != "mean":
            raise ValueError(f"baseline must be 'mean', a number or None, got {baseline!r}")
        advantage = rewards - _row_mean(rewards, mask).unsqueeze(-1)
    elif isinstance(baseline, (int, float)):
        advantage = rewards - float(baseline)
    else:
        raise TypeError(f"baseline must be 'mean', a number or None, got {type(baseline).__name__}")
    if weights is not None:
        advantage = advantage * weights.detach()
    return -_row_mean(advantage * log_probs, mask).mean()


class ImportanceSample(NamedTuple):
    """Items drawn from a proposal, with the importance weights P_theta(item) / proposal(item)."""

    items: torch.Tensor
    weights: torch.Tensor


def importance_sample(
    probs: torch.Tensor, positives: torch.Tensor, n_samples: int, mix: float = 0.2, *,
    generator: torch.Generator | None = None,
) -> ImportanceSample:
    """IRGAN's generator samples: `n_samples` items per row from (1 - mix) P_theta + mix Uniform(positives).

    `probs` [B, n_items] is the generator's softmax, `positives` [B, n_items] bool the user's training
    items (a row without positives samples from P_theta alone). Draws are with replacement; the weights
    P_theta / proposal make E[w f(item)] under the proposal equal E[f(item)] under P_theta.
    """
    if probs.ndim != 2 or positives.shape != probs.shape:
        raise ValueError(f"probs must be [batch, n_items] and positives the same shape, "
                         f"got {tuple(probs.shape)} and {tuple(positives.shape)}")
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"mix must be in [0, 1], got {mix}")
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    probs = probs.detach()
    pos = positives.to(probs.dtype)
    n_pos = pos.sum(dim=1, keepdim=True)
    share = torch.where(n_pos > 0, torch.full_like(n_pos, mix), torch.zeros_like(n_pos))
    proposal = (1 - share) * probs + share * pos / n_pos.clamp_min(1.0)
    items = torch.multinomial(proposal, n_samples, replacement=True, generator=generator)
    weights = probs.gather(1, items) / proposal.gather(1, items)
    return ImportanceSample(items, weights)


def gumbel_softmax(
    logits: torch.Tensor, tau: float = 1.0, hard: bool = False, generator: torch.Generator | None = None,
    dim: int = -1,
) -> torch.Tensor:
    """A relaxed one-hot sample softmax((logits + g) / tau) with g ~ Gumbel(0, 1) i.i.d.

    As tau -> 0 the sample approaches the one-hot of argmax(logits + g), which is distributed as
    softmax(logits) (the Gumbel-max trick). `hard=True` returns that exact one-hot in the forward pass and
    the relaxed sample's gradient in the backward pass (straight-through estimator).
    """
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    gumbel = -torch.log(-torch.log(u.clamp_min(torch.finfo(logits.dtype).tiny)))
    soft = torch.softmax((logits + gumbel) / tau, dim=dim)
    if not hard:
        return soft
    one_hot = torch.zeros_like(soft).scatter_(dim, soft.argmax(dim=dim, keepdim=True), 1.0)
    return one_hot - soft.detach() + soft


def _purchased(train_rows: object) -> np.ndarray:
    """Boolean [rows, n_items]: True where a row has a non-zero entry."""
    if sp.issparse(train_rows):
        return sp.csr_matrix(train_rows).toarray() != 0
    rows = np.asarray(train_rows)
    if rows.ndim != 2:
        raise ValueError(f"train_rows must be a 2-D user x item matrix, got shape {rows.shape}")
    return rows != 0


def _sample_unpurchased(purchased: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Per row, floor(ratio * #unpurchased) unpurchased items drawn uniformly without replacement."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"ratio must be in [0, 1] (a share of each row's unpurchased items), got {ratio}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    n_rows, n_items = purchased.shape
    counts = np.floor(ratio * (n_items - purchased.sum(axis=1)) + 1e-9).astype(np.int64)
    keys = rng.random(purchased.shape)
    keys[purchased] = np.inf
    ranks = np.empty((n_rows, n_items), dtype=np.int64)
    np.put_along_axis(ranks, np.argsort(keys, axis=1), np.arange(n_items)[None, :].repeat(n_rows, 0), axis=1)
    return ranks < counts[:, None]


def zero_reconstruction_mask(train_rows: object, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """CFGAN's ZR negatives: bool [rows, n_items], True on floor(ratio * #unpurchased) sampled unpurchased
    items per row, whose generated values the ZR regulariser pushes to 0."""
    return _sample_unpurchased(_purchased(train_rows), ratio, rng)


def partial_mask(train_rows: object, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """CFGAN's PM mask: bool [rows, n_items], True on the purchased items plus floor(ratio * #unpurchased)
    sampled unpurchased ones; the generated vector is multiplied by it before the discriminator sees it."""
    purchased = _purchased(train_rows)
    return purchased | _sample_unpurchased(purchased, ratio, rng)
