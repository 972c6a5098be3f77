"""APOIR (Zhou et al. 2019): GRU recommender, MLP discriminator, reward with geographical and social terms."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.apoir import APOIR


def _city(n_users=12, seed=0):
    rng = np.random.default_rng(seed)
    coords = np.concatenate([rng.normal([45.0, 9.0], 0.01, (8, 2)), rng.normal([45.0, 9.7], 0.01, (8, 2))])
    rows, cols = [], []
    for u in range(n_users):
        pool = np.arange(8) if u % 2 == 0 else np.arange(8, 16)
        for i in rng.choice(pool, 4, replace=False):
            rows.append(u)
            cols.append(i)
    return coords, sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, 16))


def test_history_keeps_the_last_checkins_in_order():
    coords, train = _city()
    model = APOIR(12, 16, coords, max_len=2)
    sequences = [list(train[u].indices[::-1]) for u in range(12)]
    model.set_history(train, sequences)
    assert model.sequences[0].tolist() == sequences[0][-2:]
    assert int(model.lengths[0]) == 2


def test_fit_trains_both_players_and_learns_the_cluster():
    coords, train = _city()
    friends = np.array([[0, 2], [1, 3]])
    model = APOIR(12, 16, coords, friends, dim=8, hidden=16, d_hidden=(8,), bandwidth_km=2.0, seed=0)
    history = model.fit(train, epochs=40, n_samples=6, batch=6, lr_g=0.02, lr_d=0.02, seed=0)
    assert len(history) == 40 and np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    scores = model.full_scores(torch.arange(12)).detach().numpy()
    visited = train.toarray() > 0
    own = np.where(np.arange(12)[:, None] % 2 == 0, np.arange(16)[None] < 8, np.arange(16)[None] >= 8)
    assert scores[own & ~visited].mean() > scores[~own].mean()


def test_fit_is_seeded():
    coords, train = _city()
    out = []
    for _ in range(2):
        model = APOIR(12, 16, coords, dim=4, hidden=8, seed=1)
        model.fit(train, epochs=2, seed=2)
        out.append(model.full_scores(torch.arange(12)).detach())
    assert torch.equal(out[0], out[1])


def test_bad_arguments_are_named():
    coords, train = _city()
    with pytest.raises(ValueError, match="coords"):
        APOIR(12, 16, coords[:3])
    with pytest.raises(ValueError, match="geo_weight"):
        APOIR(12, 16, coords, geo_weight=-1.0)
    with pytest.raises(ValueError, match="sequences"):
        APOIR(12, 16, coords).set_history(train, [[99]] * 12)
