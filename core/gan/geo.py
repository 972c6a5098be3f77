"""Geographical pieces shared by the GAN POI recommenders Geo-ALM (Liu et al., IJCAI 2019) and APOIR (Zhou
et al., WWW 2019): POI coordinates checked at the boundary, great-circle distances, the user's
geographical influence on a POI (a Gaussian kernel density over the POIs the user visited, the standard
model of check-ins clustering around a user's places), grid regions and geographical neighbours.

Coordinates are real (latitude, longitude) pairs in degrees, one row per POI; nothing here invents them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

EARTH_RADIUS_KM = 6371.0088


def check_coordinates(coords: object, n_items: int) -> np.ndarray:
    """`coords` as a float64 [n_items, 2] array of (latitude, longitude) degrees; raises on bad input."""
    arr = np.asarray(coords, dtype=np.float64)
    if arr.shape != (n_items, 2):
        raise ValueError(f"coords must be [n_items, 2] = [{n_items}, 2] (latitude, longitude), "
                         f"got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("coords must be finite (a POI without coordinates cannot enter the geographical "
                         "model)")
    if np.abs(arr[:, 0]).max(initial=0) > 90 or np.abs(arr[:, 1]).max(initial=0) > 180:
        raise ValueError("coords must be (latitude in [-90, 90], longitude in [-180, 180]) degrees")
    return arr


def haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distances in km between every row of `a` [n, 2] and of `b` [m, 2] (degrees) -> [n, m]."""
    la, lb = np.radians(np.asarray(a, dtype=np.float64)), np.radians(np.asarray(b, dtype=np.float64))
    dlat = la[:, None, 0] - lb[None, :, 0]
    dlon = la[:, None, 1] - lb[None, :, 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(la[:, None, 0]) * np.cos(lb[None, :, 0]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def geo_influence(train: sp.spmatrix, coords: object, bandwidth_km: float = 1.0,
                  users: np.ndarray | None = None) -> np.ndarray:
    """g(u, l) = mean over the POIs v that user u visited of exp(-d(l, v)^2 / (2 h^2)), h = bandwidth_km:
    [len(users), n_items] in [0, 1] (0 for a user without visits). Rows are `users` (all by default)."""
    if not bandwidth_km > 0:
        raise ValueError(f"bandwidth_km must be positive, got {bandwidth_km}")
    csr = sp.csr_matrix(train)
    xy = check_coordinates(coords, csr.shape[1])
    users = np.arange(csr.shape[0]) if users is None else np.asarray(users, dtype=np.int64)
    out = np.zeros((len(users), csr.shape[1]), dtype=np.float32)
    for row, u in enumerate(users):
        visited = csr.indices[csr.indptr[u]:csr.indptr[u + 1]]
        if len(visited):
            d = haversine_km(xy[visited], xy)
            out[row] = np.exp(-(d ** 2) / (2 * bandwidth_km ** 2)).mean(axis=0)
    return out


def grid_regions(coords: object, cell_km: float = 2.0) -> np.ndarray:
    """Region id of each POI: the cell of a grid of `cell_km` x `cell_km` (equirectangular, at the POIs'
    mean latitude) it falls in, renumbered 0..n_regions-1."""
    if not cell_km > 0:
        raise ValueError(f"cell_km must be positive, got {cell_km}")
    xy = np.asarray(coords, dtype=np.float64)
    xy = check_coordinates(xy, len(xy))
    km_per_deg = np.pi * EARTH_RADIUS_KM / 180
    y = xy[:, 0] * km_per_deg
    x = xy[:, 1] * km_per_deg * np.cos(np.radians(xy[:, 0].mean()))
    cells = np.stack([np.floor(y / cell_km), np.floor(x / cell_km)], axis=1)
    return np.unique(cells, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def geo_neighbours(coords: object, k: int = 10) -> sp.csr_matrix:
    """Row-normalised [n, n] matrix whose row l averages the `k` POIs nearest to l (itself excluded)."""
    xy = np.asarray(coords, dtype=np.float64)
    xy = check_coordinates(xy, len(xy))
    n = len(xy)
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] (fewer than the number of POIs), got {k}")
    rows, cols = [], []
    for start in range(0, n, 1024):
        d = haversine_km(xy[start:start + 1024], xy)
        d[np.arange(d.shape[0]), np.arange(start, start + d.shape[0])] = np.inf
        near = np.argpartition(d, k - 1, axis=1)[:, :k]
        rows.append(np.repeat(np.arange(start, start + d.shape[0]), k))
        cols.append(near.reshape(-1))
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.full(len(r), 1.0 / k, dtype=np.float32), (r, c)), shape=(n, n))


def social_influence(train: sp.spmatrix, friends: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
    """s(u, l) = share of u's friends who visited l: [len(users), n_items] (0 for a user without friends).
    `friends` is an (E, 2) array of user-id pairs, read as undirected."""
    csr = sp.csr_matrix(train)
    pairs = np.asarray(friends, dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"friends must be an (E, 2) array of user ids, got shape {pairs.shape}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= csr.shape[0]):
        raise ValueError(f"friends must hold user ids in [0, {csr.shape[0]})")
    n = csr.shape[0]
    adj = sp.csr_matrix((np.ones(2 * len(pairs)), (np.r_[pairs[:, 0], pairs[:, 1]],
                                                   np.r_[pairs[:, 1], pairs[:, 0]])), shape=(n, n))
    adj.data[:] = 1.0
    degree = np.asarray(adj.sum(axis=1)).reshape(-1)
    visited = csr.copy()
    visited.data[:] = 1.0
    users = np.arange(n) if users is None else np.asarray(users, dtype=np.int64)
    counts = (adj[users] @ visited).toarray()
    return (counts / np.maximum(degree[users], 1.0)[:, None]).astype(np.float32)
