"""Splitting protocols: leave-one-out (latest or random) and ratio hold-out (random or temporal).

All splits keep the dataset's id space in every part, are vectorised (one sort, no per-user loop), and
never leave a held-out (user, item) pair in train: when a pair occurs several times, its other
occurrences are removed from train.
"""

from __future__ import annotations

import numpy as np

from .interactions import Interactions, Split

MODES_LOO = ("latest", "random")
MODES_RATIO = ("random", "temporal")


def _order_within_users(data: Interactions, mode: str, rng: np.random.Generator | None) -> np.ndarray:
    """Row indices sorted by user, then by time (temporal) or a random key; row index breaks ties."""
    rows = np.arange(len(data))
    if mode in ("latest", "temporal"):
        if data.timestamps is None:
            raise ValueError(
                f"mode={mode!r} needs timestamps, but dataset {data.name!r} has none; use mode='random'"
            )
        key = data.timestamps
    else:
        key = rng.permutation(len(data))
    return np.lexsort((rows, key, data.users))


def _rank_from_end(data: Interactions, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows in `order`: 0 for each user's last row, 1 for the one before, ...; and the user's count."""
    counts = np.bincount(data.users, minlength=data.n_users)
    sorted_users = data.users[order]
    ends = np.cumsum(counts)
    return ends[sorted_users] - 1 - np.arange(len(order)), counts[sorted_users]


def _without_leaks(data: Interactions, train_rows: np.ndarray, held_rows: np.ndarray) -> np.ndarray:
    """Train rows minus those repeating a held-out (user, item) pair."""
    key = data.users * np.int64(data.n_items) + data.items
    return train_rows[~np.isin(key[train_rows], key[held_rows])]


def _make(
    data: Interactions,
    train_rows: np.ndarray,
    valid_rows: np.ndarray | None,
    test_rows: np.ndarray,
    protocol: str,
    seed: int | None,
    params: dict,
) -> Split:
    held = test_rows if valid_rows is None else np.concatenate([test_rows, valid_rows])
    train_rows = _without_leaks(data, np.sort(train_rows), held)
    return Split(
        data.subset(train_rows),
        data.subset(np.sort(test_rows)),
        None if valid_rows is None else data.subset(np.sort(valid_rows)),
        name=data.name,
        protocol=protocol,
        seed=seed,
        side={"params": params},
    )


def leave_one_out(
    data: Interactions, mode: str = "latest", seed: int | None = 0, valid: bool = False
) -> Split:
    """Hold out one interaction per user with >= 2 rows: the latest (by timestamp) or a random one.

    With `valid=True` the one before it (latest mode) or a second random one goes to validation for users
    with >= 3 rows. Users with a single row stay entirely in train. Ties in time are broken by row order
    (the later row counts as later). `seed` drives the random mode only.
    """
    if mode not in MODES_LOO:
        raise ValueError(f"mode must be one of {MODES_LOO}, got {mode!r}")
    rng = np.random.default_rng(seed) if mode == "random" else None
    order = _order_within_users(data, mode, rng)
    rank, count = _rank_from_end(data, order)
    test_mask = (rank == 0) & (count >= 2)
    valid_mask = (rank == 1) & (count >= 3) if valid else np.zeros(len(order), dtype=bool)
    return _make(
        data,
        order[~(test_mask | valid_mask)],
        order[valid_mask] if valid else None,
        order[test_mask],
        f"leave-one-out-{mode}",
        seed if mode == "random" else None,
        {"mode": mode, "valid": valid},
    )


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5).astype(np.int64)


def ratio_split(
    data: Interactions,
    test: float = 0.2,
    valid: float = 0.0,
    mode: str = "random",
    seed: int | None = 0,
    *,
    by_user: bool = True,
) -> Split:
    """Hold out a fraction of the rows: per user (default) or globally, at random or the latest in time.

    Per user, a user with n rows gives round(test * n) rows to test and round(valid * n) to validation
    (rounding half up), always keeping at least one row in train (validation shrinks first). Globally,
    round(test * N) rows go to test: random rows, or the N latest (temporal, so test users may be cold).
    """
    if mode not in MODES_RATIO:
        raise ValueError(f"mode must be one of {MODES_RATIO}, got {mode!r}")
    if not 0.0 < test < 1.0 or not 0.0 <= valid < 1.0 or test + valid >= 1.0:
        raise ValueError(
            f"need 0 < test < 1, 0 <= valid < 1 and test + valid < 1; got test={test}, valid={valid}"
        )
    rng = np.random.default_rng(seed) if mode == "random" else None
    if by_user:
        order = _order_within_users(data, mode, rng)
        rank, count = _rank_from_end(data, order)
        n_test = _round_half_up(test * count)
        n_valid = _round_half_up(valid * count)
        n_valid = np.minimum(n_valid, np.maximum(count - 1 - n_test, 0))
        n_test = np.minimum(n_test, count - 1 - n_valid)
    else:
        rows = np.arange(len(data))
        if mode == "temporal":
            if data.timestamps is None:
                raise ValueError(f"mode='temporal' needs timestamps, but dataset {data.name!r} has none")
            order = np.lexsort((rows, data.timestamps))
        else:
            order = rng.permutation(len(data))
        total = len(data)
        rank = total - 1 - np.arange(total)
        n_test = np.full(total, int(_round_half_up(np.array(test * total))))
        n_valid = np.full(total, int(_round_half_up(np.array(valid * total))))
    test_mask = rank < n_test
    valid_mask = (rank >= n_test) & (rank < n_test + n_valid)
    params = {"test": test, "valid": valid, "mode": mode, "by_user": by_user}
    return _make(
        data,
        order[~(test_mask | valid_mask)],
        order[valid_mask] if valid > 0 else None,
        order[test_mask],
        f"ratio-{mode}-{'user' if by_user else 'global'}",
        seed if mode == "random" else None,
        params,
    )
