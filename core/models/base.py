"""The recommender contract every model, attack and defense relies on.

A model scores (user, item) pairs and whole catalogues; an embedding model also exposes its named
embedding tables and accepts additive perturbations of them, so attacks and adversarial training
work on any embedding model without knowing its internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn


class Recommender(nn.Module):
    """Base class: `score(users, items)` for pairs, `full_scores(users)` for every item."""

    n_users: int
    n_items: int

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__()
        if n_users <= 0 or n_items <= 0:
            raise ValueError(f"n_users and n_items must be positive, got {n_users} and {n_items}")
        self.n_users = n_users
        self.n_items = n_items

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of the pairs (users[i], items[i]), shape [len(users)]."""
        raise NotImplementedError

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Scores of every item for each user, shape [len(users), n_items]."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        for p in self.parameters():
            return p.device
        for b in self.buffers():
            return b.device
        return torch.device("cpu")


class EmbeddingRecommender(Recommender):
    """A recommender whose predictions are functions of named embedding tables.

    Subclasses register tables in `embeddings()` (e.g. {"user": P, "item": Q}) and read them through
    `table(name)`, which adds the active perturbation, if any: that is how FGSM/PGD attacks and
    APR/AMR-style adversarial training reach any embedding model.
    """

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__(n_users, n_items)
        self._deltas: dict[str, torch.Tensor] = {}

    def embeddings(self) -> dict[str, torch.Tensor]:
        """The perturbable embedding tables by name ("user", "item", "side", ...)."""
        raise NotImplementedError

    def table(self, name: str) -> torch.Tensor:
        """Embedding table `name` plus its active perturbation (if one is set)."""
        base = self.embeddings()[name]
        delta = self._deltas.get(name)
        return base if delta is None else base + delta

    @contextmanager
    def perturbed(self, deltas: Mapping[str, torch.Tensor]) -> Iterator[EmbeddingRecommender]:
        """Within the block, every score adds `deltas[name]` to table `name`."""
        tables = self.embeddings()
        for name, delta in deltas.items():
            if name not in tables:
                raise KeyError(f"unknown embedding table {name!r}; this model has {sorted(tables)}")
            if delta.shape != tables[name].shape:
                raise ValueError(
                    f"perturbation of {name!r} has shape {tuple(delta.shape)}, "
                    f"expected {tuple(tables[name].shape)}"
                )
        previous = self._deltas
        self._deltas = dict(deltas)
        try:
            yield self
        finally:
            self._deltas = previous
