"""RSGAN (Yu et al. 2019): seeded friends, the friend-item generator and the fit loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.rsgan import RSGAN, seeded_friends


def _train() -> sp.csr_matrix:
    rows = np.array([0, 0, 1, 1, 2, 2, 3, 4])
    cols = np.array([0, 1, 0, 1, 2, 3, 3, 4])
    return sp.csr_matrix((np.full(len(rows), 4.0, dtype=np.float32), (rows, cols)), shape=(5, 6))


def test_seeded_friends_union_trust_both_ways_and_most_similar_users() -> None:
    friends = seeded_friends(_train(), np.array([[0, 4]]), n_similar=1).toarray()
    # users 0 and 1 share both items (cosine 1); user 2 and 3 share item 3 (cosine 1/sqrt(2)), the best for 3
    assert friends[0, 1] == 1 and friends[1, 0] == 1
    assert friends[3, 2] == 1 and friends[2, 3] == 1
    assert friends[0, 4] == 1 and friends[4, 0] == 1      # the trust link, both directions
    assert np.all(np.diag(friends) == 0)
    assert set(np.unique(friends)) <= {0.0, 1.0}
    only_trust = seeded_friends(_train(), np.array([[0, 4]]), n_similar=0).toarray()
    assert only_trust.sum() == 2


def test_seeded_friends_rejects_unknown_users() -> None:
    with pytest.raises(ValueError, match="trust edges"):
        seeded_friends(_train(), np.array([[0, 9]]))


def test_generated_item_is_one_of_the_friends_items_at_low_temperature() -> None:
    model = RSGAN(5, 6, dim=4, hidden=3, temperature=0.01, seed=0)
    with torch.no_grad():
        model.decoder.bias.zero_()
        model.decoder.weight.zero_()
        model.decoder.bias[2] = 50.0       # every user's friend is user 2 (items 2 and 3)
    coo = _train().tocoo()
    inter = torch.sparse_coo_tensor(np.vstack([coo.row, coo.col]), np.ones(coo.nnz, dtype=np.float32), (5, 6),
                                    check_invariants=True)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(0)
        picked = model.generate(torch.tensor([0, 4]), torch.zeros(2, 5), inter, gen)
    assert torch.allclose(picked.sum(1), torch.ones(2))
    assert float(picked[:, [2, 3]].sum()) == pytest.approx(2.0, abs=1e-3)


def test_fit_trains_and_scores_with_discriminator_embeddings() -> None:
    model = RSGAN(5, 6, dim=4, hidden=3, seed=1)
    calls = []
    friends = seeded_friends(_train(), np.array([[0, 4]]), 1)
    history = model.fit(_train(), friends, epochs=2, pretrain_epochs=1, batch=4, lr=0.01,
                        validate=lambda m: calls.append(1) or {"x": 0.0})
    assert len(history) == 2 and len(calls) == 3
    assert all(math.isfinite(v) for v in history.g_loss + history.d_loss)
    users = torch.tensor([0, 3])
    assert torch.allclose(model.full_scores(users), model.user[users] @ model.item.T)


def test_fit_rejects_a_friends_matrix_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="friends"):
        RSGAN(5, 6).fit(_train(), sp.eye(4, format="csr"))
