"""What sequential recommenders share: training sequences taken from the training matrix, and scoring
the next item after a user's stored history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.models.base import EmbeddingRecommender
from advrec.models.seeding import normal_table, seeded
from advrec.models.train_matrix import train_matrix


def sequences_from_matrix(train: sp.csr_matrix) -> list[np.ndarray]:
    """Each user's items ordered by their stored value (a timestamp or position), ties by item id."""
    csr = sp.csr_matrix(train)
    csr.sort_indices()
    out = []
    for u in range(csr.shape[0]):
        lo, hi = csr.indptr[u], csr.indptr[u + 1]
        items, stamps = csr.indices[lo:hi], csr.data[lo:hi]
        out.append(items[np.argsort(stamps, kind="stable")].astype(np.int64))
    return out


class SequentialRecommender(EmbeddingRecommender):
    """Scores the next item from the last `max_len` items of a user's history.

    `prepare(train)` (called by `fit`) stores every user's training sequence, ordered by the training
    matrix's values: pass timestamps (or positions) as values for a meaningful order. `set_sequences`
    replaces them (e.g. to score after a longer history). `full_scores(users)` is the score of every item
    as the item that follows the stored history. embeddings() = {"item": the [n_items, dim] item table},
    shared by input and output.
    """

    default_loss = "next_item"

    def __init__(
        self, n_users: int, n_items: int, dim: int, max_len: int, *, init_std: float, seed: int
    ) -> None:
        super().__init__(n_users, n_items)
        if max_len <= 0:
            raise ValueError(f"max_len must be positive, got {max_len}")
        self.max_len = int(max_len)
        with seeded(seed):
            self.item = normal_table(n_items, dim, init_std)
        self.sequences: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n_users

    def prepare(self, train: sp.csr_matrix) -> None:
        """Store the users' training sequences, ordered by the values of `train`."""
        self.set_sequences(sequences_from_matrix(train_matrix(train, self)))

    def set_sequences(self, sequences: Sequence[np.ndarray]) -> None:
        """Replace the stored histories (one item-id array per user, oldest first)."""
        if len(sequences) != self.n_users:
            raise ValueError(f"expected {self.n_users} sequences (one per user), got {len(sequences)}")
        seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
        for u, s in enumerate(seqs):
            if s.size and (s.min() < 0 or s.max() >= self.n_items):
                raise ValueError(f"sequence of user {u} holds item ids outside [0, {self.n_items})")
        self.sequences = seqs

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"item": self.item}

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Embeddings of padded inputs (item id + 1; 0 is padding and embeds to zeros)."""
        table = self.table("item")
        return F.pad(table, (0, 0, 1, 0))[inputs]

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        """Hidden states [B, L, dim] of left-padded input sequences [B, L]."""
        raise NotImplementedError

    def histories(self, users: torch.Tensor) -> torch.Tensor:
        """The last `max_len` stored items of each user, left-padded, as model inputs (item id + 1)."""
        out = np.zeros((len(users), self.max_len), dtype=np.int64)
        for row, u in enumerate(users.cpu().numpy()):
            seq = self.sequences[u][-self.max_len :]
            if seq.size:
                out[row, -seq.size :] = seq + 1
        return torch.from_numpy(out).to(self.item.device)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        hidden = self.encode(self.histories(users))[:, -1]
        return hidden @ self.table("item").T

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)


def next_item_loss(model: SequentialRecommender, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of the true next item over all items, averaged over every non-padded position."""
    hidden = model.encode(batch["inputs"])
    targets = batch["targets"]
    mask = targets >= 0
    logits = hidden[mask] @ model.table("item").T
    return F.cross_entropy(logits, targets[mask])


def next_item_bpr_loss(model: SequentialRecommender, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """BPR at every non-padded position: -log sigmoid(s(next item) - s(sampled negative)), averaged; the
    pair-wise objective of sequential factorised models (e.g. SAO, Manotumruksa & Yilmaz, SIGIR 2020)."""
    hidden = model.encode(batch["inputs"])
    targets, negatives = batch["targets"], batch["negatives"]
    mask = targets >= 0
    table = model.table("item")
    states = hidden[mask]
    pos = (states * table[targets[mask]]).sum(-1)
    neg = (states * table[negatives[mask]]).sum(-1)
    return -F.logsigmoid(pos - neg).mean()
