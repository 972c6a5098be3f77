"""DASO: two IRGAN-style games (item and social domain) linked by mappings with cyclic reconstruction."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.cross_domain import social_matrix
from advrec.gan.daso import DASO
from advrec.metrics import auc


def _blocks(n_users: int = 12, n_items: int = 8) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Users of the first half like the first half of the items, the others the second half; friends
    are drawn within each half."""
    half_u, half_i = n_users // 2, n_items // 2
    rows, cols = [], []
    for u in range(n_users):
        block = range(half_i) if u < half_u else range(half_i, n_items)
        for i in block:
            rows.append(u)
            cols.append(i)
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))
    edges = [[u, (u + 1) % half_u] for u in range(half_u)] + [[u, half_u + (u + 1) % half_u]
                                                             for u in range(half_u, n_users)]
    return train, social_matrix(edges, n_users)


def test_fit_records_finite_history_and_learns_the_blocks():
    train, social = _blocks()
    model = DASO(12, 8, dim=4, hidden=8, seed=0)
    history = model.fit(train, social, epochs=30, lr_d=0.05, lr_g=0.05, seed=0,
                        validate=lambda m: {"one": 1.0})
    assert len(history) == 30 and history.initial == {"one": 1.0}
    assert all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    # every user's in-block items (the training items) score above the out-of-block ones
    scores = model.full_scores(torch.arange(12)).detach().numpy()
    assert np.nanmean(auc(scores, train)) > 0.9


def test_cycle_loss_is_zero_for_inverse_maps_and_trained_down():
    train, social = _blocks()
    model = DASO(12, 8, dim=4, hidden=8, seed=1)
    users = torch.arange(12)
    before = model.cycle_loss(users).item()
    model.fit(train, social, epochs=20, lr_d=1e-6, lr_g=0.05, cycle_weight=10.0, seed=0)
    assert model.cycle_loss(users).item() < before / 2


def test_generator_scorer_uses_mapped_social_representation():
    model = DASO(5, 6, dim=3, hidden=4, scorer="generator", seed=0)
    users = torch.tensor([0, 3])
    expected = model.item_g.mapping(model.social_d.user[users]) @ model.item_g.target.T + model.item_g.bias
    torch.testing.assert_close(model.full_scores(users), expected)
    torch.testing.assert_close(model.score(users, torch.tensor([1, 5])), expected[[0, 1], [1, 5]])


def test_d_init_copies_pretrained_tables():
    user, item = np.ones((5, 3), np.float32), np.full((6, 3), 2.0, np.float32)
    model = DASO(5, 6, d_init={"user": user, "item": item})
    assert model.full_scores(torch.tensor([0])).detach().numpy() == pytest.approx(np.full((1, 6), 6.0))
    with pytest.raises(ValueError, match="d_init has 5 users"):
        DASO(4, 6, d_init={"user": user, "item": item})


def test_bad_arguments_raise():
    train, social = _blocks()
    with pytest.raises(ValueError, match="scorer"):
        DASO(12, 8, scorer="both")
    with pytest.raises(ValueError, match="social has shape"):
        DASO(12, 8).fit(train, sp.csr_matrix((12, 5)), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        DASO(12, 8).fit(train, social, epochs=0)
