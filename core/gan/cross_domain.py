"""Data pieces the cross-domain GAN recommenders share (survey Section 3.3.3): a social domain as a
user x user matrix, and item domains carved out of one catalogue whose users are shared.

Cross-domain works pair two views of the same users: user-user links and user-item interactions (DASO,
Asr), or two item categories bought by the same customers (CnGAN, VAE-GAN-CC, ATLRec). Here a domain is a
set of items of one id space; `restrict_to_domain` renumbers its items densely and keeps the user ids, so
the same row is the same person in every domain.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from advrec.data.interactions import Interactions


def social_matrix(edges: object, n_users: int, symmetric: bool = True) -> sp.csr_matrix:
    """A binary float32 user x user CSR matrix of the links `edges` ([E, 2] dense user ids); self-links and
    repeated links are dropped, and with `symmetric` every link is kept in both directions."""
    pairs = np.asarray(edges)
    if pairs.size == 0:
        pairs = pairs.reshape(0, 2)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"edges must have shape [E, 2] (user, user), got {pairs.shape}")
    if n_users <= 0:
        raise ValueError(f"n_users must be positive, got {n_users}")
    pairs = pairs.astype(np.int64)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n_users):
        raise ValueError(f"edges hold user ids outside [0, {n_users}): range [{pairs.min()}, {pairs.max()}]")
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if symmetric:
        pairs = np.concatenate([pairs, pairs[:, ::-1]])
    data = np.ones(len(pairs), dtype=np.float32)
    out = sp.csr_matrix((data, (pairs[:, 0], pairs[:, 1])), shape=(n_users, n_users), dtype=np.float32)
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def item_domains(groups: object) -> np.ndarray:
    """The domain index of every item from a boolean item x domain membership matrix in which each item
    belongs to exactly one domain (e.g. the Amazon categories of a DPR split's `item_groups`)."""
    members = np.asarray(groups)
    if members.ndim != 2:
        raise ValueError(f"groups must be a 2-D item x domain membership matrix, got shape {members.shape}")
    counts = (members != 0).sum(axis=1)
    bad = np.flatnonzero(counts != 1)
    if bad.size:
        raise ValueError(f"every item must belong to exactly one domain; item {bad[0]} belongs to "
                         f"{counts[bad[0]]} ({bad.size} such items)")
    return (members != 0).argmax(axis=1).astype(np.int64)


def restrict_to_domain(data: Interactions, domains: np.ndarray, domain: int) -> Interactions:
    """The rows of `data` whose item lies in `domain`, with that domain's items renumbered 0..m-1 in their
    original order (`item_ids` keep the original ids) and the users unchanged."""
    domains = np.asarray(domains)
    if domains.shape != (data.n_items,):
        raise ValueError(f"domains must hold one domain per item, shape ({data.n_items},), "
                         f"got {domains.shape}")
    keep_items = np.flatnonzero(domains == domain)
    if keep_items.size == 0:
        raise ValueError(f"domain {domain} has no item; domains present: {sorted(set(domains.tolist()))}")
    new_id = np.full(data.n_items, -1, dtype=np.int64)
    new_id[keep_items] = np.arange(keep_items.size)
    rows = new_id[data.items] >= 0
    return Interactions(data.users[rows], new_id[data.items[rows]], data.values[rows],
                        None if data.timestamps is None else data.timestamps[rows], data.n_users,
                        keep_items.size, data.user_ids, data.item_ids[keep_items], name=data.name,
                        checksum=data.checksum)
