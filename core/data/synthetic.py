"""A small synthetic implicit dataset with power-law popularity and timestamps, for tests and smoke runs."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .interactions import Interactions


def _zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Weights proportional to rank^-exponent, assigned to ids in random order."""
    weights = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return rng.permutation(weights / weights.sum())


EXACT_CELLS = 4_000_000


def _draw_exact(
    n_users: int,
    n_items: int,
    n: int,
    min_per_user: int,
    user_w: np.ndarray,
    item_w: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Cell keys (user * n_items + item) drawn without replacement over the full grid (small grids)."""
    cells = n_users * n_items
    chosen = np.zeros(0, dtype=np.int64)
    if min_per_user:
        # Gumbel top-k: min_per_user distinct popularity-weighted items per user.
        keys = np.log(item_w)[None, :] + rng.gumbel(size=(n_users, n_items))
        top = np.argpartition(-keys, min_per_user - 1, axis=1)[:, :min_per_user]
        chosen = (np.arange(n_users)[:, None] * n_items + top).ravel()
    need = n - chosen.size
    if need:
        probs = np.outer(user_w, item_w).ravel()
        probs[chosen] = 0.0
        probs /= probs.sum()
        chosen = np.concatenate([chosen, rng.choice(cells, size=need, replace=False, p=probs)])
    return chosen


def _draw_rejection(
    n_users: int,
    n_items: int,
    n: int,
    min_per_user: int,
    user_w: np.ndarray,
    item_w: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Cell keys drawn in vectorised rounds, rejecting repeats (large, sparse grids)."""
    if n > _cells_limit(n_users, n_items):
        raise ValueError(f"n_interactions={n} is too dense for a grid of {n_users} x {n_items}; use <= 50%")
    chosen = np.zeros(0, dtype=np.int64)
    owners = np.repeat(np.arange(n_users, dtype=np.int64), min_per_user)
    while owners.size:
        keys = owners * n_items + rng.choice(n_items, size=owners.size, p=item_w)
        fresh = ~np.isin(keys, chosen)
        _, first = np.unique(keys, return_index=True)
        unique_fresh = np.zeros(keys.size, dtype=bool)
        unique_fresh[first] = True
        keep = fresh & unique_fresh
        chosen = np.concatenate([chosen, keys[keep]])
        owners = owners[~keep]
    while chosen.size < n:
        m = 2 * (n - chosen.size) + 64
        keys = rng.choice(n_users, size=m, p=user_w) * np.int64(n_items) + rng.choice(
            n_items, size=m, p=item_w
        )
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
        keys = keys[~np.isin(keys, chosen)]
        chosen = np.concatenate([chosen, keys[: n - chosen.size]])
    return chosen


def _cells_limit(n_users: int, n_items: int) -> int:
    """Largest number of interactions the rejection sampler accepts for a grid (half of it)."""
    return n_users * n_items // 2


def synthetic(
    n_users: int = 100,
    n_items: int = 50,
    n_interactions: int = 1000,
    seed: int = 0,
    *,
    item_exponent: float = 1.0,
    user_exponent: float = 0.5,
    min_per_user: int = 1,
    explicit: bool = False,
    features: bool = False,
    name: str | None = None,
) -> Interactions:
    """Unique (user, item) pairs drawn with Zipf-like item popularity and user activity, with timestamps.

    Popularity ranks are shuffled over the ids (item 0 is not the most popular). Every user gets at least
    `min_per_user` items; timestamps are distinct integers, so "latest" is always well defined. With
    `explicit=True` values are ratings 1..5 (higher for popular items), else all 1. With `features=True`
    the side information has `user_features` (gender, age), `item_genres` (n_items x 5 bool) and
    `item_vectors` (n_items x 16 float32, e.g. stand-ins for visual features). Same arguments, same data.
    """
    for label, value in (("n_users", n_users), ("n_items", n_items)):
        if value < 1:
            raise ValueError(f"{label} must be >= 1, got {value}")
    cells = n_users * n_items
    if not 0 < n_interactions <= cells:
        raise ValueError(f"n_interactions must lie in [1, n_users * n_items = {cells}], got {n_interactions}")
    if not 0 <= min_per_user <= n_items or n_users * min_per_user > n_interactions:
        raise ValueError(
            f"min_per_user={min_per_user} needs n_users * min_per_user <= n_interactions and <= n_items"
        )
    rng = np.random.default_rng(seed)
    item_w = _zipf_weights(n_items, item_exponent, rng)
    user_w = _zipf_weights(n_users, user_exponent, rng)
    if cells <= EXACT_CELLS:
        chosen = _draw_exact(n_users, n_items, n_interactions, min_per_user, user_w, item_w, rng)
    else:
        chosen = _draw_rejection(n_users, n_items, n_interactions, min_per_user, user_w, item_w, rng)
    chosen = rng.permutation(chosen)
    users, items = chosen // n_items, chosen % n_items
    timestamps = 1_500_000_000 + rng.permutation(chosen.size).astype(np.int64) * 60
    if explicit:
        pop = np.argsort(np.argsort(item_w)) / max(n_items - 1, 1)
        values = np.clip(np.rint(2.5 + 2.0 * pop[items] + rng.normal(0, 1, chosen.size)), 1, 5)
    else:
        values = np.ones(chosen.size)
    side = {}
    if features:
        side = {
            "user_features": pd.DataFrame(
                {
                    "gender": rng.choice(np.array(["F", "M"]), size=n_users),
                    "age": rng.integers(18, 70, size=n_users),
                }
            ),
            "item_genres": rng.random((n_items, 5)) < 0.3,
            "item_vectors": rng.normal(size=(n_items, 16)).astype(np.float32),
        }
    digest = hashlib.sha256()
    for arr in (users, items, values, timestamps):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return Interactions.from_dense(
        users,
        items,
        values,
        timestamps,
        n_users=n_users,
        n_items=n_items,
        side=side,
        name=name or f"synthetic-{n_users}x{n_items}-{n_interactions}-seed{seed}",
        checksum=digest.hexdigest(),
    )
