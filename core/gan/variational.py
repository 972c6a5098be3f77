"""Shared pieces of the VAE-based GAN recommenders of the survey's Table 5 (GAN-VAE-CF, AVAE, VAEGAN, ...).

- Strong generalisation (Liang et al., WWW 2018, the protocol of VAE-CF and of GAN-VAE-CF's release):
  held-out users are not trained on; at test time an auto-encoder reads each user's fold-in items and
  ranks all items for the held-out ones. `FoldInScorer` turns any model with `forward_rows(rows)` into a
  scorer of those users, and `evaluate_fold_in` computes VAE-CF's metrics: NDCG@100 and Recall@k
  normalised by min(k, #held-out items), optionally restricted to an item group (e.g. the long tail).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from advrec import metrics as M
from advrec.evaluation import evaluate
from advrec.models.train_matrix import dense_rows


class FoldInScorer(nn.Module):
    """Scores users from their rows of `fold_in` through `model.forward_rows` (logits first in its output).

    A module, so evaluation puts the wrapped model in eval mode (no dropout, z = mu) while scoring.
    """

    def __init__(self, model: nn.Module, fold_in: sp.spmatrix) -> None:
        super().__init__()
        if not callable(getattr(model, "forward_rows", None)):
            raise TypeError(f"model must have forward_rows(rows) -> (logits, ...), "
                            f"got {type(model).__name__}")
        self.model = model
        self.fold_in = sp.csr_matrix(fold_in)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(dense_rows(self.fold_in, np.asarray(users.cpu()))).to(self.device)
        return self.model.forward_rows(rows)[0]


def capped_recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """VAE-CF's Recall@k: hits in the top k divided by min(k, n_relevant); NaN where n_relevant is 0."""
    hits = np.asarray(hits)[:, :k]
    n = np.asarray(n_relevant, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = hits.sum(axis=1) / np.minimum(n, k)
    return np.where(n > 0, out, np.nan)


def evaluate_fold_in(
    model: nn.Module, fold_in: sp.spmatrix, held_out: sp.spmatrix, *, recall_ks: Sequence[int] = (20, 50),
    ndcg_k: int = 100, groups: dict[str, np.ndarray] | None = None, chunk: int = 2048,
) -> dict[str, np.ndarray]:
    """Per-user metrics of `model` under strong generalisation.

    Each user with a held-out item is scored from its `fold_in` row when the model has `forward_rows`
    (auto-encoders); any other model scores the users itself (e.g. BPR-MF trained with the fold-in rows).
    Fold-in items are not candidates. Returns {"NDCG@100": ..., "RECALL@20": ..., "<GROUP>/RECALL@k": ...}
    arrays aligned with those users (their ids under "users", their top-k lists under "topk"); a group's
    recall counts only held-out items of that group (NaN for users with none), e.g.
    groups={"NICHE": long_tail_item_ids}.
    """
    fold_in = M.as_csr(fold_in, "fold_in")
    held_out = M.as_csr(held_out, "held_out", fold_in.shape)
    kmax = max([ndcg_k, *recall_ks])
    scorer = FoldInScorer(model, fold_in) if callable(getattr(model, "forward_rows", None)) else model
    result = evaluate(scorer, fold_in, held_out,
                      metrics=[f"NDCG@{ndcg_k}", f"HR@{kmax}"], chunk=chunk)
    users, topk = result.users, result.topk
    out: dict[str, np.ndarray] = {"users": users, "topk": topk, f"NDCG@{ndcg_k}": result[f"NDCG@{ndcg_k}"]}
    hits = M.hit_matrix(topk, held_out[users])
    n = M.n_relevant(held_out[users])
    for k in recall_ks:
        out[f"RECALL@{k}"] = capped_recall_at_k(hits, n, k)
    for name, items in (groups or {}).items():
        keep = np.zeros(fold_in.shape[1], dtype=bool)
        keep[np.asarray(items, dtype=np.int64)] = True
        group_test = held_out[users].multiply(sp.csr_matrix(keep.astype(np.float32))).tocsr()
        group_test.eliminate_zeros()
        group_hits = M.hit_matrix(topk, group_test)
        group_n = M.n_relevant(group_test)
        for k in recall_ks:
            out[f"{name}/RECALL@{k}"] = capped_recall_at_k(group_hits, group_n, k)
    return out


def strong_generalisation(
    matrix: sp.spmatrix, n_heldout: int, holdout: float = 0.2, *, min_items: int = 5, seed: int = 0,
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """(train, fold_in, held_out) user x item matrices: `n_heldout` random users with >= `min_items` items
    leave train; each gives round(holdout * n) of its items (at least 1), drawn at random, to held_out and
    keeps the rest as fold-in (Liang et al.'s protocol). All three keep the input's shape."""
    csr = M.as_csr(matrix, "matrix")
    csr = sp.csr_matrix((np.ones(csr.nnz, dtype=np.float32), csr.indices, csr.indptr), shape=csr.shape)
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be in (0, 1), got {holdout}")
    counts = np.diff(csr.indptr)
    eligible = np.flatnonzero(counts >= max(min_items, 2))
    if not 0 < n_heldout <= eligible.size:
        raise ValueError(f"n_heldout must be in [1, {eligible.size}] (users with >= {min_items} items), "
                         f"got {n_heldout}")
    rng = np.random.default_rng(seed)
    chosen = np.zeros(csr.shape[0], dtype=bool)
    chosen[rng.choice(eligible, n_heldout, replace=False)] = True
    rows = np.repeat(np.arange(csr.shape[0]), counts)
    keys = rng.random(csr.nnz)
    order = np.lexsort((keys, rows))  # entries grouped by row, random order within a row
    rank = np.empty(csr.nnz, dtype=np.int64)
    rank[order] = np.arange(csr.nnz) - np.repeat(csr.indptr[:-1], counts)
    n_out = np.maximum(1, np.floor(holdout * counts + 0.5)).astype(np.int64)
    out = chosen[rows] & (rank < n_out[rows])
    parts = []
    for mask in (~chosen[rows], chosen[rows] & ~out, out):
        part = sp.csr_matrix((csr.data[mask], (rows[mask], csr.indices[mask])), shape=csr.shape)
        parts.append(part)
    return parts[0], parts[1], parts[2]
