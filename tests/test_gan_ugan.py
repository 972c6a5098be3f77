"""UGAN: forged user profiles from the generator and their augmentation of the training matrix."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.ugan import UGAN, augment


def _train() -> sp.csr_matrix:
    # user 0: items 0, 2; user 1: item 4; user 2: nothing
    return sp.csr_matrix(np.array([[1, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]],
                                  dtype=np.float32))


def _peaked(model: UGAN) -> None:
    """Generator scores: user 0 strongly prefers items 1 and 3, user 1 item 5 (bias 0)."""
    with torch.no_grad():
        g = model.generator
        g.user.zero_()
        g.item.zero_()
        g.user[0, 0] = 1.0
        g.user[1, 1] = 1.0
        g.item[1, 0] = g.item[3, 0] = 50.0
        g.item[5, 1] = 50.0


def test_forge_draws_profiles_of_real_size_from_the_generator():
    model = UGAN(3, 6, dim=2, seed=0)
    _peaked(model)
    forged = model.forge(_train(), seed=1)
    assert forged.shape == (2, 6)  # users 0 and 1 (user 2 has no items)
    assert sorted(forged[0].indices.tolist()) == [1, 3]
    assert forged[1].indices.tolist() == [5]
    assert set(forged.data.tolist()) == {1.0}


def test_forge_with_chosen_templates_and_distinct_items():
    model = UGAN(3, 6, dim=2, seed=0)
    forged = model.forge(_train(), templates=np.array([0, 0, 0]), seed=2)
    assert forged.shape == (3, 6)
    assert np.diff(forged.indptr).tolist() == [2, 2, 2]  # without replacement: always 2 distinct items


def test_forge_rejects_bad_templates_and_temperature():
    model = UGAN(3, 6, dim=2)
    with pytest.raises(ValueError, match="at least one observed item"):
        model.forge(_train(), templates=np.array([2]))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        model.forge(_train(), templates=np.array([3]))
    with pytest.raises(ValueError, match="temperature"):
        model.forge(_train(), temperature=0.0)
    with pytest.raises(ValueError, match="point-wise"):
        UGAN(3, 6, mode="pair")


def test_augment_appends_profiles_after_the_real_users():
    train = _train()
    profiles = sp.csr_matrix(np.array([[0, 1, 0, 1, 0, 0]], dtype=np.float32))
    out = augment(train, profiles)
    assert out.shape == (4, 6)
    assert (out[:3] != train).nnz == 0
    assert out[3].indices.tolist() == [1, 3]
    with pytest.raises(ValueError, match="items"):
        augment(train, sp.csr_matrix((1, 5)))


def test_ugan_game_trains_and_forges():
    rng = np.random.default_rng(0)
    train = sp.csr_matrix((rng.random((10, 12)) < 0.3).astype(np.float32))
    model = UGAN(10, 12, dim=3, seed=0)
    history = model.fit(train, epochs=2, d_steps=1, g_steps=1, d_batch=8, g_batch=4, lr_g=0.05, lr_d=0.05)
    assert len(history) == 2 and np.isfinite(history.g_loss).all()
    forged = model.forge(train, seed=0)
    counts = np.diff(train.indptr)
    assert np.diff(forged.indptr).tolist() == counts[counts > 0].tolist()
