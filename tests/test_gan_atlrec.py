"""ATLRec: attentional item factors, shared/private features and the domain adversary."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.atlrec import ATLRec, item_neighbours, seen_keys, unseen_negatives


def _domains() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """16 users in two tastes: even users buy S items 0-2 and T items 0-2, odd users S 3-5 and T 3-5; users
    0 and 1 lack T items 2 and 5 (held out)."""
    s = np.zeros((16, 6), np.float32)
    t = np.zeros((16, 6), np.float32)
    for u in range(16):
        cols = [0, 1, 2] if u % 2 == 0 else [3, 4, 5]
        s[u, cols] = 1
        t[u, cols] = 1
    t[0, 2] = t[1, 5] = 0
    return sp.csr_matrix(s), sp.csr_matrix(t)


def test_item_neighbours_pads_and_caps():
    m = sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 0]], np.float32))
    assert item_neighbours(m, 3, np.random.default_rng(0)).tolist() == [[0, 2, -1], [1, -1, -1]]
    capped = item_neighbours(sp.csr_matrix(np.ones((5, 1), np.float32)), 2, np.random.default_rng(0))
    assert capped.shape == (1, 2) and len(set(capped[0])) == 2 and set(capped[0]) <= set(range(5))


def test_unseen_negatives_avoid_the_users_items():
    m = sp.csr_matrix(np.array([[1, 1, 0, 1], [0, 0, 0, 0]], np.float32))
    assert seen_keys(m).tolist() == [0, 1, 3]
    draws = unseen_negatives(seen_keys(m), 4, np.zeros(50, np.int64), np.random.default_rng(0))
    assert set(draws.tolist()) == {2}
    free = unseen_negatives(seen_keys(m), 4, np.ones(50, np.int64), np.random.default_rng(0))
    assert set(free.tolist()) == {0, 1, 2, 3}  # user 1 has seen nothing


def test_attentional_factors_add_the_attended_users():
    model = ATLRec(3, 2, 2, dim=4, neighbors=2, seed=0)
    model.neighbours_T[0] = torch.tensor([1, -1])  # one neighbour: attention weight 1
    with torch.no_grad():
        q = model.item_factors("T", torch.tensor([0, 1]))
    assert torch.allclose(q[0], model.item["T"][0] + model.user[1])
    assert torch.allclose(q[1], model.item["T"][1])  # no neighbour: its own embedding


def test_learns_target_taste_and_scores_agree():
    s, t = _domains()
    model = ATLRec(16, 6, 6, dim=8, neighbors=8, d_hidden=8, seed=0)
    history = model.fit(s, t, epochs=60, batch=16, lr=0.02, lr_d=0.01, seed=0)
    assert len(history) == 60 and all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    with torch.no_grad():
        scores = model.full_scores(torch.tensor([0, 1]))
        assert torch.allclose(model.score(torch.tensor([0, 0]), torch.tensor([2, 4])), scores[0, [2, 4]],
                              atol=1e-5)
    assert scores[0, 2] > scores[0, 3:].max()  # held-out item of the user's taste beats the other taste
    assert scores[1, 5] > scores[1, :3].max()


def test_adversary_changes_training_and_seed_reproduces_it():
    s, t = _domains()
    runs = []
    for adv in (0.0, 1.0, 1.0):
        model = ATLRec(16, 6, 6, dim=4, neighbors=4, d_hidden=4, seed=3)
        model.fit(s, t, epochs=2, batch=8, adv_weight=adv, seed=3)
        with torch.no_grad():
            runs.append(model.full_scores(torch.arange(16)))
    assert torch.equal(runs[1], runs[2])
    assert not torch.allclose(runs[0], runs[1])


def test_bad_input_is_named():
    s, t = _domains()
    model = ATLRec(16, 6, 6, dim=4)
    with pytest.raises(ValueError, match="target has shape"):
        model.fit(s, t[:, :5])
    with pytest.raises(ValueError, match="adv_weight"):
        model.fit(s, t, adv_weight=-1.0)
    with pytest.raises(ValueError, match="domain"):
        model.item_factors("X", torch.tensor([0]))
