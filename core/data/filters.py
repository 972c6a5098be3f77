"""Filters: k-core and rating-threshold filtering, the usual pre-processing before a split."""

from __future__ import annotations

import numpy as np

from .interactions import Interactions


def kcore(
    data: Interactions,
    k: int = 5,
    *,
    user_k: int | None = None,
    item_k: int | None = None,
    compact: bool = True,
    max_iter: int = 1000,
) -> Interactions:
    """The largest subset where every user has >= `user_k` and every item >= `item_k` rows (default `k`).

    Filtering repeats until both conditions hold at once (a true k-core, not one pass each). Counts are
    of rows; run `dedupe()` first when duplicated pairs should count once. With `compact=True` the
    surviving users and items are renumbered densely (side information follows); otherwise the id space
    is kept and removed entities simply have no rows.
    """
    user_k = k if user_k is None else user_k
    item_k = k if item_k is None else item_k
    if user_k < 0 or item_k < 0:
        raise ValueError(f"user_k and item_k must be >= 0, got {user_k} and {item_k}")
    keep = np.ones(len(data), dtype=bool)
    for _ in range(max_iter):
        u_counts = np.bincount(data.users[keep], minlength=data.n_users)
        i_counts = np.bincount(data.items[keep], minlength=data.n_items)
        ok = keep & (u_counts[data.users] >= user_k) & (i_counts[data.items] >= item_k)
        if np.array_equal(ok, keep):
            break
        keep = ok
    else:
        raise RuntimeError(f"kcore did not converge within max_iter={max_iter} rounds")
    out = data.subset(keep)
    return out.compact() if compact else out


def filter_values(
    data: Interactions,
    min_value: float | None = None,
    max_value: float | None = None,
    *,
    compact: bool = False,
) -> Interactions:
    """Rows whose value lies in [min_value, max_value] (a rating threshold); id space kept by default."""
    keep = np.ones(len(data), dtype=bool)
    if min_value is not None:
        keep &= data.values >= min_value
    if max_value is not None:
        keep &= data.values <= max_value
    out = data.subset(keep)
    return out.compact() if compact else out
