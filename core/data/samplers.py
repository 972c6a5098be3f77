"""Negative samplers for training and candidate sets for evaluation.

Samplers draw items a user has not interacted with in train, vectorised: draw for everyone, reject the
draws that hit a training pair (a binary search in the sorted pair keys), redraw only those. Users whose
remaining choice is small are finished exactly from their explicit complement, so a sampler never loops
forever and never returns a training item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .interactions import Interactions, Split

SeedLike = int | np.random.Generator | None
MAX_ROUNDS = 20


def _rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class _Sampler:
    """Common machinery: the train pairs as sorted keys, rejection rounds, exact fallback."""

    def __init__(self, train: Interactions, probs: np.ndarray | None, seed: SeedLike) -> None:
        self.n_users, self.n_items = train.n_users, train.n_items
        self._csr = train.to_csr(binary=True)
        self._csr.sort_indices()
        self._keys = np.unique(train.users * np.int64(self.n_items) + train.items)
        self._probs = probs
        self._cdf = None if probs is None else np.cumsum(probs)
        self.rng = _rng(seed)
        allowed = np.ones(self.n_items, dtype=bool) if probs is None else probs > 0
        self._allowed = allowed
        seen_allowed = np.asarray(self._csr[:, allowed].sum(axis=1)).ravel() if allowed.any() else 0
        self._room = int(allowed.sum()) - seen_allowed

    def _draw(self, size: int) -> np.ndarray:
        if self._cdf is None:
            return self.rng.integers(0, self.n_items, size=size)
        idx = np.searchsorted(self._cdf, self.rng.random(size) * self._cdf[-1], side="right")
        return np.minimum(idx, self.n_items - 1)

    def _seen(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        key = users * np.int64(self.n_items) + items
        pos = np.searchsorted(self._keys, key)
        pos = np.minimum(pos, max(len(self._keys) - 1, 0))
        return self._keys[pos] == key if len(self._keys) else np.zeros(len(key), dtype=bool)

    def sample(self, users: np.ndarray, n: int = 1) -> np.ndarray:
        """`n` negatives per user, shape (len(users), n): items outside each user's training items.

        Draws are independent (with replacement across the n columns), which is what BPR-style training
        expects. Raises ValueError for a user with no eligible item left.
        """
        users = np.asarray(users, dtype=np.int64)
        if users.ndim != 1:
            raise ValueError(f"users must be a 1-D array, got shape {users.shape}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"user ids must lie in [0, {self.n_users})")
        if users.size and np.any(self._room[users] <= 0):
            bad = users[self._room[users] <= 0][0]
            raise ValueError(f"user {bad} has interacted with every item it could be given as a negative")
        flat_users = np.repeat(users, n)
        out = self._draw(flat_users.size)
        todo = np.flatnonzero(self._seen(flat_users, out))
        for _ in range(MAX_ROUNDS):
            if not todo.size:
                break
            out[todo] = self._draw(todo.size)
            todo = todo[self._seen(flat_users[todo], out[todo])]
        for pos in todo:
            out[pos] = self._exact(int(flat_users[pos]))
        return out.reshape(users.size, n)

    def _exact(self, user: int) -> int:
        seen = self._csr.indices[self._csr.indptr[user] : self._csr.indptr[user + 1]]
        free = np.setdiff1d(np.flatnonzero(self._allowed), seen, assume_unique=True)
        if self._probs is None:
            return int(self.rng.choice(free))
        p = self._probs[free]
        return int(self.rng.choice(free, p=p / p.sum()))

    def __call__(self, users: np.ndarray, n: int = 1) -> np.ndarray:
        return self.sample(users, n)


class UniformSampler(_Sampler):
    """Negatives drawn uniformly from the items a user has no training interaction with (BPR's sampler)."""

    def __init__(self, train: Interactions, seed: SeedLike = None) -> None:
        super().__init__(train, None, seed)


class PopularitySampler(_Sampler):
    """Negatives drawn with probability proportional to (training count + `smoothing`) ** `alpha`.

    Items with zero probability (never seen in train, with smoothing 0) are never drawn.
    """

    def __init__(
        self, train: Interactions, seed: SeedLike = None, alpha: float = 1.0, smoothing: float = 0.0
    ):
        if alpha < 0 or smoothing < 0:
            raise ValueError(f"alpha and smoothing must be >= 0, got {alpha} and {smoothing}")
        weights = (train.item_counts().astype(np.float64) + smoothing) ** alpha
        weights[(train.item_counts() + smoothing) == 0] = 0.0
        if weights.sum() <= 0:
            raise ValueError("PopularitySampler needs at least one item with positive weight")
        super().__init__(train, weights / weights.sum(), seed)


@dataclass(frozen=True)
class Candidates:
    """Evaluation candidates of a split part: per evaluated user, its held-out items plus negatives.

    `users` are the users with at least one item in the evaluated part; `positives` (csr, one row per
    user in `users`) their held-out items; `negatives` (len(users) x n) sampled items that are in none of
    the user's train / valid / test items, or None for full ranking, where every item except the user's
    `exclude` (training, plus validation when evaluating test) items is a candidate.
    """

    users: np.ndarray
    positives: sp.csr_matrix
    negatives: np.ndarray | None
    exclude: sp.csr_matrix
    n: int | None
    seed: int | None

    def items(self, row: int) -> np.ndarray:
        """Candidate items of `users[row]`: held-out then negatives (every non-excluded item if n is None)."""
        pos = self.positives.indices[self.positives.indptr[row] : self.positives.indptr[row + 1]]
        if self.negatives is not None:
            return np.concatenate([pos, self.negatives[row]])
        user = self.users[row]
        seen = self.exclude.indices[self.exclude.indptr[user] : self.exclude.indptr[user + 1]]
        mask = np.ones(self.exclude.shape[1], dtype=bool)
        mask[seen] = False
        return np.flatnonzero(mask)


def sample_candidates(
    split: Split, n: int | str | None = 100, seed: int | None = 0, part: str = "test"
) -> Candidates:
    """Candidates for evaluating `part` ("test" or "valid"): all items (n=None) or n sampled negatives.

    Sampled negatives are distinct per user, uniform over the items the user has in none of the split's
    parts, so a negative is never a training item nor a held-out one. `n="released"` uses the negatives
    a paper released with its split (`split.side["test_negatives"]`, e.g. NCF's 99 per user). Excluded
    from full ranking are the training items, plus the validation items when evaluating test.
    """
    target = {"test": split.test, "valid": split.valid}.get(part)
    if target is None:
        raise ValueError(f"part must be 'test' or 'valid' with that part present, got {part!r}")
    exclude = split.train.to_csr(binary=True)
    if part == "test" and split.valid is not None:
        exclude = ((exclude + split.valid.to_csr(binary=True)) > 0).astype(np.float32).tocsr()
    held = target.to_csr(binary=True)
    users = np.flatnonzero(np.diff(held.indptr) > 0)
    positives = held[users]
    negatives = None
    if isinstance(n, str):
        released = split.side.get("test_negatives")
        if (
            n != "released"
            or released is None
            or part != "test"
            or released.ndim != 2
            or released.shape[0] != split.n_users
        ):
            raise ValueError(
                f"n={n!r}: only n='released' is accepted, for part='test' of a split that released "
                f"per-user test negatives (split.side['test_negatives']); {split.name!r} has none"
            )
        negatives = released[users]
        n = negatives.shape[1]
    elif n is not None:
        if n < 1:
            raise ValueError(f"n must be >= 1 or None (all items), got {n}")
        every = ((exclude + held) > 0).astype(np.float32).tocsr()
        if split.valid is not None:
            every = ((every + split.valid.to_csr(binary=True)) > 0).astype(np.float32).tocsr()
        negatives = _distinct_negatives(every, users, n, _rng(seed))
    return Candidates(users, positives.tocsr(), negatives, exclude.tocsr(), n, seed)


def _distinct_negatives(
    seen: sp.csr_matrix, users: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """n distinct items per user outside `seen`, by random keys: the n smallest keys among free items."""
    n_items = seen.shape[1]
    free = n_items - np.diff(seen.indptr)[users]
    if users.size and free.min() < n:
        bad = users[free < n][0]
        raise ValueError(f"user {bad} has only {free.min()} items outside its train/held-out items, n={n}")
    out = np.empty((users.size, n), dtype=np.int64)
    block = max(1, 4_000_000 // max(n_items, 1))
    for start in range(0, users.size, block):
        chunk = users[start : start + block]
        keys = rng.random((chunk.size, n_items))
        sub = seen[chunk]
        rows = np.repeat(np.arange(chunk.size), np.diff(sub.indptr))
        keys[rows, sub.indices] = np.inf
        out[start : start + chunk.size] = np.argpartition(keys, n - 1, axis=1)[:, :n]
    return out
