"""AOS4Rec (Zhao, Shui, Zhang, Xiao and Bian, IJCAI 2020): adversarial oracular seq2seq learning for
sequential recommendation, a training scheme for an RNN- or Transformer-based next-item recommender.

Recommendation is cast as sequence-to-sequence generation: from a user's history, the recommender (the
generator G, any `SequentialRecommender` such as `GRU4Rec` or `SASRec`) generates the next `horizon`
items one after another. Two signals train it, on random windows (a history and its real continuation):
- oracular learning: the real continuation (the oracle) is the teacher, next-item cross-entropy at every
  position of the window, each step fed the real previous items (teacher forcing);
- adversarial learning: a GRU discriminator reads the history followed by a continuation and tells the
  real continuation from G's free-running one; G's items are drawn with the straight-through
  Gumbel-softmax, so D's judgement of the whole generated continuation back-propagates into G.
G's loss is the oracular cross-entropy plus `adv_weight` times the non-saturating GAN loss; D minimises
BCE. Only the abstract of the paper was available to us: this is our reading of it (its reference list
cites Gumbel and sequence-level training).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import GRUNet
from advrec.gan.samplers import gumbel_softmax
from advrec.gan.sequential import step_logits
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.sequential import SequentialRecommender, sequences_from_matrix


def random_windows(sequences: list[np.ndarray], length: int, horizon: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One random window per user with at least horizon + 1 items: (users, windows [U, length] of item
    id + 1, left-padded with 0) whose last `horizon` entries are the continuation and the rest its history
    (at least one item)."""
    if horizon < 1 or length <= horizon:
        raise ValueError(f"need 1 <= horizon < length, got horizon={horizon} and length={length}")
    users = np.array([u for u, s in enumerate(sequences) if len(s) > horizon], dtype=np.int64)
    windows = np.zeros((len(users), length), dtype=np.int64)
    for row, u in enumerate(users):
        seq = np.asarray(sequences[u], dtype=np.int64)
        end = int(rng.integers(horizon + 1, len(seq) + 1))
        piece = seq[max(0, end - length):end]
        windows[row, -len(piece):] = piece + 1
    return users, windows


class AOS4Rec(Recommender):
    """AOS4Rec training around a sequential recommender `generator`; `full_scores` are the generator's.
    The discriminator is a GRU over D's own item embeddings of the history and a continuation."""

    def __init__(self, generator: SequentialRecommender, dim: int = 32, *, horizon: int = 3,
                 tau: float = 1.0, seed: int = 0) -> None:
        super().__init__(generator.n_users, generator.n_items)
        check_counts(horizon=horizon)
        if not tau > 0:
            raise ValueError(f"tau must be positive, got {tau}")
        self.generator, self.horizon, self.tau = generator, int(horizon), float(tau)
        with seeded(seed + 100):
            self.d_items = nn.Parameter(torch.randn(self.n_items + 1, dim) * 0.1)
            self.critic = GRUNet(dim, 1, hidden=dim)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.generator.score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.generator.full_scores(users)

    def judge(self, history: torch.Tensor, continuation: torch.Tensor) -> torch.Tensor:
        """D's logits [B] that `continuation` ([B, horizon, n_items] one-hot or relaxed rows) is the real
        one after `history` ([B, L] item id + 1, left-padded)."""
        table = self.d_items * (torch.arange(self.n_items + 1, device=self.d_items.device) > 0)[:, None]
        x = torch.cat([table[history], continuation @ self.d_items[1:]], dim=1)
        return self.critic(x).squeeze(-1)

    def _generate(self, users: torch.Tensor, history: torch.Tensor,
                  gen: torch.Generator) -> torch.Tensor:
        """G's free-running continuation: `horizon` straight-through Gumbel-softmax one-hots [B, h, N];
        each step reads the history and G's previous items."""
        inputs, steps = history, []
        last = torch.zeros(history.shape, dtype=torch.bool, device=history.device)
        last[:, -1] = True
        for _ in range(self.horizon):
            logits = step_logits(self.generator, users, inputs, last)
            sample = gumbel_softmax(logits, self.tau, hard=True, generator=gen)
            steps.append(sample)
            inputs = torch.cat([inputs[:, 1:], sample.argmax(dim=1, keepdim=True) + 1], dim=1)
        return torch.stack(steps, dim=1)

    def fit(
        self, train: sp.spmatrix, epochs: int = 10, *, batch_size: int = 64, lr_g: float = 1e-3,
        lr_d: float = 1e-3, adv_weight: float = 0.1, seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on random windows of the training sequences (`train`: user x item, values = time order);
        each batch makes one D step and one G step (oracular cross-entropy + `adv_weight` x GAN loss;
        `adv_weight=0` leaves only the oracular part, D then trains but does not act on G). Returns the
        history (g_loss: G's GAN loss; d_loss: D's BCE; metrics include the oracular cross-entropy)."""
        check_counts(epochs=epochs, batch_size=batch_size)
        if adv_weight < 0:
            raise ValueError(f"adv_weight must be >= 0, got {adv_weight}")
        self.generator.prepare(train)
        sequences = sequences_from_matrix(sp.csr_matrix(train))
        length = self.generator.max_len + 1
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer("adam", self.generator.parameters(), lr_g)
        opt_d = make_optimizer("adam", [self.d_items, *self.critic.parameters()], lr_d)
        if not any(len(s) > self.horizon for s in sequences):
            raise ValueError(f"train has no user with more than horizon={self.horizon} items")
        history = GANHistory(initial=run_validate(validate, self))
        dev = self.device
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            self.train()
            users, windows = random_windows(sequences, length, self.horizon, rng)
            order = rng.permutation(len(users))
            g_losses, d_losses, mle = [], [], []
            for lo in range(0, len(order), batch_size):
                idx = order[lo:lo + batch_size]
                bu = torch.as_tensor(users[idx], device=dev)
                window = torch.as_tensor(windows[idx], device=dev)
                past, real = window[:, :-self.horizon], window[:, -self.horizon:] - 1
                real_rows = F.one_hot(real, self.n_items).float()
                fake = self._generate(bu, past, gen)
                d_loss = discriminator_loss(self.judge(past, real_rows), self.judge(past, fake.detach()))
                d_losses.append(check_finite(d_loss.item(), "AOS4Rec discriminator loss", epoch))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                targets = window[:, 1:] - 1
                mask = targets >= 0
                oracle = F.cross_entropy(step_logits(self.generator, bu, window[:, :-1], mask), targets[mask])
                adversarial = generator_loss(self.judge(past, fake))
                mle.append(check_finite(oracle.item(), "AOS4Rec oracular loss", epoch))
                g_losses.append(check_finite(adversarial.item(), "AOS4Rec generator loss", epoch))
                opt_g.zero_grad()
                (oracle + adv_weight * adversarial).backward()
                opt_g.step()
            metrics = {"oracular CE": mean_or_nan(mle), **run_validate(validate, self)}
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), metrics, time.perf_counter() - start)
        self.eval()
        return history
