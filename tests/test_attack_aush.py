"""AUSH: template pool, filler sampling, the shape and content of its fake profiles, and its losses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks.aush import AUSH, l2_of, sample_fillers, template_users


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def explicit(n_users: int = 30, n_items: int = 20, per_user: int = 8, seed: int = 0) -> sp.csr_matrix:
    """Integer ratings 1..5, each user rating `per_user` random items."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_users), per_user)
    cols = np.concatenate([rng.choice(n_items, per_user, replace=False) for _ in range(n_users)])
    vals = rng.integers(1, 6, len(rows)).astype(np.float64)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_users, n_items))


def test_template_users_counts_only_candidate_items() -> None:
    r = sp.csr_matrix(np.array([[5, 4, 0, 0], [0, 3, 2, 1], [1, 0, 0, 0]], dtype=float))
    # candidates {1, 2, 3}: user 0 rated 1 of them, user 1 rated 3, user 2 none
    assert template_users(r, np.array([1, 2, 3]), 2).tolist() == [1]
    assert template_users(r, np.array([1, 2, 3]), 1).tolist() == [0, 1]
    assert template_users(r, np.array([0]), 0).tolist() == [0, 2]  # at least one rated candidate


def test_sample_fillers_draws_only_rated_candidates() -> None:
    rows = torch.tensor([[5.0, 4.0, 0.0, 3.0, 2.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    candidates = torch.tensor([False, True, True, True, True])
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        mask = sample_fillers(rows, candidates, 2, gen)
        assert mask[0].sum() == 2 and set(mask[0].nonzero().ravel().tolist()) <= {1, 3, 4}
        assert mask[1].sum() == 0  # its only rated item is not a candidate


def test_l2_of_is_half_the_squared_norm() -> None:
    layer = torch.nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0]]))
        layer.bias.copy_(torch.tensor([3.0]))
    assert l2_of(layer).item() == pytest.approx(0.5 * (1 + 4 + 9))


def test_profiles_copy_template_fillers_and_push_the_target() -> None:
    r = explicit()
    target, selected = 0, [1, 2]
    fakes = AUSH(target, selected, n_fake=6, filler_size=3, epochs=2, seed=0)(r)
    assert fakes.shape == (6, r.shape[1])
    dense, real = fakes.toarray(), r.toarray()
    assert np.all(dense[:, target] == 5.0)
    assert np.all(np.isin(dense[:, selected], [1, 2, 3, 4, 5]))
    for row in dense:
        fillers = np.setdiff1d(np.flatnonzero(row), [target, *selected])
        assert len(fillers) == 3
        # the filler ratings are one real user's ratings of those very items
        assert any(np.array_equal(real[u, fillers], row[fillers]) for u in range(r.shape[0]))


def test_shilling_loss_alone_drives_selected_ratings_to_the_maximum() -> None:
    r = explicit()
    attack = AUSH(0, [1, 2], n_fake=5, filler_size=3, epochs=40, lr_g=0.05, seed=1,
                  loss_weights=(0.0, 1.0, 0.0, 0.0))
    fakes = attack(r).toarray()
    assert np.all(fakes[:, [1, 2]] == 5.0)
    assert attack.history_[-1]["g_shilling"] < attack.history_[0]["g_shilling"]
    assert len(attack.history_) == 40


def test_same_seed_same_profiles() -> None:
    r = explicit()
    a = AUSH(3, [4], n_fake=4, filler_size=2, epochs=2, seed=7)(r)
    b = AUSH(3, [4], n_fake=4, filler_size=2, epochs=2, seed=7)(r)
    assert (a != b).nnz == 0


def test_bad_inputs_are_named() -> None:
    r = explicit()
    with pytest.raises(ValueError, match="push"):
        AUSH(0, [1], goal="nuke")
    with pytest.raises(ValueError, match="selected_items"):
        AUSH(0, [0])
    with pytest.raises(ValueError, match="epochs"):
        AUSH(0, [1], epochs=0)
    with pytest.raises(ValueError, match="explicit"):
        AUSH(0, [1], n_fake=2, filler_size=1, epochs=1)(sp.csr_matrix((r > 0).astype(float)))
    with pytest.raises(ValueError, match="filler_size"):
        AUSH(0, [1], n_fake=2, filler_size=19, epochs=1)(r)
