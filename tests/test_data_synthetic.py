"""The synthetic generator: sizes, uniqueness, determinism, power-law popularity, options."""

import numpy as np
import pytest

from advrec.data import synthetic


def test_sizes_unique_pairs_and_min_per_user():
    d = synthetic(100, 50, 1000, seed=0)
    assert (d.n_users, d.n_items, len(d)) == (100, 50, 1000)
    assert np.unique(d.users * 50 + d.items).size == 1000
    assert d.user_counts().min() >= 1
    assert np.unique(d.timestamps).size == 1000
    assert set(d.values.tolist()) == {1.0}


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = synthetic(30, 20, 200, seed=1), synthetic(30, 20, 200, seed=1), synthetic(30, 20, 200, seed=2)
    assert np.array_equal(a.users, b.users) and np.array_equal(a.items, b.items) and a.checksum == b.checksum
    assert a.checksum != c.checksum


def test_item_popularity_is_skewed():
    d = synthetic(200, 100, 3000, seed=4)
    counts = np.sort(d.item_counts())[::-1]
    # A uniform draw would give the top 10% of items about 10% of the rows.
    assert counts[:10].sum() / counts.sum() > 0.25
    assert np.argmax(d.item_counts()) != 0 or counts[0] == counts[1]  # ranks are shuffled over ids


def test_explicit_and_features():
    d = synthetic(20, 10, 80, seed=0, explicit=True, features=True, min_per_user=2)
    assert set(np.unique(d.values)).issubset({1.0, 2.0, 3.0, 4.0, 5.0})
    assert d.user_counts().min() >= 2
    assert len(d.side["user_features"]) == 20 and d.side["item_genres"].shape == (10, 5)
    assert d.side["item_vectors"].shape == (10, 16) and d.side["item_vectors"].dtype == np.float32


def test_large_sparse_grid_uses_rejection_sampling():
    d = synthetic(3000, 2000, 20_000, seed=0)
    assert len(d) == 20_000 and np.unique(d.users * 2000 + d.items).size == 20_000
    assert d.user_counts().min() >= 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_interactions must lie"):
        synthetic(2, 2, 5)
    with pytest.raises(ValueError, match="min_per_user"):
        synthetic(10, 5, 5, min_per_user=1)
