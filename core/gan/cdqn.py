"""GAN-CDQN: a cascading deep Q-network recommender trained against a generative adversarial user model
(Chen, Li, Li, Jiang, Qi, Song; ICML 2019, Section 5).

The learned user model (`advrec.gan.gan_pw_lstm.GANUserModel`) is the environment: at step t the system
shows k items chosen from a candidate pool, the simulated user clicks one with probability
softmax(r(s_t, a) / eta) over the shown items, the system earns the user model's learned reward
r(s_t, clicked) and the click joins the user's history. The policy must choose a *set* of k items, whose
joint Q-function is too large to maximise directly; the cascading Q-networks Q^1..Q^k do it greedily,
a_j = argmax_a Q^j(s, a_1..a_{j-1}, a), and are all regressed on the same target
y = r + gamma * Q^k_target(s', A'*) (A'* the online cascade's choice at s'), which makes every Q^j
consistent with the optimal set value (the paper's Eq. for the cascading networks). The paper's own
cascading-DQN code is not public: the state encoder (learned position weights over the last `band`
clicks' embeddings), the heads' inputs (state, mean embedding of the items already chosen, candidate)
and the replay/target schedule are ours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.gan_pw_lstm import DisplaySessions, GANUserModel
from advrec.gan.networks import MLPNet
from advrec.gan.trainer import check_counts, check_finite, make_optimizer, torch_generator
from advrec.models.seeding import seeded

Policy = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]
"""(histories [B, t] clicked item ids, pool [B, M] candidate ids, k) -> the k shown items [B, k]."""


class UserModelEnv:
    """A recommendation environment simulated by a trained user model: `rewards(histories, items)` is the
    learned reward r(s, a) of showing `items` ([B, M]) to users whose clicks so far are `histories`
    ([B, t])."""

    def __init__(self, user_model: GANUserModel) -> None:
        if not isinstance(user_model, GANUserModel):
            raise TypeError(f"user_model must be a GANUserModel, got {type(user_model).__name__}")
        self.model = user_model.eval()
        self.n_items = user_model.n_items

    @torch.no_grad()
    def rewards(self, histories: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """r(s, a) for every (user row, item) of `items`, with s the state after the row's history."""
        scorer = self.model.reward
        device = self.model.device
        histories, items = histories.to(device), items.to(device)
        padded = torch.cat([histories, histories.new_zeros(len(histories), 1)], dim=1)
        state = scorer.states(padded)[:, -1]
        feats = scorer.features(items)
        state = state[:, None, :].expand(-1, items.shape[1], -1)
        return scorer.mlp(torch.cat([state, feats], dim=-1))[..., 0]

    def choice_logits(self, histories: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """The simulated user's choice logits over the shown items: r / eta."""
        return self.rewards(histories, items) / self.model.eta


def start_histories(sessions: DisplaySessions, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `length` clicks ([U, length]) of every user with more than `length` events, and those
    users."""
    check_counts(length=length)
    users = np.flatnonzero(sessions.lengths() > length)
    if len(users) == 0:
        raise ValueError(f"no user has more than {length} events")
    rows = sessions.offsets[users][:, None] + np.arange(length)[None, :]
    return sessions.clicked[rows].astype(np.int64), users


def _pools(histories: torch.Tensor, n_items: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """`size` distinct candidates per row, uniform over the items not yet in that row's history."""
    keys = torch.rand(len(histories), n_items, generator=gen, device=gen.device).to(histories.device)
    keys.scatter_(1, histories, -1.0)
    return keys.topk(size, dim=1).indices


class CascadingQNetwork(nn.Module):
    """Q^j(s, a_1..a_j), j = 1..k: a shared item table, a position-weighted state of the last `band`
    clicks, and one MLP head per position over [state, mean embedding of a_1..a_{j-1}, embedding of a_j]."""

    def __init__(self, n_items: int, k: int, *, dim: int = 32, hidden: int = 64, band: int = 10,
                 seed: int = 0) -> None:
        super().__init__()
        check_counts(n_items=n_items, k=k, dim=dim, hidden=hidden, band=band)
        self.n_items, self.k, self.band, self.dim, self.hidden = n_items, k, band, dim, hidden
        with seeded(seed):
            self.item = nn.Embedding(n_items, dim)
            nn.init.normal_(self.item.weight, std=0.1)
            self.heads = nn.ModuleList(MLPNet(3 * dim, 1, hidden=(hidden,), activation="elu")
                                       for _ in range(k))
        self.position = nn.Parameter(torch.full((band,), 1.0 / band))

    def state(self, histories: torch.Tensor) -> torch.Tensor:
        """Position-weighted sum of the embeddings of the last `band` clicks, [B, dim]."""
        recent = histories[:, -self.band:].flip(1)  # most recent first
        return (self.item(recent) * self.position[:recent.shape[1]][None, :, None]).sum(1)

    def head(self, j: int, state: torch.Tensor, chosen: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Q^{j+1}(s, chosen, a) for every candidate a of `items` [B, M]; `chosen` [B, j] (j may be 0)."""
        b, m = items.shape
        prev = self.item(chosen).mean(1) if chosen.shape[1] else state.new_zeros(b, state.shape[1])
        x = torch.cat([state[:, None].expand(-1, m, -1), prev[:, None].expand(-1, m, -1), self.item(items)],
                      -1)
        return self.heads[j](x)[..., 0]

    def select(self, histories: torch.Tensor, pool: torch.Tensor, epsilon: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The cascade's k items from `pool` [B, M] (no repeats), each position random with prob. epsilon."""
        if pool.shape[1] < self.k:
            raise ValueError(f"the candidate pool has {pool.shape[1]} items, fewer than k = {self.k}")
        if epsilon > 0 and generator is None:
            raise ValueError("exploration (epsilon > 0) needs a torch generator for its draws")
        b = len(pool)
        rows = torch.arange(b, device=pool.device)
        taken = torch.zeros_like(pool, dtype=torch.bool)
        chosen = pool.new_zeros(b, 0)
        with torch.no_grad():
            state = self.state(histories)
            for j in range(self.k):
                q = self.head(j, state, chosen, pool).masked_fill(taken, float("-inf"))
                pick = q.argmax(1)
                if epsilon > 0:
                    noise = torch.rand(b, pool.shape[1], generator=generator, device=generator.device)
                    noise = noise.to(pool.device).masked_fill(taken, -1.0).argmax(1)
                    explore = torch.rand(b, generator=generator, device=generator.device) < epsilon
                    explore = explore.to(pool.device)
                    pick = torch.where(explore, noise, pick)
                taken[rows, pick] = True
                chosen = torch.cat([chosen, pool[rows, pick][:, None]], 1)
        return chosen

    def q_taken(self, histories: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Q^j(s, a_1..a_j) of a shown sequence `actions` [B, k], for j = 1..k: [B, k]."""
        state = self.state(histories)
        return torch.stack([self.head(j, state, actions[:, :j], actions[:, j:j + 1])[:, 0]
                            for j in range(self.k)], 1)

    def policy(self) -> Policy:
        """The greedy cascade as a `Policy` (no exploration)."""
        return lambda histories, pool, k: self.select(histories, pool)


def random_policy(seed: int = 0) -> Policy:
    """Shows k candidates drawn uniformly without replacement."""
    gen = torch.Generator().manual_seed(seed)

    def choose(histories: torch.Tensor, pool: torch.Tensor, k: int) -> torch.Tensor:
        keys = torch.rand(pool.shape, generator=gen).to(pool.device)
        return pool.gather(1, keys.topk(k, dim=1).indices)

    return choose


def popularity_policy(clicks: np.ndarray) -> Policy:
    """Shows the k candidates with the most training clicks (`clicks` [n_items])."""
    counts = torch.as_tensor(np.asarray(clicks, dtype=np.float64))

    def choose(histories: torch.Tensor, pool: torch.Tensor, k: int) -> torch.Tensor:
        return pool.gather(1, counts.to(pool.device)[pool].topk(k, dim=1).indices)

    return choose


def greedy_policy(env: UserModelEnv) -> Policy:
    """Shows the k candidates with the highest immediate reward of `env` (a myopic planner that reads the
    environment's own reward: an upper reference for one-step reward, not a learnable policy)."""

    def choose(histories: torch.Tensor, pool: torch.Tensor, k: int) -> torch.Tensor:
        return pool.gather(1, env.rewards(histories, pool).topk(k, dim=1).indices.to(pool.device))

    return choose


@dataclass(frozen=True)
class Rollout:
    """One simulated episode per start row: rewards [U, steps] earned and the clicked items [U, steps]."""

    rewards: np.ndarray
    clicks: np.ndarray

    def cumulative(self, gamma: float = 1.0) -> np.ndarray:
        """Per user, sum_t gamma^t r_t."""
        return (self.rewards * gamma ** np.arange(self.rewards.shape[1])[None, :]).sum(1)


def _step(env: UserModelEnv, histories: torch.Tensor, shown: torch.Tensor,
          gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The simulated users' clicks among `shown` and the rewards they earn."""
    r = env.rewards(histories, shown).to(shown.device)
    probs = torch.softmax(r / env.model.eta, dim=1)
    draw = torch.rand(len(shown), 1, generator=gen, device=gen.device).to(shown.device)
    pick = torch.searchsorted(probs.cumsum(1), draw * probs.sum(1, keepdim=True))
    pick = pick.clamp_max(shown.shape[1] - 1)
    return shown.gather(1, pick)[:, 0], r.gather(1, pick)[:, 0]


def _check_shown(shown: torch.Tensor, pool: torch.Tensor, k: int) -> None:
    if shown.shape != (len(pool), k):
        raise ValueError(f"a policy must return [users, k] = {(len(pool), k)} items, "
                         f"got {tuple(shown.shape)}")


@torch.no_grad()
def simulate(env: UserModelEnv, policy: Policy, starts: np.ndarray, *, steps: int = 10, k: int = 4,
             pool: int = 50, seed: int = 0) -> Rollout:
    """Roll `policy` out for `steps` steps from each start history ([U, t] clicks) in `env`: each step a
    fresh pool of `pool` unseen candidates, k shown, one clicked. With the same seed, every policy meets the
    same random draws (pools and click uniforms), so policies are compared on common random numbers."""
    check_counts(steps=steps, k=k, pool=pool)
    if pool < k or pool > env.n_items:
        raise ValueError(f"pool must be in [k, n_items] = [{k}, {env.n_items}], got {pool}")
    histories = torch.as_tensor(np.asarray(starts, dtype=np.int64))
    gen = torch_generator(seed, torch.device("cpu"))
    rewards, clicks = [], []
    for _ in range(steps):
        candidates = _pools(histories, env.n_items, pool, gen)
        shown = policy(histories, candidates, k)
        _check_shown(shown, candidates, k)
        click, reward = _step(env, histories, shown, gen)
        histories = torch.cat([histories, click[:, None]], 1)
        rewards.append(reward.cpu().numpy())
        clicks.append(click.cpu().numpy())
    return Rollout(np.stack(rewards, 1), np.stack(clicks, 1))


def train_cdqn(
    qnet: CascadingQNetwork, env: UserModelEnv, starts: np.ndarray, *, episodes: int = 30,
    users: int = 128, steps: int = 10, pool: int = 50, gamma: float = 0.9, lr: float = 1e-3,
    epsilon: tuple[float, float] = (0.5, 0.05), replay: int = 20000, batch: int = 256, updates: int = 2,
    target_every: int = 20, seed: int = 0,
) -> list[dict[str, float]]:
    """Train `qnet` by DQN against `env`: each episode starts `users` random rows of `starts`, shows the
    cascade's items (epsilon-greedy, epsilon decaying linearly from epsilon[0] to epsilon[1]) for `steps`
    steps, stores the transitions, and after each step makes `updates` Adam steps on replay batches of
    the cascading loss mean_j (y - Q^j(s, a_1..a_j))^2 with y = r + gamma Q^k_target(s', A'*) (the target
    network copied every `target_every` updates; the last step of an episode has no bootstrap). Returns one
    log per episode: mean cumulative reward per user, mean TD loss, epsilon."""
    check_counts(episodes=episodes, users=users, steps=steps, pool=pool, replay=replay, batch=batch,
                 updates=updates, target_every=target_every)
    if not 0 <= gamma < 1:
        raise ValueError(f"gamma must be in [0, 1), got {gamma}")
    if qnet.n_items != env.n_items:
        raise ValueError(f"the Q-network has {qnet.n_items} items, the environment {env.n_items}")
    starts = np.asarray(starts, dtype=np.int64)
    if starts.ndim != 2 or starts.shape[1] < qnet.band:
        raise ValueError(f"starts must be [users, t] histories with t >= band = {qnet.band}, "
                         f"got shape {starts.shape}")
    rng = np.random.default_rng(seed)
    gen = torch_generator(seed, torch.device("cpu"))
    target = CascadingQNetwork(qnet.n_items, qnet.k, dim=qnet.dim, hidden=qnet.hidden, band=qnet.band)
    target.load_state_dict(qnet.state_dict())
    opt = make_optimizer("adam", qnet.parameters(), lr)
    # the Q-networks read only the last `band` clicks, so a transition stores those windows
    window = np.zeros((replay, qnet.band), np.int64)
    memory = {"now": window, "after": window.copy(),
              "shown": np.zeros((replay, qnet.k), np.int64), "reward": np.zeros(replay, np.float32),
              "next_pool": np.zeros((replay, pool), np.int64), "done": np.zeros(replay, np.float32)}
    filled, cursor, n_updates, logs = 0, 0, 0, []
    qnet.train()
    for episode in range(episodes):
        start = time.perf_counter()
        eps = epsilon[0] + (epsilon[1] - epsilon[0]) * episode / max(episodes - 1, 1)
        histories = torch.as_tensor(starts[rng.integers(0, len(starts), size=users)])
        candidates = _pools(histories, env.n_items, pool, gen)
        total, losses = np.zeros(users), []
        for t in range(steps):
            shown = qnet.select(histories, candidates, eps, gen)
            click, reward = _step(env, histories, shown, gen)
            following = torch.cat([histories, click[:, None]], 1)
            next_candidates = _pools(following, env.n_items, pool, gen)
            rows = (cursor + np.arange(users)) % replay
            memory["now"][rows] = histories[:, -qnet.band:].numpy()
            memory["after"][rows] = following[:, -qnet.band:].numpy()
            memory["shown"][rows] = shown.numpy()
            memory["reward"][rows] = reward.numpy()
            memory["next_pool"][rows] = next_candidates.numpy()
            memory["done"][rows] = float(t == steps - 1)
            cursor, filled = (cursor + users) % replay, min(filled + users, replay)
            total += reward.numpy()
            histories, candidates = following, next_candidates
            for _ in range(updates):
                losses.append(_update(qnet, target, opt, memory, rng.integers(0, filled, size=batch), gamma))
                n_updates += 1
                if n_updates % target_every == 0:
                    target.load_state_dict(qnet.state_dict())
        loss = float(np.mean(losses))
        logs.append({"episode": episode + 1, "reward": float(total.mean()),
                     "td_loss": check_finite(loss, "CDQN TD loss", episode + 1), "epsilon": eps,
                     "seconds": time.perf_counter() - start})
    qnet.eval()
    return logs


def _update(qnet: CascadingQNetwork, target: CascadingQNetwork, opt: torch.optim.Optimizer,
            memory: dict[str, np.ndarray], idx: np.ndarray, gamma: float) -> float:
    """One Adam step of the cascading TD loss mean_j (y - Q^j(s, a_1..a_j))^2 on the replay rows `idx`."""
    batch = {key: torch.as_tensor(value[idx]) for key, value in memory.items()}
    with torch.no_grad():
        best = qnet.select(batch["after"], batch["next_pool"])
        bootstrap = target.q_taken(batch["after"], best)[:, -1]
        y = batch["reward"] + gamma * (1 - batch["done"]) * bootstrap
    q = qnet.q_taken(batch["now"], batch["shown"])
    loss = F.mse_loss(q, y[:, None].expand_as(q))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


__all__ = ["CascadingQNetwork", "Rollout", "UserModelEnv", "greedy_policy", "popularity_policy",
           "random_policy", "simulate", "start_histories", "train_cdqn"]
