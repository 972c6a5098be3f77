"""GANAtt: the closed-form ridge step of its surrogate, the fake users it emits, and its game log."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks.gan_attack import GANAttack, ridge_rows


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


def test_ridge_rows_hand_case() -> None:
    # identity factors, unit weights, reg 1: x = y / 2
    x = ridge_rows(torch.eye(2), torch.tensor([[1.0, 2.0]]), torch.ones(1, 2), reg=1.0)
    assert torch.allclose(x, torch.tensor([[0.5, 1.0]]))
    # a zero weight drops that entry: only item 0 counts, x0 = 1 / (1 + 1), x1 = 0
    x = ridge_rows(torch.eye(2), torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0]]), reg=1.0)
    assert torch.allclose(x, torch.tensor([[0.5, 0.0]]))


def test_ridge_rows_matches_weighted_normal_equations() -> None:
    rng = np.random.default_rng(0)
    f, y, w = rng.normal(size=(6, 3)), rng.normal(size=(2, 6)), rng.uniform(0.1, 1, size=(2, 6))
    got = ridge_rows(*(torch.as_tensor(a) for a in (f, y, w)), reg=0.5).numpy()
    for r in range(2):
        expected = np.linalg.solve(f.T @ np.diag(w[r]) @ f + 0.5 * np.eye(3), f.T @ (w[r] * y[r]))
        assert np.allclose(got[r], expected)


def small_attack(**kwargs) -> GANAttack:
    params = dict(n_fake=5, filler_size=4, gan_steps=4, rounds=2, steps_per_round=2, batch_size=8,
                  g_hidden=(16,), d_hidden=(16,), noise_dim=4, dim=4, sweeps=2, seed=0)
    return GANAttack(0, **{**params, **kwargs})


def test_fake_users_rate_fillers_on_the_scale_and_the_target_at_max() -> None:
    r = explicit()
    attack = small_attack()
    fakes = attack(r).toarray()
    assert fakes.shape == (5, r.shape[1])
    assert np.all(fakes[:, 0] == 5.0)
    rated_by_someone = (r.toarray() != 0).any(axis=0)
    for row in fakes:
        fillers = np.flatnonzero(row)[1:] if row[0] else np.flatnonzero(row)
        assert len(fillers) == 4
        assert np.all(np.isin(row[fillers], [1, 2, 3, 4, 5]))
        assert rated_by_someone[fillers].all()
    assert len(attack.history_) == 2 and all("f_A" in h for h in attack.history_)
    before = attack.gan_only_profiles_.toarray()
    assert before.shape == fakes.shape and np.all(before[:, 0] == 5.0)


def test_without_rounds_the_output_is_the_gan_only_profiles() -> None:
    attack = small_attack(rounds=0)
    fakes = attack(explicit())
    assert (fakes != attack.gan_only_profiles_).nnz == 0 and attack.history_ == []


def test_same_seed_same_profiles() -> None:
    r = explicit()
    assert (small_attack(seed=3)(r) != small_attack(seed=3)(r)).nnz == 0


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="push"):
        GANAttack(0, goal="nuke")
    with pytest.raises(ValueError, match="rounds"):
        GANAttack(0, rounds=-1)
    with pytest.raises(ValueError, match="neg_weight"):
        GANAttack(0, neg_weight=0.0)
    r = explicit()
    with pytest.raises(ValueError, match="explicit"):
        small_attack()(sp.csr_matrix((r > 0).astype(float)))
