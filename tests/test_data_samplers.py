"""Negative samplers and evaluation candidates never hand out training items."""

import numpy as np
import pytest

from advrec.data import (
    Interactions,
    PopularitySampler,
    Split,
    UniformSampler,
    leave_one_out,
    sample_candidates,
    synthetic,
)


@pytest.fixture(scope="module")
def train() -> Interactions:
    # Dense enough (~40%) that plain draws often hit training items and must be redrawn.
    return synthetic(80, 30, 1000, seed=7)


@pytest.mark.parametrize("cls", [UniformSampler, PopularitySampler])
def test_samplers_never_return_training_items(train, cls):
    sampler = cls(train, seed=0)
    users = np.repeat(np.arange(train.n_users), 5)
    neg = sampler.sample(users, n=20)
    assert neg.shape == (users.size, 20)
    seen = train.to_csr().toarray().astype(bool)
    assert not seen[users[:, None], neg].any()


def test_sampler_is_seeded(train):
    users = np.arange(train.n_users)
    a = UniformSampler(train, seed=3).sample(users, 4)
    b = UniformSampler(train, seed=np.random.default_rng(3)).sample(users, 4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, UniformSampler(train, seed=4).sample(users, 4))


def test_user_with_one_free_item_always_gets_it():
    d = Interactions.from_dense([0, 0, 0, 1], [0, 1, 3, 0], n_users=2, n_items=4)
    neg = UniformSampler(d, seed=0).sample(np.array([0] * 50), n=3)
    assert np.all(neg == 2)


def test_user_without_free_items_raises():
    d = Interactions.from_dense([0, 0], [0, 1], n_users=1, n_items=2)
    with pytest.raises(ValueError, match="user 0 has interacted with every item"):
        UniformSampler(d).sample(np.array([0]))


def test_uniform_frequencies():
    d = Interactions.from_dense([1], [0], n_users=2, n_items=4)
    neg = UniformSampler(d, seed=1).sample(np.array([0]), n=40_000).ravel()
    freq = np.bincount(neg, minlength=4) / neg.size
    assert np.allclose(freq, 0.25, atol=0.01)


def test_popularity_follows_counts_and_skips_unseen_items():
    # item 0 seen 3 times, item 1 once, items 2 and 3 never: p = 0.75 / 0.25 / 0 / 0 for a new user.
    d = Interactions.from_dense([1, 2, 3, 1], [0, 0, 0, 1], n_users=4, n_items=4)
    neg = PopularitySampler(d, seed=2).sample(np.array([0]), n=40_000).ravel()
    freq = np.bincount(neg, minlength=4) / neg.size
    assert freq[2] == 0 and freq[3] == 0
    assert freq[0] == pytest.approx(0.75, abs=0.01)
    smoothed = PopularitySampler(d, seed=2, smoothing=1.0).sample(np.array([0]), n=40_000).ravel()
    assert np.bincount(smoothed, minlength=4)[2] / smoothed.size == pytest.approx(1 / 8, abs=0.01)
    with pytest.raises(ValueError, match="interacted with every item"):
        PopularitySampler(d).sample(np.array([1]))  # user 1 has items 0 and 1: nothing drawable left


def test_sampled_candidates_exclude_every_known_item():
    data = synthetic(50, 100, 600, seed=11)
    split = leave_one_out(data, valid=True)
    cand = sample_candidates(split, n=15, seed=0)
    assert np.array_equal(cand.users, np.unique(split.test.users))
    known = (split.train.to_csr() + split.test.to_csr() + split.valid.to_csr()).toarray() > 0
    assert not known[cand.users[:, None], cand.negatives].any()
    assert all(len(set(row)) == 15 for row in cand.negatives.tolist())
    held = split.test.to_csr()
    assert (cand.positives != held[cand.users]).nnz == 0
    row_items = cand.items(0)
    assert row_items.size == 16 and row_items[0] == split.test.items[split.test.users == cand.users[0]][0]
    again = sample_candidates(split, n=15, seed=0)
    assert np.array_equal(cand.negatives, again.negatives)


def test_full_ranking_candidates_mask_train_and_valid():
    d = Interactions.from_dense([0, 0, 0, 0], [0, 1, 2, 3], timestamps=[1, 2, 3, 4], n_items=6)
    split = leave_one_out(d, valid=True)  # test item 3, valid item 2, train items 0, 1
    cand = sample_candidates(split, n=None)
    assert cand.negatives is None
    assert cand.items(0).tolist() == [3, 4, 5]
    valid_cand = sample_candidates(split, n=None, part="valid")
    assert valid_cand.items(0).tolist() == [2, 3, 4, 5]


def test_candidates_validate_n():
    d = Interactions.from_dense([0, 0], [0, 1], timestamps=[1, 2], n_items=3)
    split = leave_one_out(d)
    with pytest.raises(ValueError, match="only 1 items"):
        sample_candidates(split, n=2)
    with pytest.raises(ValueError, match="released"):
        sample_candidates(split, n="released")


def test_released_negatives_are_used_verbatim():
    d = Interactions.from_dense([0, 0, 1, 1], [0, 1, 0, 2], timestamps=[1, 2, 1, 2], n_items=5)
    base = leave_one_out(d)
    negatives = np.array([[3, 4], [1, 4]])
    split = Split(base.train, base.test, side={"test_negatives": negatives})
    cand = sample_candidates(split, n="released")
    assert cand.negatives.tolist() == [[3, 4], [1, 4]] and cand.n == 2
