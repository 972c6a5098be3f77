"""CGAN [39]: user-profile GAN on recommendation-based embeddings, and the realism measures."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.user_generator import (
    UserGAN,
    detectability_auc,
    popularity_divergence,
    popularity_profiles,
    sample_profiles,
)


def test_sample_profiles_lengths_distinct_items_and_support():
    rng = np.random.default_rng(0)
    p = np.array([[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 1.0]])
    out = sample_profiles(p, np.array([2, 4, 1]), rng)
    assert out.shape == (3, 4) and out.max() == 1.0
    assert list(np.diff(out.indptr)) == [2, 4, 1]
    assert set(out[0].indices) == {0, 1}  # only the two items with mass
    assert set(out[2].indices) == {3}
    with pytest.raises(ValueError, match="lengths"):
        sample_profiles(p, np.array([5, 1, 1]), rng)


def test_popularity_divergence_by_hand():
    a = sp.csr_matrix(np.array([[1, 1, 0, 0]], dtype=np.float32))
    assert popularity_divergence(a, a) == pytest.approx(0.0)
    disjoint = sp.csr_matrix(np.array([[0, 0, 1, 1]], dtype=np.float32))
    assert popularity_divergence(a, disjoint) == pytest.approx(1.0)
    # (1/2, 1/2, 0) vs (1, 0, 0): m = (3/4, 1/4, 0); JS = 0.5 [ .5 log2(2/3) + .5 log2 2 ] + 0.5 log2(4/3)
    expected = 0.5 * (0.5 * np.log2(2 / 3) + 0.5 * np.log2(2)) + 0.5 * np.log2(4 / 3)
    b = sp.csr_matrix(np.array([[1, 0, 0]], dtype=np.float32))
    c = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
    assert popularity_divergence(c, b) == pytest.approx(expected)


def test_detectability_auc_separates_disjoint_and_not_identical_sources():
    rng = np.random.default_rng(0)
    left = sp.csr_matrix((rng.random((200, 20)) < 0.3) * np.r_[np.ones(10), np.zeros(10)], dtype=np.float32)
    right = sp.csr_matrix((rng.random((200, 20)) < 0.3) * np.r_[np.zeros(10), np.ones(10)], dtype=np.float32)
    same = sp.csr_matrix((rng.random((200, 20)) < 0.3) * np.r_[np.ones(10), np.zeros(10)], dtype=np.float32)
    assert detectability_auc(left, right) > 0.99
    assert abs(detectability_auc(left, same) - 0.5) < 0.1


def test_popularity_profiles_follow_training_lengths_and_items():
    train = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    out = popularity_profiles(train, 50, seed=1)
    assert set(np.diff(out.indptr)) <= {1, 2}
    assert set(out.indices) <= {0, 1}  # items 2 and 3 have no popularity


def test_user_gan_fit_and_sample():
    rng = np.random.default_rng(0)
    profiles = sp.csr_matrix((rng.random((40, 15)) < 0.3).astype(np.float32))
    vectors = rng.normal(size=(15, 4)).astype(np.float32)
    gan = UserGAN(15, vectors, code=3, noise=4, hidden=[8], critic_hidden=[8], seed=0)
    hist = gan.fit(profiles, ae_epochs=2, epochs=3, batch_size=16, validate=lambda m: {"v": 1.0})
    assert len(hist) == 3 and np.isfinite(hist.g_loss + hist.d_loss).all()
    fake = gan.sample(25, seed=3)
    assert fake.shape == (25, 15)
    assert set(np.diff(fake.indptr)) <= set(np.diff(profiles.indptr))
    assert (fake.toarray() == gan.sample(25, seed=3).toarray()).all()  # seeded
    # a profile's recommendation-based embedding is the mean of its items' vectors
    row = torch.tensor([[1.0, 0, 1.0] + [0.0] * 12])
    assert torch.allclose(gan.encode(row), torch.from_numpy((vectors[0] + vectors[2]) / 2))


def test_user_gan_without_embedding_and_bad_inputs():
    gan = UserGAN(6, None, code=2, noise=2, hidden=[4])
    assert gan.item_vectors is None and gan.encode(torch.eye(6)).shape == (6, 2)  # a learned code
    with pytest.raises(ValueError, match="item_vectors"):
        UserGAN(6, np.ones((5, 2)))
    with pytest.raises(ValueError, match="item columns"):
        gan.fit(sp.csr_matrix(np.eye(3, 5)), epochs=1)
