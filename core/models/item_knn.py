"""ItemKNN: item-based collaborative filtering with cosine similarity (Sarwar et al., WWW 2001;
Deshpande & Karypis, TOIS 2004)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix


class ItemKNN(Recommender):
    """score(u, i) = sum of cos(i, j) over the user's items j among i's k most similar items.

    `prepare(train)` binarises the training matrix, computes item-item cosine similarities (with an
    optional shrink term in the denominator) chunk by chunk and keeps the top `k` per item.
    """

    default_loss = None

    def __init__(
        self, n_users: int, n_items: int, k: int = 50, *, shrink: float = 0.0, chunk: int = 1024
    ) -> None:
        super().__init__(n_users, n_items)
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        if shrink < 0:
            raise ValueError(f"shrink must be >= 0, got {shrink}")
        self.k = min(int(k), n_items - 1) if n_items > 1 else 0
        self.shrink = float(shrink)
        self.chunk = int(chunk)
        self.interactions: sp.csr_matrix = sp.csr_matrix((n_users, n_items), dtype=np.float32)
        self.similarity: sp.csr_matrix = sp.csr_matrix((n_items, n_items), dtype=np.float32)

    def prepare(self, train: sp.csr_matrix) -> None:
        """Store the binarised training matrix and the top-k cosine neighbourhood of every item."""
        csr = train_matrix(train, self)
        csr.data[:] = 1.0
        self.interactions = csr
        by_item = csr.T.tocsr()
        norms = np.sqrt(np.asarray(by_item.multiply(by_item).sum(axis=1)).ravel())
        rows, cols, vals = [], [], []
        for start in range(0, self.n_items, self.chunk):
            stop = min(start + self.chunk, self.n_items)
            sims = (by_item[start:stop] @ csr).toarray()
            denom = norms[start:stop, None] * norms[None, :] + self.shrink
            with np.errstate(divide="ignore", invalid="ignore"):
                sims = np.where(denom > 0, sims / denom, 0.0)
            sims[np.arange(stop - start), np.arange(start, stop)] = 0.0
            if self.k == 0:
                continue
            top = np.argpartition(-sims, self.k - 1, axis=1)[:, : self.k]
            top_vals = np.take_along_axis(sims, top, axis=1)
            keep = top_vals > 0
            rows.append(np.repeat(np.arange(start, stop), self.k)[keep.ravel()])
            cols.append(top[keep])
            vals.append(top_vals[keep])
        if rows:
            self.similarity = sp.csr_matrix(
                (np.concatenate(vals).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
                shape=(self.n_items, self.n_items),
            )

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        u, i = users.cpu().numpy(), items.cpu().numpy()
        scores = np.asarray(self.interactions[u].multiply(self.similarity[i]).sum(axis=1)).ravel()
        return torch.from_numpy(scores.astype(np.float32))

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        scores = (self.interactions[users.cpu().numpy()] @ self.similarity.T).toarray()
        return torch.from_numpy(scores.astype(np.float32))
