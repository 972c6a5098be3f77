"""advrec.gan.upgan: the filtered rank against hand-counted cases, UPGAN's user-preference aggregation, input
checks, and a short fit on a toy knowledge graph whose missing tails are only predictable from the users."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.upgan import UPGAN, filtered_ranks


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_filtered_rank_leaves_out_other_true_tails() -> None:
    scores = np.array([[0.9, 0.5, 0.7, 0.1], [0.2, 0.2, 0.8, 0.3]])
    known = np.array([[True, False, True, False], [False, False, False, False]])
    # row 0: tail 1 (0.5) is beaten by 0 and 2, both known true tails -> filtered rank 1
    # row 1: tail 0 (0.2) is beaten by 2 and 3 and tied with 1 (a tie counts against it) -> rank 4
    assert filtered_ranks(scores, np.array([1, 0]), known).tolist() == [1, 4]
    with pytest.raises(ValueError, match="align"):
        filtered_ranks(scores, np.array([1]), known)


def test_preference_is_the_mean_user_embedding_of_the_aligned_item() -> None:
    item_users = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]]))
    model = UPGAN(3, 1, item_users, dim=2)
    users = model.user.detach()
    pref = model.preference(torch.tensor([0, 1, 2])).detach()
    np.testing.assert_allclose(pref[0], (users[0] + users[1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(pref[1], users[2], rtol=1e-6)
    assert pref[2].abs().sum() == 0
    ablation = UPGAN(3, 1, item_users, dim=2, use_users=False)
    assert ablation.preference(torch.tensor([0])).abs().sum() == 0


def test_bad_inputs_name_the_parameter() -> None:
    item_users = sp.csr_matrix((3, 2))
    with pytest.raises(ValueError, match="item_users"):
        UPGAN(4, 1, item_users)
    model = UPGAN(3, 1, item_users)
    with pytest.raises(ValueError, match="tail ids"):
        model.fit(np.array([[0, 0, 3]]), epochs=1)
    with pytest.raises(ValueError, match="n_samples"):
        model.fit(np.array([[0, 0, 1]]), epochs=1, n_candidates=2, n_samples=3)
    with pytest.raises(ValueError, match="ranges"):
        model.fit(np.array([[0, 0, 1]]), epochs=1, ranges=[np.array([], dtype=int)])


def test_users_carry_the_signal_the_knowledge_graph_lacks() -> None:
    # 40 items, tails "A" (entity 40) or "B" (41) by a hidden class; users 0-9 consume class-A items, users
    # 10-19 class-B items. Half of the items' tails are held out: only the users reveal their class.
    rng = np.random.default_rng(0)
    cls = np.arange(40) % 2
    rows = [(i, u) for i in range(40) for u in rng.choice(10, 4, replace=False) + 10 * cls[i]]
    item_users = sp.csr_matrix((np.ones(len(rows)), tuple(np.array(rows).T)), shape=(42, 20))
    triples = np.stack([np.arange(40), np.zeros(40, int), 40 + cls], axis=1)
    train, test = triples[:20], triples[20:]
    ranges = [np.array([40, 41])]
    known = np.ones((20, 42), dtype=bool)
    known[:, 40:] = False
    results = {}
    for use_users in (True, False):
        model = UPGAN(42, 1, item_users, dim=8, hidden=16, use_users=use_users, seed=0)
        history = model.fit(train, epochs=30, batch=8, n_candidates=2, n_samples=1, pretrain_epochs=1,
                            lr_d=0.02, lr_g=0.02, ranges=ranges, seed=0)
        assert len(history) == 30 and all(math.isfinite(x) for x in history.d_loss + history.g_loss)
        ranks = filtered_ranks(model.tail_scores(test[:, 0], test[:, 1]), test[:, 2], known)
        results[use_users] = float((ranks == 1).mean())
    assert results[True] >= 0.9
    assert results[True] > results[False]
