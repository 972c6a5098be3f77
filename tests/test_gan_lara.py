"""LARA (Sun et al., WSDM 2020): new items ranked to users through attribute-generated user profiles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.evaluation import evaluate
from advrec.gan.lara import LARA, _counter_users
from advrec.gan.side_information import attribute_profiles


def _two_groups() -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """Users 0-9 like genre-0 items, users 10-19 genre-1 items; items 0-7 warm, 8-9 new (one per genre)."""
    attrs = np.array([[1, 0], [0, 1]] * 5)
    dense = np.zeros((20, 10), dtype=np.float32)
    dense[:10, 0::2] = 1
    dense[10:, 1::2] = 1
    train, test = dense.copy(), np.zeros_like(dense)
    train[:, 8:] = 0
    test[:, 8:] = dense[:, 8:]
    return sp.csr_matrix(train), sp.csr_matrix(test), attrs


def test_counter_users_never_interacted() -> None:
    seen = np.sort(np.array([0 * 3 + 1, 1 * 3 + 1, 2 * 3 + 0]))  # (u0,i1), (u1,i1), (u2,i0) of 4 users
    items = np.array([1] * 200 + [0] * 200)
    out = _counter_users(items, seen, n_users=4, n_items=3, rng=np.random.default_rng(0))
    assert set(out[:200]) <= {2, 3} and set(out[200:]) <= {0, 1, 3}
    with pytest.raises(ValueError, match="non-interacting"):
        _counter_users(np.array([0]), np.array([0, 3]), n_users=2, n_items=3, rng=np.random.default_rng(0))


def test_generator_scores_are_profile_dot_products() -> None:
    train, _, attrs = _two_groups()
    profiles = attribute_profiles(train, attrs, "max")
    model = LARA(attrs, profiles, hidden=8, seed=0)
    items = torch.tensor([8, 9, 0])
    expected = model.generate(items) @ torch.as_tensor(profiles).T
    torch.testing.assert_close(model.full_scores(items), expected)
    d = LARA(attrs, profiles, hidden=8, scorer="discriminator", seed=0)
    scores = d.full_scores(torch.tensor([9]))
    pair = d.discriminate(torch.tensor([9]), torch.as_tensor(profiles[[3]]))
    torch.testing.assert_close(scores[0, 3], pair[0])


def test_lara_learns_the_genre_groups_for_new_items() -> None:
    train, test, attrs = _two_groups()
    profiles = attribute_profiles(train, attrs, "max")
    model = LARA(attrs, profiles, hidden=16, seed=0)
    history = model.fit(train, epochs=60, batch=32, lr=1e-2, seed=0)
    assert len(history) == 60 and np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    result = evaluate(model, train.T.tocsr(), test.T.tocsr(), metrics=["PRECISION"], ks=[10])
    assert result.summary()["PRECISION@10"] == 1.0  # each new item reaches exactly its genre's 10 users


def test_classifier_mode_trains_only_the_discriminator() -> None:
    train, test, attrs = _two_groups()
    profiles = attribute_profiles(train, attrs, "max")
    model = LARA(attrs, profiles, hidden=16, scorer="discriminator", seed=0)
    before = [p.detach().clone() for p in model.g_net.parameters()]
    history = model.fit(train, epochs=30, batch=32, lr=1e-2, adversarial=False, seed=0)
    assert all(np.isnan(history.g_loss))
    assert all(torch.equal(a, b) for a, b in zip(before, model.g_net.parameters(), strict=True))
    result = evaluate(model, train.T.tocsr(), test.T.tocsr(), metrics=["PRECISION"], ks=[10])
    assert result.summary()["PRECISION@10"] == 1.0


def test_bad_inputs_are_named() -> None:
    train, _, attrs = _two_groups()
    profiles = attribute_profiles(train, attrs)
    with pytest.raises(ValueError, match="binary"):
        LARA(attrs * 2, profiles)
    with pytest.raises(ValueError, match="scorer"):
        LARA(attrs, profiles, scorer="both")
    with pytest.raises(ValueError, match="train has shape"):
        LARA(attrs, profiles).fit(train.T.tocsr(), epochs=1)
