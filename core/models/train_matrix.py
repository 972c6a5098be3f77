"""Validation of the user x item training matrix a model is prepared or trained with."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from advrec.models.base import Recommender


def train_matrix(train: object, model: Recommender, name: str = "train") -> sp.csr_matrix:
    """A canonical float32 CSR copy of `train` (sorted indices, no duplicates) of the model's shape.

    Always a copy, so a model that rewrites its matrix (e.g. binarises it) never changes the caller's.
    """
    if not sp.issparse(train):
        raise TypeError(f"{name} must be a scipy.sparse user x item matrix, got {type(train).__name__}")
    csr = sp.csr_matrix(train, dtype=np.float32, copy=True)
    csr.sum_duplicates()
    if csr.shape != (model.n_users, model.n_items):
        raise ValueError(
            f"{name} has shape {csr.shape}, but the {type(model).__name__} model was built for "
            f"({model.n_users} users, {model.n_items} items)"
        )
    return csr


def dense_rows(train: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
    """Rows `users` of `train` as a dense float32 array with binary entries (any stored entry is 1)."""
    rows = train[users]
    out = np.zeros(rows.shape, dtype=np.float32)
    out[np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr)), rows.indices] = 1.0
    return out
