"""Side information for the hybrid collaborative GANs of the survey's Table 5 (LARA, AugCF, ...).

- `item_cold_start_split`: new-item protocol (LARA, Sun et al. WSDM 2020): a share of the items is held
  out with every interaction it has, so those items are unseen in training and only their attributes
  are known.
- `attribute_profiles`: a user's attribute-preference vector (the share of the user's training items
  carrying each attribute), LARA's representation of a user.
- `user_side_features`: one-hot user demographics (e.g. MovieLens age bucket, gender, occupation), the
  condition of AugCF's generator.
- `tag_profiles`: users' and items' tag-frequency vectors from (user, item, tag) assignments (Last.fm
  tags standing in for review text in RRGAN, ATR and RGD-TR), without the held-out pairs' tags.
- `add_interactions`: a training matrix augmented with generated (user, item) entries (AugCF).
- `AttributeMatch`: the content baseline that scores a (row, column) pair by the dot product of their
  attribute vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from advrec.data.interactions import Interactions, Split

MOVIELENS_AGE_BINS = (18, 25, 35, 45, 50, 56)
"""Upper-exclusive age boundaries of MovieLens-1M's seven age groups, applied to ML-100K's exact ages."""


def item_cold_start_split(data: Interactions, test: float = 0.2, seed: int = 0,
                          min_count: int = 1) -> Split:
    """Hold out round(test * n) randomly chosen items among those with >= `min_count` interactions, with
    all their rows: train holds the other items' rows, test the held-out ("new") items' rows.

    The held-out item ids are in `split.side["new_items"]`; the id space is unchanged.
    """
    if not 0.0 < test < 1.0:
        raise ValueError(f"test must be a share of items in (0, 1), got {test}")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = data.item_counts()
    eligible = np.flatnonzero(counts >= min_count)
    n_new = int(np.floor(test * len(eligible) + 0.5))
    if n_new == 0 or n_new == len(eligible):
        raise ValueError(f"test={test} of {len(eligible)} eligible items leaves {n_new} new items; "
                         "need at least one new and one training item")
    rng = np.random.default_rng(seed)
    new_items = np.sort(rng.choice(eligible, size=n_new, replace=False))
    held = np.isin(data.items, new_items)
    return Split(data.subset(np.flatnonzero(~held)), data.subset(np.flatnonzero(held)), name=data.name,
                 protocol="item-cold-start", seed=seed,
                 side={"params": {"test": test, "min_count": min_count}, "new_items": new_items})


def feature_matrix(values: object, name: str, rows: int | None = None) -> torch.Tensor:
    """`values` as a float32 [rows, features] tensor (side information: tag profiles, review text, knowledge
    vectors); raises naming `name` unless it is 2-D, non-empty, finite and (when given) has `rows` rows."""
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0 or (rows is not None and arr.shape[0] != rows):
        shape = f"[{rows if rows is not None else 'rows'}, features]"
        raise ValueError(f"{name} must be a non-empty {shape} array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds non-finite values")
    return torch.as_tensor(arr)


def attribute_profiles(train: sp.spmatrix, attributes: np.ndarray, normalize: str = "share") -> np.ndarray:
    """[n_users, n_attributes] float32 user-attribute interaction vectors from the user's training items:
    `normalize="share"`, the share of them carrying each attribute (their mean attribute vector);
    `"max"`, the number of them carrying each attribute divided by that number's maximum over users (so
    activity counts too). Zeros for a user without training items."""
    if normalize not in ("share", "max"):
        raise ValueError(f"normalize must be 'share' or 'max', got {normalize!r}")
    csr = sp.csr_matrix(train)
    attrs = np.asarray(attributes, dtype=np.float32)
    if attrs.ndim != 2 or attrs.shape[0] != csr.shape[1]:
        raise ValueError(f"attributes must be [n_items={csr.shape[1]}, n_attributes], "
                         f"got shape {attrs.shape}")
    binary = sp.csr_matrix((np.ones(csr.nnz, dtype=np.float32), csr.indices, csr.indptr), shape=csr.shape)
    binary.sum_duplicates()
    binary.data[:] = 1.0
    sums = np.asarray(binary @ attrs, dtype=np.float32)
    if normalize == "max":
        return (sums / np.maximum(sums.max(axis=0), 1.0)[None, :]).astype(np.float32)
    totals = np.asarray(binary.sum(axis=1)).ravel()
    return (sums / np.maximum(totals, 1.0)[:, None]).astype(np.float32)


def user_side_features(data: Interactions, columns: Sequence[str] = ("age", "gender", "occupation"),
                       age_bins: Sequence[int] = MOVIELENS_AGE_BINS) -> tuple[np.ndarray, list[str]]:
    """One-hot user features from `data.side["user_features"]` (one row per dense user id): each column
    in `columns` becomes one indicator per value, "age" one per bucket of `age_bins`. Returns the
    [n_users, n_features] float32 matrix and the feature names."""
    frame = data.side.get("user_features")
    if not isinstance(frame, pd.DataFrame):
        raise KeyError(f"dataset {data.name!r} has no user_features table in its side information; "
                       f"it has {sorted(data.side)}")
    if len(frame) != data.n_users:
        raise ValueError(f"user_features has {len(frame)} rows, expected one per user ({data.n_users})")
    blocks, names = [], []
    for column in columns:
        if column not in frame.columns:
            raise KeyError(f"user_features has no column {column!r}; it has {list(frame.columns)}")
        values = frame[column].to_numpy()
        if column == "age":
            edges = list(age_bins)
            if edges != sorted(edges):
                raise ValueError(f"age_bins must be increasing, got {edges}")
            codes = np.searchsorted(np.asarray(edges), values.astype(np.int64), side="right")
            inner = [f"age{a}-{b - 1}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
            labels = [f"age<{edges[0]}", *inner, f"age>={edges[-1]}"]
        else:
            labels = sorted({str(v) for v in values})
            codes = np.searchsorted(np.asarray(labels), values.astype(str))
            labels = [f"{column}={v}" for v in labels]
        block = np.zeros((len(values), len(labels)), dtype=np.float32)
        block[np.arange(len(values)), codes] = 1.0
        blocks.append(block)
        names += labels
    return np.hstack(blocks), names


class AttributeMatch(nn.Module):
    """Content baseline: full_scores(rows) = row_vectors[rows] @ column_vectors.T, e.g. new items' attribute
    vectors against users' attribute profiles (item-to-user ranking)."""

    def __init__(self, row_vectors: np.ndarray, column_vectors: np.ndarray) -> None:
        super().__init__()
        rows = torch.as_tensor(np.asarray(row_vectors, dtype=np.float32))
        cols = torch.as_tensor(np.asarray(column_vectors, dtype=np.float32))
        if rows.ndim != 2 or cols.ndim != 2 or rows.shape[1] != cols.shape[1]:
            raise ValueError(f"row_vectors and column_vectors must be 2-D with the same width, "
                             f"got {tuple(rows.shape)} and {tuple(cols.shape)}")
        self.register_buffer("rows", rows)
        self.register_buffer("cols", cols)

    def full_scores(self, rows: torch.Tensor) -> torch.Tensor:
        """Scores of every column for each of `rows`, [len(rows), n_columns]."""
        return self.rows[torch.as_tensor(rows, dtype=torch.long, device=self.rows.device)] @ self.cols.T


def add_interactions(train: sp.spmatrix, users: np.ndarray, items: np.ndarray) -> sp.csr_matrix:
    """A binary copy of `train` with entry (users[r], items[r, j]) set for every j (ids of -1 are
    skipped: `rank` pads with them); `train` is left unchanged."""
    csr = sp.csr_matrix(train, dtype=np.float32, copy=True)
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64).reshape(len(users), -1)
    if users.size and (users.min() < 0 or users.max() >= csr.shape[0]):
        raise ValueError(f"users must be ids in [0, {csr.shape[0]}), "
                         f"got range [{users.min()}, {users.max()}]")
    if items.size and items.max() >= csr.shape[1]:
        raise ValueError(f"items must be ids below n_items={csr.shape[1]} (or -1 for none), "
                         f"got {items.max()}")
    rows = np.repeat(users, items.shape[1])
    cols = items.ravel()
    keep = cols >= 0
    added = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])),
                          shape=csr.shape)
    out = (csr + added).tocsr()
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def tag_profiles(assignments: pd.DataFrame, n_users: int, n_items: int, n_tags: int = 200,
                 exclude: sp.spmatrix | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L2-normalised tag-frequency vectors of users [n_users, T] and items [n_items, T] over the `n_tags`
    most used tags, from `assignments` (columns user, item, tag_id; dense ids, -1 rows are ignored).
    Assignments whose (user, item) pair is stored in `exclude` (e.g. the test matrix) are left out, so a
    held-out interaction cannot leak through its tags. Returns (user_tags, item_tags, tag_ids kept)."""
    missing = {"user", "item", "tag_id"} - set(assignments.columns)
    if missing:
        raise KeyError(f"assignments lacks the column(s) {sorted(missing)}; "
                       f"it has {list(assignments.columns)}")
    if n_tags < 1:
        raise ValueError(f"n_tags must be >= 1, got {n_tags}")
    users = assignments["user"].to_numpy(np.int64)
    items = assignments["item"].to_numpy(np.int64)
    tags = assignments["tag_id"].to_numpy(np.int64)
    keep = (users >= 0) & (items >= 0) & (users < n_users) & (items < n_items)
    if exclude is not None:
        held = sp.csr_matrix(exclude)
        if held.shape != (n_users, n_items):
            raise ValueError(f"exclude has shape {held.shape}, expected ({n_users}, {n_items})")
        keep &= np.asarray(held[users.clip(0, n_users - 1), items.clip(0, n_items - 1)]).ravel() == 0
    users, items, tags = users[keep], items[keep], tags[keep]
    kept, counts = np.unique(tags, return_counts=True)
    kept = np.sort(kept[np.argsort(-counts, kind="stable")[:n_tags]])
    column = np.searchsorted(kept, tags)
    inside = (column < len(kept)) & (kept[column.clip(0, len(kept) - 1)] == tags)
    out = []
    for rows, n in ((users, n_users), (items, n_items)):
        m = sp.csr_matrix((np.ones(int(inside.sum()), dtype=np.float32), (rows[inside], column[inside])),
                          shape=(n, len(kept))).toarray()
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        out.append((m / np.maximum(norms, 1e-12)).astype(np.float32))
    return out[0], out[1], kept
