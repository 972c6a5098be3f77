"""GAN-CDQN: cascading Q-networks trained against a generative adversarial user model as environment."""

import math

import numpy as np
import pytest
import torch

from advrec.gan.cdqn import (
    CascadingQNetwork,
    Rollout,
    UserModelEnv,
    popularity_policy,
    random_policy,
    simulate,
    start_histories,
    train_cdqn,
)
from advrec.gan.gan_pw_lstm import DisplaySessions, GANUserModel, display_sessions


def _liked_sessions(n_users: int = 40, n_items: int = 12, events: int = 12) -> DisplaySessions:
    """Every user clicks only items 0-2 (in turn), each shown among 4 items: a reward model learns to
    prefer items 0-2."""
    users = np.repeat(np.arange(n_users), events)
    items = np.tile(np.arange(events) % 3, n_users)
    times = np.tile(np.arange(events), n_users)
    return display_sessions(users, items, times, n_users, n_items, display_size=4, distractors="uniform")


def test_start_histories_are_the_first_clicks_of_long_enough_users():
    offsets = np.array([0, 3, 4, 8])
    clicked = np.array([5, 6, 7, 1, 2, 3, 4, 0])
    displays = np.stack([clicked, clicked + 10], 1)
    sessions = DisplaySessions(offsets, displays, clicked, np.zeros(8, dtype=np.int64), 20)
    starts, users = start_histories(sessions, 2)
    assert users.tolist() == [0, 2]
    assert starts.tolist() == [[5, 6], [2, 3]]
    with pytest.raises(ValueError, match="more than 9 events"):
        start_histories(sessions, 9)


def test_env_choice_matches_the_user_models_policy_over_a_display():
    sessions = _liked_sessions(n_users=6)
    model = GANUserModel(sessions.n_items, "pw", "entropy", feat_dim=4, band=3, seed=0)
    probs = model.choice_probs(sessions, [0])[0]
    env = UserModelEnv(model)
    t = 5
    history = torch.as_tensor(sessions.clicked[:t])[None, :]
    display = torch.as_tensor(sessions.displays[t])[None, :]
    mine = torch.softmax(env.choice_logits(history, display), dim=1)[0].numpy()
    np.testing.assert_allclose(mine, probs[t], rtol=1e-5, atol=1e-6)


def test_cascade_picks_each_position_greedily_without_repeats():
    qnet = CascadingQNetwork(15, 3, dim=4, hidden=8, band=2, seed=1)
    histories = torch.tensor([[0, 1, 2], [3, 4, 5]])
    pool = torch.tensor([[6, 7, 8, 9, 10], [10, 11, 12, 13, 14]])
    chosen = qnet.select(histories, pool)
    assert chosen.shape == (2, 3)
    for row in range(2):
        assert len(set(chosen[row].tolist())) == 3 and set(chosen[row].tolist()) <= set(pool[row].tolist())
        state = qnet.state(histories[row:row + 1])
        for j in range(3):  # brute force: position j's item maximises Q^{j+1} given the items before it
            left = [a for a in pool[row].tolist() if a not in chosen[row, :j].tolist()]
            q = qnet.head(j, state, chosen[row:row + 1, :j], torch.tensor([left]))[0]
            assert left[int(q.argmax())] == int(chosen[row, j])


def test_state_weights_the_most_recent_click_first():
    qnet = CascadingQNetwork(5, 1, dim=2, hidden=4, band=2, seed=0)
    with torch.no_grad():
        qnet.item.weight.copy_(torch.arange(10, dtype=torch.float32).reshape(5, 2))
        qnet.position.copy_(torch.tensor([1.0, 10.0]))
    # last two clicks 3 then 4: 1 * e(4) + 10 * e(3) = [8, 9] + [60, 70]
    assert qnet.state(torch.tensor([[0, 3, 4]])).tolist() == [[68.0, 79.0]]


def test_rollout_cumulative_discounts_by_step():
    rollout = Rollout(np.array([[1.0, 2.0, 3.0]]), np.zeros((1, 3), dtype=np.int64))
    assert rollout.cumulative(0.5)[0] == pytest.approx(1 + 1 + 0.75)
    assert rollout.cumulative()[0] == pytest.approx(6.0)


def test_simulate_is_reproducible_and_never_shows_clicked_items():
    sessions = _liked_sessions(n_users=8)
    env = UserModelEnv(GANUserModel(sessions.n_items, "pw", "entropy", feat_dim=4, band=3, seed=0))
    starts, _ = start_histories(sessions, 3)
    a = simulate(env, random_policy(0), starts, steps=4, k=2, pool=5, seed=3)
    b = simulate(env, random_policy(0), starts, steps=4, k=2, pool=5, seed=3)
    np.testing.assert_array_equal(a.clicks, b.clicks)
    np.testing.assert_allclose(a.rewards, b.rewards)
    for row in range(len(starts)):  # pools exclude the history, so no item is clicked twice
        path = list(starts[row]) + list(a.clicks[row])
        assert len(set(a.clicks[row].tolist())) == 4 and not set(a.clicks[row]) & set(starts[row])
        assert len(path) == 7
    with pytest.raises(ValueError, match="policy must return"):
        simulate(env, lambda h, p, k: p[:, :1], starts, steps=1, k=2, pool=5)
    with pytest.raises(ValueError, match="pool must be"):
        simulate(env, random_policy(0), starts, k=3, pool=2)


def test_cdqn_learns_to_show_the_items_the_user_model_rewards():
    sessions = _liked_sessions()
    model = GANUserModel(sessions.n_items, "none", "entropy", feat_dim=4, hidden=(8,), seed=0)
    model.fit(sessions, epochs=40, batch=20, lr=0.05, seed=0)
    env = UserModelEnv(model)
    liked = env.rewards(torch.zeros(1, 1, dtype=torch.long), torch.arange(12)[None, :])[0]
    assert liked[:3].min() > liked[3:].max()  # the user model rewards items 0-2
    starts = np.arange(3, 12).reshape(3, 3).repeat(4, axis=0)  # histories without items 0-2
    qnet = CascadingQNetwork(12, 2, dim=4, hidden=16, band=3, seed=0)
    logs = train_cdqn(qnet, env, starts, episodes=25, users=16, steps=1, pool=6, gamma=0.0, lr=0.02,
                      batch=64, seed=0)
    assert len(logs) == 25 and all(math.isfinite(log["td_loss"]) for log in logs)
    learned = simulate(env, qnet.policy(), starts, steps=1, k=2, pool=6, seed=1).cumulative().mean()
    chance = simulate(env, random_policy(1), starts, steps=1, k=2, pool=6, seed=1).cumulative().mean()
    assert learned > chance


def test_popularity_policy_shows_the_most_clicked_candidates():
    choose = popularity_policy(np.array([0, 5, 1, 9, 2]))
    shown = choose(torch.zeros(1, 1, dtype=torch.long), torch.tensor([[0, 1, 2, 4]]), 2)
    assert shown.tolist() == [[1, 4]]


def test_train_cdqn_rejects_bad_arguments():
    sessions = _liked_sessions(n_users=4)
    env = UserModelEnv(GANUserModel(sessions.n_items, "none", "entropy", feat_dim=4, seed=0))
    qnet = CascadingQNetwork(sessions.n_items, 2, dim=4, hidden=4, band=3)
    with pytest.raises(ValueError, match="gamma"):
        train_cdqn(qnet, env, np.zeros((2, 3), dtype=np.int64), gamma=1.0)
    with pytest.raises(ValueError, match="band"):
        train_cdqn(qnet, env, np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="items"):
        train_cdqn(CascadingQNetwork(99, 2, dim=4, hidden=4, band=3), env, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="GANUserModel"):
        UserModelEnv(qnet)
