"""`Interactions` (a user-item log in a dense id space) and `Split` (train/test[/valid] sharing it).

Every model, attack and metric of advrec reads data through these two types, so they validate their
arrays once, at construction, and keep the original ids and side information next to the dense ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

# Side-information keys holding user-user edges as int64 arrays of shape (E, 2) of dense user ids.
USER_EDGE_KEYS = ("trust", "friends")
# Side-information keys holding DataFrames with dense `user` and/or `item` columns (one row per record).
RECORD_KEYS = ("tag_assignments",)


def _as_ids(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Interactions:
    """A log of (user, item, value[, timestamp]) rows over dense ids 0..n_users-1 and 0..n_items-1.

    `user_ids[u]` / `item_ids[i]` give the original id of dense id u / i. `side` holds side information:
    per-user tables under keys starting with "user_" (one row per dense user, e.g. `user_features`),
    per-item tables under keys starting with "item_" (e.g. `item_features`, `item_genres`), user-user edges
    under `trust` / `friends` (int64 arrays (E, 2) of dense ids) and anything else verbatim. Treat the
    arrays as read-only: methods return new objects and never modify them.
    """

    users: np.ndarray
    items: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray | None
    n_users: int
    n_items: int
    user_ids: np.ndarray
    item_ids: np.ndarray
    side: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    checksum: str | None = None

    def __post_init__(self) -> None:
        users = _as_ids(self.users, "users")
        items = _as_ids(self.items, "items")
        n = users.shape[0]
        if items.shape[0] != n:
            raise ValueError(f"users and items must have the same length, got {n} and {items.shape[0]}")
        values = np.ascontiguousarray(np.asarray(self.values, dtype=np.float32))
        if values.shape != (n,):
            raise ValueError(f"values must have shape ({n},), got {values.shape}")
        timestamps = None
        if self.timestamps is not None:
            timestamps = _as_ids(self.timestamps, "timestamps")
            if timestamps.shape[0] != n:
                raise ValueError(f"timestamps must have length {n}, got {timestamps.shape[0]}")
        n_users, n_items = int(self.n_users), int(self.n_items)
        for label, arr, bound in (("users", users, n_users), ("items", items, n_items)):
            if bound < 0:
                raise ValueError(f"n_{label} must be >= 0, got {bound}")
            if n and (arr.min() < 0 or arr.max() >= bound):
                raise ValueError(
                    f"{label} ids must lie in [0, {bound}), got range [{arr.min()}, {arr.max()}]"
                )
        user_ids = np.asarray(self.user_ids)
        item_ids = np.asarray(self.item_ids)
        if user_ids.shape != (n_users,):
            raise ValueError(f"user_ids must have length n_users={n_users}, got shape {user_ids.shape}")
        if item_ids.shape != (n_items,):
            raise ValueError(f"item_ids must have length n_items={n_items}, got shape {item_ids.shape}")
        for attr, value in (
            ("users", users),
            ("items", items),
            ("values", values),
            ("timestamps", timestamps),
            ("n_users", n_users),
            ("n_items", n_items),
            ("user_ids", user_ids),
            ("item_ids", item_ids),
            ("side", dict(self.side)),
        ):
            object.__setattr__(self, attr, value)

    @classmethod
    def from_dense(
        cls,
        users: Any,
        items: Any,
        values: Any = None,
        timestamps: Any = None,
        *,
        n_users: int | None = None,
        n_items: int | None = None,
        **kwargs: Any,
    ) -> Interactions:
        """Build from ids that are already dense (0-based); the original ids are the dense ids."""
        users = _as_ids(users, "users")
        items = _as_ids(items, "items")
        if not users.size and (n_users is None or n_items is None):
            raise ValueError("n_users and n_items are required to build an empty Interactions")
        n_users = int(users.max()) + 1 if n_users is None else n_users
        n_items = int(items.max()) + 1 if n_items is None else n_items
        values = np.ones(len(users), np.float32) if values is None else values
        return cls(
            users,
            items,
            values,
            timestamps,
            n_users,
            n_items,
            np.arange(n_users, dtype=np.int64),
            np.arange(n_items, dtype=np.int64),
            **kwargs,
        )

    @classmethod
    def from_raw(
        cls,
        users: Any,
        items: Any,
        values: Any = None,
        timestamps: Any = None,
        *,
        user_ids: Any = None,
        item_ids: Any = None,
        **kwargs: Any,
    ) -> Interactions:
        """Build from original ids, remapping them densely in sorted order (or in the given id lists)."""
        dense_u, uids = _remap(np.asarray(users), user_ids, "user")
        dense_i, iids = _remap(np.asarray(items), item_ids, "item")
        values = np.ones(len(dense_u), np.float32) if values is None else values
        return cls(dense_u, dense_i, values, timestamps, len(uids), len(iids), uids, iids, **kwargs)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def __repr__(self) -> str:
        return (
            f"Interactions(name={self.name!r}, n_users={self.n_users}, n_items={self.n_items}, "
            f"n_interactions={len(self)}, timestamps={self.timestamps is not None})"
        )

    def replace(self, **changes: Any) -> Interactions:
        """A copy with the given fields changed (arrays are shared, not copied)."""
        fields = {
            "users": self.users,
            "items": self.items,
            "values": self.values,
            "timestamps": self.timestamps,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "user_ids": self.user_ids,
            "item_ids": self.item_ids,
            "side": self.side,
            "name": self.name,
            "checksum": self.checksum,
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown Interactions field(s): {sorted(unknown)}")
        fields.update(changes)
        return Interactions(**fields)

    def subset(self, rows: np.ndarray) -> Interactions:
        """The rows selected by a boolean mask or an index array, in the same id space."""
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.shape != (len(self),):
            raise ValueError(f"boolean row mask must have shape ({len(self)},), got {rows.shape}")
        return self.replace(
            users=self.users[rows],
            items=self.items[rows],
            values=self.values[rows],
            timestamps=None if self.timestamps is None else self.timestamps[rows],
        )

    def to_csr(self, binary: bool = True) -> sp.csr_matrix:
        """User x item matrix of shape (n_users, n_items): 1 per observed pair, or the value.

        With `binary=False` a pair observed several times keeps its latest value (by timestamp when
        present, else by row order), so duplicated ratings are never summed.
        """
        shape = (self.n_users, self.n_items)
        if binary:
            data = np.ones(len(self), dtype=np.float32)
            mat = sp.csr_matrix((data, (self.users, self.items)), shape=shape)
            mat.sum_duplicates()
            mat.data[:] = 1.0
            return mat
        keep = self._last_of_each_pair()
        return sp.csr_matrix(
            (self.values[keep], (self.users[keep], self.items[keep])), shape=shape, dtype=np.float32
        )

    def _last_of_each_pair(self) -> np.ndarray:
        key = self.users * np.int64(self.n_items) + self.items
        order_keys = (
            [np.arange(len(self)), key]
            if self.timestamps is None
            else [np.arange(len(self)), self.timestamps, key]
        )
        order = np.lexsort(order_keys)
        sorted_key = key[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = sorted_key[1:] != sorted_key[:-1]
        return np.sort(order[last])

    def dedupe(self) -> Interactions:
        """One row per (user, item) pair: the latest (by timestamp, then row order); row order kept."""
        return self.subset(self._last_of_each_pair())

    def implicit(self, threshold: float | None = None) -> Interactions:
        """Implicit view: rows with value >= threshold (all rows if None), every value set to 1.

        The id space (n_users, n_items, id maps, side information) is unchanged, so an implicit view
        of a split's parts still shares one id space.
        """
        out = self if threshold is None else self.subset(self.values >= threshold)
        return out.replace(values=np.ones(len(out), dtype=np.float32))

    def compact(self) -> Interactions:
        """Drop users and items without interactions and renumber the rest densely (side info follows)."""
        user_map = _keep_map(np.bincount(self.users, minlength=self.n_users) > 0)
        item_map = _keep_map(np.bincount(self.items, minlength=self.n_items) > 0)
        return self.reindex(user_map, item_map)

    def reindex(self, user_map: np.ndarray, item_map: np.ndarray) -> Interactions:
        """Renumber ids through maps old->new (-1 drops the id and its rows); side information follows."""
        user_map = np.asarray(user_map, dtype=np.int64)
        item_map = np.asarray(item_map, dtype=np.int64)
        if user_map.shape != (self.n_users,) or item_map.shape != (self.n_items,):
            raise ValueError("user_map/item_map must have lengths n_users/n_items")
        new_u, new_i = user_map[self.users], item_map[self.items]
        keep = (new_u >= 0) & (new_i >= 0)
        n_users = int(user_map.max()) + 1 if user_map.size else 0
        n_items = int(item_map.max()) + 1 if item_map.size else 0
        return Interactions(
            users=new_u[keep],
            items=new_i[keep],
            values=self.values[keep],
            timestamps=None if self.timestamps is None else self.timestamps[keep],
            n_users=n_users,
            n_items=n_items,
            user_ids=_inverse_take(self.user_ids, user_map, n_users),
            item_ids=_inverse_take(self.item_ids, item_map, n_items),
            side=_reindex_side(self.side, user_map, item_map, self.n_users, self.n_items),
            name=self.name,
            checksum=self.checksum,
        )

    def user_counts(self) -> np.ndarray:
        """Number of rows per dense user id."""
        return np.bincount(self.users, minlength=self.n_users)

    def item_counts(self) -> np.ndarray:
        """Number of rows per dense item id (the popularity used by samplers and attacks)."""
        return np.bincount(self.items, minlength=self.n_items)

    def to_frame(self, original_ids: bool = False) -> pd.DataFrame:
        """The rows as a DataFrame (user, item, value[, timestamp]); original ids on request."""
        frame = {
            "user": self.user_ids[self.users] if original_ids else self.users,
            "item": self.item_ids[self.items] if original_ids else self.items,
            "value": self.values,
        }
        if self.timestamps is not None:
            frame["timestamp"] = self.timestamps
        return pd.DataFrame(frame)

    def stats(self) -> dict[str, Any]:
        """Summary statistics (JSON-serialisable): sizes, density, value range, time span, checksum."""
        n = len(self)
        pairs = np.unique(self.users * np.int64(self.n_items) + self.items).size if n else 0
        cells = self.n_users * self.n_items
        out: dict[str, Any] = {
            "name": self.name,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "n_interactions": n,
            "n_active_users": int(np.unique(self.users).size),
            "n_active_items": int(np.unique(self.items).size),
            "n_duplicate_pairs": int(n - pairs),
            "density": float(pairs / cells) if cells else 0.0,
            "value_min": float(self.values.min()) if n else None,
            "value_max": float(self.values.max()) if n else None,
            "value_mean": float(self.values.astype(np.float64).mean()) if n else None,
            "implicit": bool(n == 0 or np.all(self.values == 1.0)),
            "timestamps": self.timestamps is not None,
            "time_min": int(self.timestamps.min()) if self.timestamps is not None and n else None,
            "time_max": int(self.timestamps.max()) if self.timestamps is not None and n else None,
            "side": sorted(self.side),
            "checksum": self.checksum,
        }
        return out


def _remap(raw: np.ndarray, ids: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    if ids is None:
        uniq, dense = np.unique(raw, return_inverse=True)
        return dense.astype(np.int64).ravel(), uniq
    ids = np.asarray(ids)
    if np.unique(ids).size != ids.size:
        raise ValueError(f"{label}_ids must not contain duplicates")
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids, raw, sorter=order)
    pos = np.clip(pos, 0, max(len(ids) - 1, 0))
    dense = order[pos] if len(ids) else pos
    if len(raw) and (len(ids) == 0 or np.any(ids[dense] != raw)):
        missing = raw[ids[dense] != raw] if len(ids) else raw
        first = missing[0].item() if isinstance(missing[0], np.generic) else missing[0]
        raise ValueError(f"{label} id {first!r} is not in the given {label}_ids")
    return dense.astype(np.int64), ids


def _keep_map(keep: np.ndarray) -> np.ndarray:
    out = np.full(keep.shape[0], -1, dtype=np.int64)
    out[keep] = np.arange(int(keep.sum()), dtype=np.int64)
    return out


def _inverse_take(ids: np.ndarray, mapping: np.ndarray, n_new: int) -> np.ndarray:
    old = np.full(n_new, -1, dtype=np.int64)
    kept = np.flatnonzero(mapping >= 0)
    old[mapping[kept]] = kept
    if np.any(old < 0):
        raise ValueError("id maps must send kept ids onto 0..n-1 without gaps")
    return ids[old]


def _reindex_side(
    side: Mapping[str, Any], user_map: np.ndarray, item_map: np.ndarray, n_users: int, n_items: int
) -> dict[str, Any]:
    """Apply an id renumbering to every piece of side information whose layout is known."""
    out: dict[str, Any] = {}
    for key, value in side.items():
        if key.startswith("user_") and _rows(value) == n_users:
            out[key] = _take_rows(value, user_map)
        elif key.startswith("item_") and _rows(value) == n_items:
            out[key] = _take_rows(value, item_map)
        elif key in USER_EDGE_KEYS and isinstance(value, np.ndarray) and value.ndim == 2:
            edges = user_map[value]
            out[key] = edges[(edges >= 0).all(axis=1)]
        elif key in RECORD_KEYS and isinstance(value, pd.DataFrame):
            frame = value.copy()
            keep = np.ones(len(frame), dtype=bool)
            for col, mapping in (("user", user_map), ("item", item_map)):
                if col in frame:
                    # -1 marks a record outside the id space: it stays -1; records of dropped ids go.
                    old = frame[col].to_numpy()
                    new = np.where(old >= 0, mapping[np.maximum(old, 0)], -1)
                    keep &= (old < 0) | (new >= 0)
                    frame[col] = new
            out[key] = frame[keep].reset_index(drop=True)
        else:
            out[key] = value
    return out


def _rows(value: Any) -> int | None:
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)) or sp.issparse(value):
        return int(value.shape[0])
    return None


def _take_rows(value: Any, mapping: np.ndarray) -> Any:
    old = np.full(int(mapping.max()) + 1 if mapping.size else 0, -1, dtype=np.int64)
    kept = np.flatnonzero(mapping >= 0)
    old[mapping[kept]] = kept
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.iloc[old].reset_index(drop=True)
    return value[old]


def _digest_arrays(parts: list[tuple[str, Interactions | None]]) -> str:
    h = hashlib.sha256()
    for label, part in parts:
        if part is None:
            continue
        h.update(f"{label}:{part.n_users}:{part.n_items}:{len(part)};".encode())
        h.update(np.ascontiguousarray(part.users, dtype="<i8").tobytes())
        h.update(np.ascontiguousarray(part.items, dtype="<i8").tobytes())
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Split:
    """Train/test[/valid] `Interactions` over one id space, with a fingerprint of its index arrays.

    `fingerprint` is the sha256 of each part's (user, item) index arrays and sizes: two splits with
    the same fingerprint hold exactly the same pairs in the same order. `side` holds split-level extras
    (released test negatives, attack targets, fold-in users, ...).
    """

    train: Interactions
    test: Interactions
    valid: Interactions | None = None
    name: str = ""
    protocol: str = ""
    seed: int | None = None
    side: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        for label, part in (("test", self.test), ("valid", self.valid)):
            if part is None:
                continue
            if (part.n_users, part.n_items) != (self.train.n_users, self.train.n_items):
                raise ValueError(
                    f"split part {label!r} has shape ({part.n_users}, {part.n_items}), expected the "
                    f"train shape ({self.train.n_users}, {self.train.n_items}): parts must share one id space"
                )
        object.__setattr__(self, "side", dict(self.side))
        object.__setattr__(
            self,
            "fingerprint",
            _digest_arrays([("train", self.train), ("valid", self.valid), ("test", self.test)]),
        )

    @property
    def n_users(self) -> int:
        """Number of users of the shared id space."""
        return self.train.n_users

    @property
    def n_items(self) -> int:
        """Number of items of the shared id space."""
        return self.train.n_items

    @property
    def checksum(self) -> str | None:
        """Checksum of the source data the split came from."""
        return self.train.checksum

    def parts(self) -> dict[str, Interactions]:
        """The non-empty parts by name ("train", "valid", "test")."""
        out = {"train": self.train}
        if self.valid is not None:
            out["valid"] = self.valid
        out["test"] = self.test
        return out

    def implicit(self, threshold: float | None = None) -> Split:
        """Every part in its implicit view (see `Interactions.implicit`); the id space is unchanged."""
        return Split(
            self.train.implicit(threshold),
            self.test.implicit(threshold),
            None if self.valid is None else self.valid.implicit(threshold),
            name=self.name,
            protocol=self.protocol,
            seed=self.seed,
            side=self.side,
        )

    def union(self) -> Interactions:
        """All parts concatenated (train, valid, test) as one `Interactions`."""
        parts = list(self.parts().values())
        has_time = all(p.timestamps is not None for p in parts)
        return self.train.replace(
            users=np.concatenate([p.users for p in parts]),
            items=np.concatenate([p.items for p in parts]),
            values=np.concatenate([p.values for p in parts]),
            timestamps=np.concatenate([p.timestamps for p in parts]) if has_time else None,
        )

    def stats(self) -> dict[str, Any]:
        """Per-part statistics plus the split's name, protocol and fingerprint."""
        return {
            "name": self.name,
            "protocol": self.protocol,
            "fingerprint": self.fingerprint,
            "seed": self.seed,
            **{label: part.stats() for label, part in self.parts().items()},
        }

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.parts().items())
        return (
            f"Split(name={self.name!r}, protocol={self.protocol!r}, n_users={self.n_users}, "
            f"n_items={self.n_items}, {sizes}, fingerprint={self.fingerprint[:12]})"
        )
