"""MFGAN (Ren et al., SIGIR 2020): sequential recommendation with a self-attentive generator judged by
multiple factor-specific discriminators.

The generator is a Transformer next-item model (SASRec); each discriminator is a causal Transformer
binary classifier that reads the history and the proposed next item through one factor of the items
(the item id itself, a popularity level, a category, ...), so each judges the proposal from one point of
view. G is pre-trained by maximum likelihood, the discriminators are pre-trained against G's proposals,
then G follows REINFORCE on the weighted mean of the discriminators' probabilities that its proposal is
real (the official code: 10 proposals per sequence, 1 discriminator block, 2 heads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from advrec.gan.sequential import SequenceGAN, SequenceScorer
from advrec.models.sasrec import SASRec


def popularity_factor(train: sp.spmatrix, bins: int = 10) -> np.ndarray:
    """Each item's popularity level 0..bins-1: equal-size quantile bins of its training count (unseen
    items fall in the lowest level)."""
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    counts = np.asarray(sp.csr_matrix(train).getnnz(axis=0), dtype=np.float64)
    ranks = np.argsort(np.argsort(counts, kind="stable"), kind="stable")
    return (ranks * bins // len(counts)).astype(np.int64)


def category_factor(item_categories: np.ndarray) -> np.ndarray:
    """Each item's first category (the first set column of a binary item x category matrix; items
    without one get an extra category of their own)."""
    cats = np.asarray(item_categories)
    if cats.ndim != 2:
        raise ValueError(f"item_categories must be an [n_items, n_categories] matrix, got shape {cats.shape}")
    has = cats.astype(bool).any(axis=1)
    return np.where(has, cats.astype(bool).argmax(axis=1), cats.shape[1]).astype(np.int64)


class MFGAN(SequenceGAN):
    """MFGAN: SASRec generator and one Transformer discriminator per factor (`factors`: name -> item ->
    factor array, or None for the item id); `weights` combine the discriminators' rewards (equal when
    None). Pre-train `self.generator` with `advrec.training.fit` before `fit`."""

    def __init__(
        self, n_users: int, n_items: int, factors: Mapping[str, Sequence[int] | np.ndarray | None],
        dim: int = 32, *, max_len: int = 20, g_blocks: int = 2, g_heads: int = 1, d_blocks: int = 1,
        d_heads: int = 2, dropout: float = 0.2, weights: Sequence[float] | None = None,
        baseline: str | float | None = "mean", temperature: float = 1.0, seed: int = 0,
    ) -> None:
        if not factors:
            raise ValueError("factors must name at least one discriminator factor (None = the item id)")
        generator = SASRec(n_users, n_items, dim, blocks=g_blocks, heads=g_heads, max_len=max_len,
                           dropout=dropout, seed=seed)
        discriminators = [SequenceScorer(n_users, n_items, dim, encoder="transformer", factor=codes,
                                         max_len=max_len, layers=d_blocks, heads=d_heads, dropout=dropout,
                                         seed=seed + 100 + k) for k, codes in enumerate(factors.values())]
        super().__init__(generator, discriminators, mode="point", reward="prob", weights=weights,
                         baseline=baseline, temperature=temperature)
        self.factor_names = list(factors)
