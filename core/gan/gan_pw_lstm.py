"""Generative adversarial user model, GAN-PW and GAN-LSTM (Chen, Li, Li, Jiang, Qi, Song; ICML 2019).

A user at step t sees a display set A_t of items and clicks one. The user is modelled as a policy phi
that maximises a reward r(s_t, a) plus a regulariser R(phi), and the reward is learned adversarially:

    min_r max_phi  E_phi[ sum_t r(s_t, a_t) ] - R(phi) - sum_t r(s_t, a_t^true),

the reward being the discriminator (observed clicks should earn more than the policy's choices) and the
policy the generator of clicks. The state s_t is the history of clicked items' features, read by a
position-weight model ("pw": pw_dim sets of weights over the last `band` clicks) or an LSTM ("lstm"); the
reward is an MLP (64-64, ELU) of [state, candidate item's feature]. With the negative Shannon entropy as
R (`regularizer="entropy"`, eta = 1), the inner maximum has the closed form phi = softmax(r) over A_t and
the game reduces to the likelihood of the observed clicks (the paper's Lemma; the official
`main_gan_user_model.py` trains exactly that). With R = eta/2 ||phi||^2 (`regularizer="l2"`, the official
`main_gan_L2_regularized_yelp.py`), the policy is its own network (encoder + MLP 256-32 and a softmax over
A_t) and the two players alternate Adam steps: the policy ascends sum phi (r - eta/2 phi), the reward
descends that minus the observed clicks' reward. `history="none"` drops the state: a conditional logit on
the item alone (a no-history baseline).

Items enter as learned feature vectors (`feat_dim`): the official code feeds one-hot item features to a
linear first layer, which is the same function class. The RL recommender built on the user model
(GAN-CDQN) is not part of this module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import LSTMNet, MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
)
from advrec.models.seeding import seeded

_HISTORIES = ("pw", "lstm", "none")
_REGULARIZERS = ("entropy", "l2")


@dataclass(frozen=True)
class DisplaySessions:
    """Per-user click sequences with their display sets: user u's events are rows
    offsets[u]:offsets[u+1] of `displays` ([E, K] item ids shown), `clicked` ([E] the clicked item, in time
    order) and `target` ([E] the clicked item's position in its display row)."""

    offsets: np.ndarray
    displays: np.ndarray
    clicked: np.ndarray
    target: np.ndarray
    n_items: int

    def __post_init__(self) -> None:
        e = len(self.clicked)
        if self.displays.ndim != 2 or self.displays.shape[0] != e or self.target.shape != (e,):
            raise ValueError(f"displays must be [events, K] and target [events] for {e} events, got "
                             f"{self.displays.shape} and {self.target.shape}")
        if self.offsets[0] != 0 or self.offsets[-1] != e or np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must rise from 0 to the number of events")
        if e and not np.array_equal(self.displays[np.arange(e), self.target], self.clicked):
            raise ValueError("target must give each clicked item's position in its display row")

    @property
    def n_users(self) -> int:
        return len(self.offsets) - 1

    @property
    def display_size(self) -> int:
        return int(self.displays.shape[1])

    def lengths(self) -> np.ndarray:
        """Number of events per user."""
        return np.diff(self.offsets)

    def subset(self, users: Sequence[int] | np.ndarray) -> DisplaySessions:
        """The sessions of `users` (renumbered 0..len(users)-1 in that order)."""
        users = np.asarray(users, dtype=np.int64)
        if users.size and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"users must be in [0, {self.n_users}), got min {users.min()} max {users.max()}")
        rows = np.concatenate([np.arange(self.offsets[u], self.offsets[u + 1]) for u in users] or [[]])
        rows = rows.astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(self.lengths()[users])]).astype(np.int64)
        return DisplaySessions(offsets, self.displays[rows], self.clicked[rows], self.target[rows],
                               self.n_items)


def display_sessions(
    users: np.ndarray, items: np.ndarray, timestamps: np.ndarray, n_users: int, n_items: int, *,
    display_size: int = 10, distractors: str = "popularity", max_events: int | None = None, seed: int = 0,
) -> DisplaySessions:
    """Display sets for a click log that has none (MovieLens-style ratings): each user's events in time
    order (ties by item id; only the last `max_events` when given), each shown with display_size - 1 items
    the user never clicked, drawn without replacement uniformly or in proportion to their click counts
    (`distractors="popularity"`, as a deployed recommender would show), at a random position among them."""
    users, items, timestamps = (np.asarray(a, dtype=np.int64) for a in (users, items, timestamps))
    if not users.shape == items.shape == timestamps.shape:
        raise ValueError(f"users, items and timestamps must have the same length, got {users.shape}, "
                         f"{items.shape} and {timestamps.shape}")
    if distractors not in ("uniform", "popularity"):
        raise ValueError(f"distractors must be 'uniform' or 'popularity', got {distractors!r}")
    check_counts(2, display_size=display_size)
    if max_events is not None:
        check_counts(max_events=max_events)
    order = np.lexsort((items, timestamps, users))
    users, items = users[order], items[order]
    if max_events is not None:
        starts = np.searchsorted(users, users, side="right")
        keep = starts - np.arange(len(users)) <= max_events
        users, items = users[keep], items[keep]
    weight = np.bincount(items, minlength=n_items).astype(np.float64) + 1.0
    if distractors == "uniform":
        weight[:] = 1.0
    rng = np.random.default_rng(seed)
    counts = np.bincount(users, minlength=n_users)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    displays = np.empty((len(items), display_size), dtype=np.int64)
    target = rng.integers(0, display_size, size=len(items))
    for u in np.flatnonzero(counts):
        rows = slice(offsets[u], offsets[u + 1])
        seen = np.unique(items[rows])
        pool = np.setdiff1d(np.arange(n_items), seen, assume_unique=True)
        if len(pool) < display_size - 1:
            raise ValueError(f"user {u} clicked {len(seen)} of {n_items} items: fewer than display_size - 1 "
                             "unclicked items are left to show")
        # Gumbel top-k: display_size - 1 distinct pool items per event, drawn in proportion to `weight`
        keys = np.log(weight[pool])[None, :] - np.log(-np.log(rng.random((counts[u], len(pool)))))
        others = pool[np.argpartition(-keys, display_size - 2, axis=1)[:, :display_size - 1]]
        block = np.empty((counts[u], display_size), dtype=np.int64)
        mask = np.arange(display_size)[None, :] == target[rows][:, None]
        block[mask] = items[rows]
        block[~mask] = others.reshape(-1)
        displays[rows] = block
    return DisplaySessions(offsets, displays, items.copy(), target, n_items)


class _Batch:
    """Padded tensors of a batch of users: clicked [B, T], displays [B, T, K], target [B, T], mask [B, T]."""

    def __init__(self, sessions: DisplaySessions, users: np.ndarray, device: torch.device) -> None:
        lengths = sessions.lengths()[users]
        t_max = max(int(lengths.max()), 1)
        b, k = len(users), sessions.display_size
        clicked = np.zeros((b, t_max), dtype=np.int64)
        displays = np.zeros((b, t_max, k), dtype=np.int64)
        target = np.zeros((b, t_max), dtype=np.int64)
        for row, u in enumerate(users):
            s, e = sessions.offsets[u], sessions.offsets[u + 1]
            clicked[row, :e - s], displays[row, :e - s], target[row, :e - s] = (
                sessions.clicked[s:e], sessions.displays[s:e], sessions.target[s:e])
        self.clicked = torch.as_tensor(clicked, device=device)
        self.displays = torch.as_tensor(displays, device=device)
        self.target = torch.as_tensor(target, device=device)
        n = torch.as_tensor(lengths, device=device)
        self.mask = torch.arange(t_max, device=device)[None, :] < n[:, None]


class _Scorer(nn.Module):
    """State encoder of the click history plus an MLP over [state, item feature] -> one score per item."""

    def __init__(self, n_items: int, history: str, feat_dim: int, hidden: Sequence[int], pw_dim: int,
                 band: int, rnn_hidden: int) -> None:
        super().__init__()
        self.history, self.band = history, band
        self.features = nn.Embedding(n_items, feat_dim)
        nn.init.normal_(self.features.weight, std=0.1)
        if history == "pw":
            self.position_weight = nn.Parameter(torch.full((pw_dim, band), 1e-4))
            state = pw_dim * feat_dim
        elif history == "lstm":
            self.encoder = LSTMNet(feat_dim, rnn_hidden, hidden=rnn_hidden)
            state = rnn_hidden
        else:
            state = 0
        self.mlp = MLPNet(state + feat_dim, 1, hidden=list(hidden), activation="elu")

    def states(self, clicked: torch.Tensor) -> torch.Tensor:
        """State before each step t, [B, T, S], from the clicks at steps < t (zeros at t = 0)."""
        x = self.features(clicked)
        b, t, f = x.shape
        if self.history == "pw":
            # out[b, t, k] = sum_{j=1..band} w[k, j-1] x[b, t-j]: one causal convolution per feature
            kernel = self.position_weight.flip(-1)[:, None, :]
            xt = F.pad(x.permute(0, 2, 1).reshape(b * f, 1, t), (self.band, 0))
            out = F.conv1d(xt, kernel)[..., :t].reshape(b, f, -1, t)
            return out.permute(0, 3, 2, 1).reshape(b, t, -1)
        if self.history == "lstm":
            h = self.encoder.steps(x)
            return torch.cat([h.new_zeros(b, 1, h.shape[-1]), h[:, :-1]], dim=1)
        return x.new_zeros(b, t, 0)

    def forward(self, batch: _Batch) -> torch.Tensor:
        state = self.states(batch.clicked)
        feats = self.features(batch.displays)
        state = state[:, :, None, :].expand(-1, -1, feats.shape[2], -1)
        return self.mlp(torch.cat([state, feats], dim=-1))[..., 0]


class GANUserModel(nn.Module):
    """The generative adversarial user model: a reward network (the discriminator) and, with the L2
    regulariser, a policy network (the generator of clicks); `choice_probs` is the policy over a display.
    """

    def __init__(
        self, n_items: int, history: str = "lstm", regularizer: str = "entropy", *, feat_dim: int = 32,
        hidden: Sequence[int] = (64, 64), policy_hidden: Sequence[int] = (256, 32), pw_dim: int = 4,
        band: int = 20, rnn_hidden: int = 20, eta: float = 1.0, seed: int = 0,
    ) -> None:
        super().__init__()
        if history not in _HISTORIES:
            raise ValueError(f"history must be one of {_HISTORIES}, got {history!r}")
        if regularizer not in _REGULARIZERS:
            raise ValueError(f"regularizer must be one of {_REGULARIZERS}, got {regularizer!r}")
        check_counts(n_items=n_items, feat_dim=feat_dim, pw_dim=pw_dim, band=band, rnn_hidden=rnn_hidden)
        if not eta > 0:
            raise ValueError(f"eta must be positive, got {eta}")
        self.n_items, self.history, self.regularizer, self.eta = n_items, history, regularizer, float(eta)
        net = dict(feat_dim=feat_dim, pw_dim=pw_dim, band=band, rnn_hidden=rnn_hidden)
        with seeded(seed):
            self.reward = _Scorer(n_items, history, hidden=hidden, **net)
            self.policy = (_Scorer(n_items, history, hidden=policy_hidden, **net) if regularizer == "l2"
                           else None)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def _check(self, sessions: DisplaySessions) -> None:
        if not isinstance(sessions, DisplaySessions):
            raise TypeError(f"sessions must be DisplaySessions, got {type(sessions).__name__}")
        if sessions.n_items != self.n_items:
            raise ValueError(f"sessions have {sessions.n_items} items, the model was built for "
                             f"{self.n_items}")

    def _policy_logits(self, batch: _Batch) -> torch.Tensor:
        if self.policy is None:
            return self.reward(batch) / self.eta
        return self.policy(batch)

    @torch.no_grad()
    def choice_probs(self, sessions: DisplaySessions, users: Sequence[int] | np.ndarray) -> list[np.ndarray]:
        """The policy phi(. | s_t, A_t) over each display row of each user in `users`: one [T_u, K] array."""
        self._check(sessions)
        users = np.asarray(users, dtype=np.int64)
        order = np.argsort(sessions.lengths()[users], kind="stable")
        out: list[np.ndarray] = [np.empty((0, sessions.display_size))] * len(users)
        for start in range(0, len(users), 64):
            pick = order[start:start + 64]
            batch = _Batch(sessions, users[pick], self.device)
            probs = torch.softmax(self._policy_logits(batch), dim=-1).cpu().numpy()
            for row, (where, n) in enumerate(zip(pick, sessions.lengths()[users[pick]], strict=True)):
                out[where] = probs[row, :n]
        return out

    def precision(self, sessions: DisplaySessions, ks: Sequence[int] = (1, 2)) -> dict[str, np.ndarray]:
        """Per user (with at least one event), the share of events whose click is among the policy's top k
        of the display ("PREC@k"), as in the paper's top-1 / top-2 precision."""
        users = np.flatnonzero(sessions.lengths() > 0)
        probs = self.choice_probs(sessions, users)
        out: dict[str, np.ndarray] = {}
        for k in ks:
            check_counts(k=k)
            values = [float(np.mean(top_k_hit(p, sessions.target[sessions.offsets[u]:sessions.offsets[u + 1]],
                                              k))) for u, p in zip(users, probs, strict=True)]
            out[f"PREC@{k}"] = np.asarray(values)
        return out

    def fit(
        self, sessions: DisplaySessions, epochs: int = 10, *, batch: int = 50, lr: float = 5e-4,
        seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the users of `sessions` for `epochs` passes in batches of `batch` users (Adam, lr);
        `validate(model)` runs before training and after each epoch. d_loss is the reward player's loss per
        event, g_loss the policy player's (entropy: -(E_phi[r] + H(phi)) = -logsumexp(r); l2: -sum
        phi (r - eta/2 phi))."""
        self._check(sessions)
        check_counts(epochs=epochs, batch=batch)
        users = np.flatnonzero(sessions.lengths() > 0)
        if len(users) == 0:
            raise ValueError("sessions have no user with an event")
        rng = np.random.default_rng(seed)
        opt_r = make_optimizer("adam", self.reward.parameters(), lr)
        opt_p = make_optimizer("adam", self.policy.parameters(), lr) if self.policy is not None else None
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            g_losses, d_losses = [], []
            # batches of users of similar length (less padding), in random order
            by_length = users[np.lexsort((rng.random(len(users)), sessions.lengths()[users]))]
            batches = np.array_split(by_length, max(1, -(-len(users) // batch)))
            for i in rng.permutation(len(batches)):
                idx = batches[i]
                g, d = self._step(_Batch(sessions, idx, self.device), opt_r, opt_p)
                g_losses.append(check_finite(g, "user-model policy loss", epoch))
                d_losses.append(check_finite(d, "user-model reward loss", epoch))
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    def _step(self, b: _Batch, opt_r: torch.optim.Optimizer,
              opt_p: torch.optim.Optimizer | None) -> tuple[float, float]:
        m = b.mask.to(torch.float32)
        events = m.sum()
        if opt_p is None:
            r = self.reward(b) / self.eta
            clicked = r.gather(2, b.target[..., None])[..., 0]
            lse = torch.logsumexp(r, dim=-1)
            loss = ((lse - clicked) * m).sum() / events
            opt_r.zero_grad()
            loss.backward()
            opt_r.step()
            return float(-(lse.detach() * m).sum() / events), float(loss.detach())
        phi = torch.softmax(self.policy(b), dim=-1)
        r = self.reward(b)
        clicked = r.gather(2, b.target[..., None])[..., 0]
        value = ((phi.detach() * (r - 0.5 * self.eta * phi.detach())).sum(-1) * m).sum() / events
        loss_r = value - (clicked * m).sum() / events
        opt_r.zero_grad()
        loss_r.backward()
        opt_r.step()
        value_p = ((phi * (r.detach() - 0.5 * self.eta * phi)).sum(-1) * m).sum() / events
        opt_p.zero_grad()
        (-value_p).backward()
        opt_p.step()
        return float(-value_p.detach()), float(loss_r.detach())


def top_k_hit(scores: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Per display row of `scores` [E, K], the probability that the item at position `target` is among the
    top k when ties are broken uniformly at random (1 when k at least its worst tied rank)."""
    check_counts(k=k)
    own = scores[np.arange(len(target)), target][:, None]
    higher = (scores > own).sum(axis=1)
    ties = (scores == own).sum(axis=1) - 1
    return np.clip((k - higher) / (ties + 1), 0.0, 1.0)


def popularity_precision(sessions: DisplaySessions, train: DisplaySessions,
                         ks: Sequence[int] = (1, 2)) -> dict[str, np.ndarray]:
    """The same per-user top-k precision for choosing by popularity: display items ranked by their number
    of clicks in `train` (a history-free, reward-free baseline)."""
    if sessions.n_items != train.n_items:
        raise ValueError(f"sessions have {sessions.n_items} items, train {train.n_items}")
    clicks = np.bincount(train.clicked, minlength=train.n_items).astype(np.float64)
    users = np.flatnonzero(sessions.lengths() > 0)
    score = clicks[sessions.displays]
    out = {}
    for k in ks:
        hit = top_k_hit(score, sessions.target, k)
        out[f"PREC@{k}"] = np.asarray([hit[sessions.offsets[u]:sessions.offsets[u + 1]].mean()
                                      for u in users])
    return out


__all__ = ["DisplaySessions", "GANUserModel", "display_sessions", "popularity_precision", "top_k_hit"]
