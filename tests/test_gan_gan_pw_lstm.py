"""Generative adversarial user model (Chen et al. 2019): display sessions, encoders, training, precision."""

import numpy as np
import pytest
import torch

from advrec.gan.gan_pw_lstm import (
    DisplaySessions,
    GANUserModel,
    _Batch,
    display_sessions,
    popularity_precision,
    top_k_hit,
)


def _log():
    # user 0 clicks 3, 1, 2 (times 5, 1, 2 -> order 1, 2, 3); user 1 clicks 4 then 0
    users = np.array([0, 0, 0, 1, 1])
    items = np.array([3, 1, 2, 4, 0])
    times = np.array([5, 1, 2, 7, 9])
    return users, items, times


def test_display_sessions_order_clicks_and_show_unclicked_items():
    users, items, times = _log()
    s = display_sessions(users, items, times, 2, 12, display_size=4, seed=0)
    assert s.offsets.tolist() == [0, 3, 5]
    assert s.clicked.tolist() == [1, 2, 3, 4, 0]
    assert s.displays[np.arange(5), s.target].tolist() == [1, 2, 3, 4, 0]
    for row in range(5):
        shown = s.displays[row]
        assert len(set(shown.tolist())) == 4
        user_items = {1, 2, 3} if row < 3 else {4, 0}
        others = set(shown.tolist()) - {int(s.clicked[row])}
        assert not others & user_items


def test_display_sessions_keep_the_last_events():
    users, items, times = _log()
    s = display_sessions(users, items, times, 2, 12, display_size=3, max_events=2, seed=0)
    assert s.clicked.tolist() == [2, 3, 4, 0]
    assert s.lengths().tolist() == [2, 2]


def test_display_sessions_reject_a_too_large_display():
    users, items, times = _log()
    with pytest.raises(ValueError, match="display_size - 1"):
        display_sessions(users, items, times, 2, 5, display_size=4)


def test_subset_renumbers_users():
    users, items, times = _log()
    s = display_sessions(users, items, times, 2, 12, display_size=3, seed=1).subset([1])
    assert s.n_users == 1 and s.clicked.tolist() == [4, 0]
    with pytest.raises(ValueError, match="target"):
        DisplaySessions(np.array([0, 1]), np.array([[1, 2]]), np.array([2]), np.array([0]), 3)


def test_top_k_hit_counts_ties_as_random_order():
    scores = np.array([[3.0, 1.0, 2.0], [1.0, 1.0, 1.0], [0.0, 5.0, 4.0]])
    target = np.array([0, 1, 0])
    # row 0: best -> 1; row 1: three-way tie, P(rank 0) = 1/3; row 2: last -> 0
    assert top_k_hit(scores, target, 1).tolist() == pytest.approx([1.0, 1 / 3, 0.0])
    assert top_k_hit(scores, target, 2).tolist() == pytest.approx([1.0, 2 / 3, 0.0])


def test_popularity_precision_ranks_by_training_clicks():
    train = DisplaySessions(np.array([0, 3]), np.array([[5, 1], [5, 2], [2, 1]]), np.array([5, 5, 2]),
                            np.array([0, 0, 0]), 6)
    test = DisplaySessions(np.array([0, 2]), np.array([[5, 2], [1, 2]]), np.array([2, 1]),
                           np.array([1, 0]), 6)
    # clicks: item 5 twice, item 2 once, item 1 never -> both test clicks lose: PREC@1 = 0, PREC@2 = 1
    out = popularity_precision(test, train)
    assert out["PREC@1"].tolist() == [0.0] and out["PREC@2"].tolist() == [1.0]


def test_position_weight_state_is_the_weighted_sum_of_past_clicks():
    model = GANUserModel(6, "pw", pw_dim=2, band=2, feat_dim=3, seed=0)
    scorer = model.reward
    with torch.no_grad():
        scorer.position_weight.copy_(torch.tensor([[1.0, 10.0], [2.0, 0.0]]))
    clicked = torch.tensor([[1, 2, 3]])
    f = scorer.features.weight
    states = scorer.states(clicked)[0].reshape(3, 2, 3)
    assert torch.allclose(states[0], torch.zeros(2, 3))
    assert torch.allclose(states[1], torch.stack([f[1], 2 * f[1]]))
    assert torch.allclose(states[2], torch.stack([f[2] + 10 * f[1], 2 * f[2]]))


def test_lstm_state_only_sees_the_past():
    model = GANUserModel(6, "lstm", seed=0)
    a = model.reward.states(torch.tensor([[1, 2, 3]]))
    b = model.reward.states(torch.tensor([[1, 2, 5]]))
    assert torch.allclose(a[0, 0], torch.zeros_like(a[0, 0]))
    assert torch.allclose(a[:, :3], b[:, :3])


def _repeating_sessions(n_users=30, steps=12, seed=0):
    # each user alternates two items: the next click is predictable from the last one only
    rng = np.random.default_rng(seed)
    users, items, times = [], [], []
    for u in range(n_users):
        a, b = rng.choice(20, 2, replace=False)
        for t in range(steps):
            users.append(u)
            items.append(a if t % 2 == 0 else b)
            times.append(t)
    return np.array(users), np.array(items), np.array(times)


def test_history_model_learns_what_a_history_free_one_cannot():
    users, items, times = _repeating_sessions()
    s = display_sessions(users, items, times, 30, 20, display_size=4, distractors="uniform", seed=0)
    scores = {}
    for history in ("lstm", "none"):
        model = GANUserModel(20, history, feat_dim=8, hidden=(16,), rnn_hidden=8, seed=0)
        hist = model.fit(s, epochs=40, batch=10, lr=0.02, seed=0)
        scores[history] = float(model.precision(s)["PREC@1"].mean())
        assert len(hist) == 40 and np.isfinite(hist.d_loss).all()
    assert scores["lstm"] > 0.8
    assert scores["lstm"] > scores["none"] + 0.2


def test_l2_game_trains_both_players_and_is_seeded():
    users, items, times = _repeating_sessions(10, 6)
    s = display_sessions(users, items, times, 10, 20, display_size=3, seed=0)
    probs = []
    for _ in range(2):
        model = GANUserModel(20, "pw", "l2", feat_dim=4, hidden=(8,), policy_hidden=(8,), seed=3)
        before = [p.detach().clone() for p in model.policy.parameters()]
        model.fit(s, epochs=2, batch=5, lr=0.01, seed=1)
        assert any(not torch.equal(a, b) for a, b in zip(before, model.policy.parameters(), strict=True))
        probs.append(np.concatenate(model.choice_probs(s, [0, 1])))
    assert np.array_equal(probs[0], probs[1])
    assert np.allclose(probs[0].sum(axis=1), 1.0)


def test_batch_pads_and_masks():
    users, items, times = _log()
    s = display_sessions(users, items, times, 2, 12, display_size=3, seed=0)
    b = _Batch(s, np.array([1, 0]), torch.device("cpu"))
    assert b.mask.tolist() == [[True, True, False], [True, True, True]]
    assert b.clicked[0, :2].tolist() == [4, 0]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="history"):
        GANUserModel(5, "gru")
    with pytest.raises(ValueError, match="regularizer"):
        GANUserModel(5, "pw", "kl")
    users, items, times = _log()
    s = display_sessions(users, items, times, 2, 12, display_size=3)
    with pytest.raises(ValueError, match="items"):
        GANUserModel(7).fit(s)
