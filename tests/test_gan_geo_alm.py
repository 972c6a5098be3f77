"""Geo-ALM (Liu et al. 2019): geography-fused scorer and the adversarial negative sampler."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.geo_alm import GeoALM, GeoScorer


def _city(n_users=12, n_pois=16, seed=0):
    # two clusters of POIs 50 km apart; each user visits POIs of one cluster
    rng = np.random.default_rng(seed)
    coords = np.concatenate([rng.normal([45.0, 9.0], 0.01, (8, 2)), rng.normal([45.0, 9.7], 0.01, (8, 2))])
    rows, cols = [], []
    for u in range(n_users):
        pool = np.arange(8) if u % 2 == 0 else np.arange(8, 16)
        for i in rng.choice(pool, 4, replace=False):
            rows.append(u)
            cols.append(i)
    return coords, sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, n_pois))


def test_poi_vector_fuses_neighbours_and_region():
    neighbours = sp.csr_matrix(np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 1.0, 0]]))
    scorer = GeoScorer(1, 3, 2, neighbours, np.array([0, 0, 1]), seed=0)
    q, r = scorer.item.detach(), scorer.region.detach()
    expected = torch.stack([q[0] + q[1] + r[0], q[1] + q[0] + r[0], q[2] + q[1] + r[1]])
    assert torch.allclose(scorer.poi_vectors(), expected)
    full = scorer.full_scores(torch.tensor([0]))
    assert torch.allclose(full, scorer.score(torch.tensor([0, 0, 0]), torch.arange(3))[None])


def test_geographical_negatives_are_hard_nearby_pois():
    # with geography in G's proposal, D's negatives are the unvisited POIs near the user's own, so D
    # separates visited from nearby unvisited POIs more than with geography switched off
    coords, train = _city()
    visited = train.toarray() > 0
    own = np.where(np.arange(12)[:, None] % 2 == 0, np.arange(16)[None] < 8, np.arange(16)[None] >= 8)
    margins = {}
    for geo_weight in (1.0, 0.0):
        model = GeoALM(12, 16, coords, dim=4, neighbours_k=3, region_km=5.0, bandwidth_km=2.0,
                       geo_weight=geo_weight, seed=0)
        history = model.fit(train, epochs=30, batch=16, g_batch=6, lr_g=0.02, lr_d=0.05, seed=0)
        assert len(history) == 30 and np.isfinite(history.d_loss).all() and np.isfinite(history.g_loss).all()
        scores = model.full_scores(torch.arange(12)).detach().numpy()
        margins[geo_weight] = scores[visited].mean() - scores[own & ~visited].mean()
        assert margins[geo_weight] > 0
    assert margins[1.0] > margins[0.0]


def test_generator_proposal_favours_nearby_pois():
    coords, train = _city()
    model = GeoALM(12, 16, coords, dim=4, geo_weight=1.0, bandwidth_km=2.0, seed=0)
    model.fit(train, epochs=1, g_steps=0, d_steps=0, seed=0)
    logits, visited = model._proposal_logits(sp.csr_matrix(train), np.array([0]))
    probs = torch.softmax(logits, dim=1)[0]
    assert float(probs[:8].sum().detach()) > 0.9


def test_coordinates_are_required_and_checked():
    _, train = _city()
    with pytest.raises(ValueError, match="coords"):
        GeoALM(12, 16, np.zeros((15, 2)))
    with pytest.raises(ValueError, match="scorer"):
        GeoALM(12, 16, _city()[0], scorer="both")
