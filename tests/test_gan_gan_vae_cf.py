"""GAN-VAE-CF (Long-Tail-GAN): overlap coefficients, real pairs, candidates, sampling and a tiny fit."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.gan_vae_cf import (
    GANVAECF,
    LongTailDiscriminator,
    _Pairs,
    _popular_lists,
    _real_pairs_and_candidates,
    overlap_coefficients,
)


def _matrix(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    users = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    items = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    return sp.csr_matrix((np.ones(len(items)), (users, items)), shape=(len(rows), n_items))


def test_overlap_coefficients_by_hand():
    # item 0: users {0, 1, 2}; item 1: users {0, 1}; item 2: user {2}; item 3: nobody
    x = _matrix([[0, 1], [0, 1], [0, 2]], 4)
    ov = overlap_coefficients(x)
    assert ov[0, 1] == pytest.approx(2 / 2)  # |{0,1}| / min(3, 2)
    assert ov[0, 2] == pytest.approx(1 / 1)
    assert ov[1, 2] == pytest.approx(0.0)
    assert ov[3].sum() == 0 and ov[:, 3].sum() == 0
    assert np.allclose(ov, ov.T)


def test_real_pairs_pick_the_most_overlapping_popular_item():
    # items 0, 1 popular; 2..5 niche. Niche item 2 co-occurs with popular item 1 (users 1, 2), not item 0.
    x = _matrix([[0, 1, 2], [1, 2], [1, 2, 3], [0, 4], [5]], 6)
    niche = np.array([False, False, True, True, True, True])
    real, candidates, n_niche = _real_pairs_and_candidates(x.tocsr(), niche, overlap_coefficients(x))
    assert n_niche.tolist() == [1, 1, 2, 1, 0]  # user 4 has no popular item: no pairs
    mine = real.of(np.array([0]))
    assert real.popular[mine].tolist() == [1] and real.niche[mine].tolist() == [2]
    assert real.counts.tolist() == [1, 1, 2, 1, 0]
    # candidates: own niche items plus up to max(2n, 10-n) others: every niche item here, ascending
    assert candidates[0][candidates[0] >= 0].tolist() == [2, 3, 4, 5]
    assert (candidates[4] < 0).all()


def test_pairs_of_returns_the_users_pairs_in_order():
    pairs = _Pairs.build(np.array([2, 0, 2, 1]), np.array([9, 8, 7, 6]), np.array([1, 2, 3, 4]), 3)
    idx = pairs.of(np.array([2, 0]))
    assert pairs.users[idx].tolist() == [2, 2, 0]
    assert sorted(pairs.popular[idx].tolist()) == [7, 8, 9]
    assert pairs.of(np.array([], dtype=np.int64)).size == 0


def test_discriminator_shape_and_validation():
    d = LongTailDiscriminator(10, (4, 3, 5, 6))
    out = d(torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]))
    assert out.shape == (3,)
    with pytest.raises(ValueError, match="four positive layer sizes"):
        LongTailDiscriminator(10, (4, 3, 5))


def test_sampling_draws_each_users_niche_count_from_candidates():
    rng = np.random.default_rng(0)
    dense = (rng.random((30, 12)) < 0.3).astype(np.float32)
    dense[:, 0] = 1.0  # everyone has popular item 0
    x = sp.csr_matrix(dense)
    niche = np.arange(4, 12)
    model = GANVAECF(30, 12, hidden=8, latent=4, d_sizes=(4, 4, 4, 4), seed=0)
    flags = np.zeros(12, dtype=bool)
    flags[niche] = True
    real, candidates, n_niche = _real_pairs_and_candidates(x, flags, overlap_coefficients(x))
    popular_of = _Pairs.build(*_popular_lists(x, flags), 30)
    fake = model._sample(x, candidates, n_niche, popular_of, np.random.default_rng(1))
    assert np.array_equal(fake.counts, n_niche)
    for u in np.flatnonzero(n_niche):
        idx = fake.of(np.array([u]))
        assert len(set(fake.niche[idx].tolist())) == n_niche[u]  # without replacement
        assert set(fake.niche[idx].tolist()) <= set(candidates[u][candidates[u] >= 0].tolist())
        assert set(fake.popular[idx].tolist()) <= set(x[u].indices.tolist()) - set(niche.tolist())


def test_fit_records_history_and_adversarial_term_changes_the_generator():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((40, 15)) < 0.3).astype(np.float32))
    niche = np.arange(5, 15)
    runs = {}
    for lam in (0.0, 5.0):
        model = GANVAECF(40, 15, hidden=8, latent=4, d_sizes=(4, 4, 4, 4), seed=0)
        hist = model.fit(x, niche, epochs=2, d_steps=1, g_steps=1, batch_size=16, lr=1e-2, gan_lambda=lam,
                         seed=0, validate=lambda m: {"one": 1.0})
        assert len(hist) == 2 and np.isfinite(hist.g_loss).all() and np.isfinite(hist.d_loss).all()
        assert hist.initial == {"one": 1.0}
        runs[lam] = model.full_scores(torch.arange(40)).detach()
    assert not torch.allclose(runs[0.0], runs[5.0])


def test_fit_rejects_bad_niche_items():
    model = GANVAECF(5, 6, hidden=4, latent=2, d_sizes=(2, 2, 2, 2))
    with pytest.raises(ValueError, match="niche_items"):
        model.fit(sp.csr_matrix(np.eye(5, 6)), np.array([7]), epochs=1)
