"""AugCF (Wang et al., KDD 2019): a side-information-conditioned generator augments inactive users' data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.augcf import AugCF


def _groups() -> tuple[sp.csr_matrix, np.ndarray]:
    """Users 0-9 (feature 0) use items 0-4, users 10-19 (feature 1) items 5-9; each user has 4 of them."""
    dense = np.zeros((20, 10), dtype=np.float32)
    for u in range(20):
        base = 0 if u < 10 else 5
        dense[u, base + np.delete(np.arange(5), u % 5)] = 1
    features = np.zeros((20, 2), dtype=np.float32)
    features[:10, 0] = 1
    features[10:, 1] = 1
    return sp.csr_matrix(dense), features


def test_augment_adds_the_generators_top_unseen_items() -> None:
    train, features = _groups()
    model = AugCF(20, 10, features, dim=4, hidden=[8], seed=0)
    last = model.g_net.net[-1]
    with torch.no_grad():
        for p in model.g_net.parameters():
            p.zero_()
        last.bias.copy_(torch.arange(10, dtype=torch.float32))  # G prefers higher item ids for everyone
    out = model.augment(train, np.array([0, 12]), 2)
    # user 0 has items 1-4: its top unseen are 9 and 8; user 12 has 5, 6, 8, 9: top unseen 7 and 4
    np.testing.assert_array_equal(np.flatnonzero(out[0].toarray()), [1, 2, 3, 4, 8, 9])
    np.testing.assert_array_equal(np.flatnonzero(out[12].toarray()), [4, 5, 6, 7, 8, 9])
    assert out.nnz == train.nnz + 4
    assert (model.augment(train, np.array([0]), 0) != train).nnz == 0


def test_generator_learns_the_condition() -> None:
    train, features = _groups()
    model = AugCF(20, 10, features, dim=4, hidden=[16], seed=0)
    history = model.fit(train, epochs=150, d_batch=16, g_batch=8, lr_g=1e-2, lr_d=1e-2, seed=0)
    assert len(history) == 150 and np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    with torch.no_grad():
        probs = torch.softmax(model.generator_logits(torch.arange(20)), dim=1).numpy()
    # the generator puts most of each user's mass on the item block of the user's side-feature group
    assert probs[:10, :5].sum(axis=1).mean() > 0.8
    assert probs[10:, 5:].sum(axis=1).mean() > 0.8


def test_bad_inputs_are_named() -> None:
    train, features = _groups()
    with pytest.raises(ValueError, match="user_features"):
        AugCF(20, 10, features[:5])
    with pytest.raises(ValueError, match="tau"):
        AugCF(20, 10, features, tau=0)
    with pytest.raises(ValueError, match="train has shape"):
        AugCF(20, 10, features).fit(train.T.tocsr(), epochs=1)
    with pytest.raises(ValueError, match="users must be"):
        AugCF(20, 10, features).augment(train, np.array([25]), 1)
