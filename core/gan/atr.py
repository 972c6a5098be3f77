"""ATR (Rafailidis and Crestani; SIGIR 2019 short): adversarial training for review-based rating prediction.

The survey's Table 5 lists ATR with a GRU generator, a CNN discriminator and point-wise training; only
the paper's abstract was read ("sequence-to-sequence learning to calculate the deep representations of
users' reviews on items following an adversarial training strategy ... jointly learn to factorize the
rating matrix, by regularizing the deep representations of reviews with the user and item latent
features ... producing a review for each user-item pair"), so this is a reconstruction:
- matrix factorisation r(u, i) = mu + b_u + b_i + p_u . q_i + w . h_ui, where h_ui is the deep review
  representation of the pair: the last state of a GRU decoder started from tanh(A [p_u; q_i]), so the
  user and item latent features shape the review and the review shapes the rating;
- the GRU generates a review of `max_len` tokens, feeding back the softmax-weighted token embedding at
  each step (a continuous relaxation, so D's gradient reaches G); on pairs with a real review it is also
  trained as a sequence-to-sequence decoder (teacher forcing, token cross-entropy);
- a CNN discriminator (`CNNNet`) tells real reviews from generated ones, and G learns to fool it.
`adversarial=False` drops the discriminator (the ablation). `pair_reviews` turns (user, item, tag)
assignments into token sequences, our offline stand-in for review text.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.aaers import rating_triples
from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import CNNNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    critic_split_optimizers,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded


def pair_reviews(assignments: pd.DataFrame, pairs: sp.spmatrix, vocabulary: np.ndarray,
                 max_len: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token sequences of the (user, item) pairs stored in `pairs` that have assignments (columns user,
    item, tag_id; optional date orders them, then tag id): token = 1 + position of the tag in the sorted
    `vocabulary` (tags outside it are dropped), 0 pads, at most `max_len` tokens. Returns users, items
    and tokens [n_pairs, max_len], pairs in (user, item) order."""
    missing = {"user", "item", "tag_id"} - set(assignments.columns)
    if missing:
        raise KeyError(f"assignments lacks the column(s) {sorted(missing)}; "
                       f"it has {list(assignments.columns)}")
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    vocab = np.asarray(vocabulary, dtype=np.int64)
    if vocab.ndim != 1 or vocab.size == 0 or (np.diff(vocab) <= 0).any():
        raise ValueError("vocabulary must be a non-empty, strictly increasing array of tag ids")
    held = sp.csr_matrix(pairs)
    frame = assignments[["user", "item", "tag_id"] + (["date"] if "date" in assignments.columns else [])]
    users, items = frame["user"].to_numpy(np.int64), frame["item"].to_numpy(np.int64)
    inside = (users >= 0) & (items >= 0) & (users < held.shape[0]) & (items < held.shape[1])
    frame = frame[inside]
    frame = frame[np.asarray(held[frame["user"].to_numpy(), frame["item"].to_numpy()]).ravel() != 0]
    column = np.searchsorted(vocab, frame["tag_id"].to_numpy(np.int64))
    known = (column < len(vocab)) & (vocab[column.clip(0, len(vocab) - 1)] == frame["tag_id"].to_numpy())
    frame = frame[known].assign(token=column[known] + 1)
    order = ["user", "item"] + (["date"] if "date" in frame.columns else []) + ["token"]
    frame = frame.sort_values(order, kind="stable")
    frame = frame.assign(position=frame.groupby(["user", "item"]).cumcount())
    frame = frame[frame["position"] < max_len]
    keys = frame.groupby(["user", "item"], sort=True).size().index
    out_users = keys.get_level_values(0).to_numpy(np.int64)
    out_items = keys.get_level_values(1).to_numpy(np.int64)
    row = np.searchsorted(out_users * held.shape[1] + out_items,
                          frame["user"].to_numpy(np.int64) * held.shape[1] + frame["item"].to_numpy(np.int64))
    tokens = np.zeros((len(keys), max_len), dtype=np.int64)
    tokens[row, frame["position"].to_numpy()] = frame["token"].to_numpy()
    return out_users, out_items, tokens


class ATR(Recommender):
    """MF with a GRU review generator and a CNN review discriminator (see the module docstring).
    `n_tokens` is the vocabulary size (token ids 1..n_tokens, 0 pads); scores are predicted ratings."""

    def __init__(self, n_users: int, n_items: int, n_tokens: int, dim: int = 16, *, embed: int = 16,
                 hidden: int = 32, max_len: int = 8, d_channels: int = 32, temperature: float = 1.0,
                 adversarial: bool = True, seed: int = 0) -> None:
        super().__init__(n_users, n_items)
        for name, value in (("n_tokens", n_tokens), ("dim", dim), ("embed", embed), ("hidden", hidden),
                            ("max_len", max_len), ("d_channels", d_channels)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.n_tokens, self.max_len, self.temperature = int(n_tokens), int(max_len), float(temperature)
        self.adversarial = bool(adversarial)
        self.register_buffer("mean", torch.zeros(()))
        with seeded(seed):
            self.user = nn.Parameter(torch.randn(n_users, dim) * 0.01)
            self.item = nn.Parameter(torch.randn(n_items, dim) * 0.01)
            self.start = nn.Linear(2 * dim, hidden)
            self.token_embedding = nn.Parameter(torch.randn(n_tokens + 1, embed) * 0.1)
            self.gru = nn.GRUCell(embed, hidden)
            self.vocab_head = nn.Linear(hidden, n_tokens)
            self.review_weight = nn.Linear(hidden, 1, bias=False)
            self.d_embedding = nn.Linear(n_tokens, embed, bias=False)
            self.discriminator = CNNNet(embed, 1, hidden=(d_channels,), kernel_size=3)
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))

    def generate(self, users: torch.Tensor, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Free-running review of each pair: token distributions [B, max_len, n_tokens] and the review
        representation h_ui (the GRU's last state) [B, hidden]."""
        h = torch.tanh(self.start(torch.cat([self.user[users], self.item[items]], dim=-1)))
        x = self.token_embedding[0].expand(len(users), -1)
        steps = []
        for _ in range(self.max_len):
            h = self.gru(x, h)
            probs = F.softmax(self.vocab_head(h) / self.temperature, dim=-1)
            steps.append(probs)
            x = probs @ self.token_embedding[1:]
        return torch.stack(steps, dim=1), h

    def teacher_forced_loss(self, users: torch.Tensor, items: torch.Tensor,
                            tokens: torch.Tensor) -> torch.Tensor:
        """Mean token cross-entropy of the real reviews `tokens` [B, max_len] (0 pads) with the previous
        real token as each step's input."""
        h = torch.tanh(self.start(torch.cat([self.user[users], self.item[items]], dim=-1)))
        inputs = torch.cat([torch.zeros_like(tokens[:, :1]), tokens[:, :-1]], dim=1)
        losses = []
        for t in range(tokens.shape[1]):
            h = self.gru(self.token_embedding[inputs[:, t]], h)
            target = (tokens[:, t] - 1).clamp(min=0)
            losses.append(F.cross_entropy(self.vocab_head(h), target, reduction="none"))
        mask = (tokens > 0).float()
        return (torch.stack(losses, dim=1) * mask).sum() / mask.sum().clamp(min=1.0)

    def judge(self, sequences: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """D's logits for token distributions (or one-hot real reviews) [B, L, n_tokens]."""
        return self.discriminator(self.d_embedding(sequences), mask).squeeze(-1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        _, review = self.generate(users, items)
        return (self.mean + self.user_bias[users] + self.item_bias[items]
                + (self.user[users] * self.item[items]).sum(-1) + self.review_weight(review).squeeze(-1))

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        items = torch.arange(self.n_items, device=self.user.device)
        return torch.stack([self.score(u.expand(self.n_items), items) for u in users])

    def fit(self, train: sp.spmatrix, reviews: tuple[np.ndarray, np.ndarray, np.ndarray], *, epochs: int = 5,
            batch_size: int = 1024, review_batch: int = 512, lr: float = 3e-3, lr_d: float = 1e-3,
            recon_weight: float = 1.0, adv_weight: float = 0.1, weight_decay: float = 1e-5, seed: int = 0,
            validate: Validate | None = None) -> GANHistory:
        """Fit on the ratings of `train` ([n_users, n_items], 0 = unrated) and the training `reviews`
        (users, items, tokens from `pair_reviews`): per batch of rating triples, one D step on
        `review_batch` real reviews against G's reviews of the same pairs, then one step of the rest on
        squared rating error + recon_weight * teacher-forced cross-entropy + adv_weight * G's GAN loss.
        History: g_loss = that total, d_loss = D's loss (NaN without it)."""
        check_counts(epochs=epochs, batch_size=batch_size, review_batch=review_batch)
        csr = sp.csr_matrix(train, dtype=np.float32)
        if csr.shape != (self.n_users, self.n_items):
            raise ValueError(f"train has shape {csr.shape}, expected ({self.n_users}, {self.n_items})")
        if csr.nnz == 0:
            raise ValueError("train has no ratings")
        r_users, r_items, r_tokens = (np.asarray(a) for a in reviews)
        if r_tokens.ndim != 2 or r_tokens.shape[1] != self.max_len or len(r_users) != len(r_tokens) \
                or len(r_items) != len(r_tokens) or len(r_tokens) == 0:
            raise ValueError(f"reviews must be (users, items, tokens [n, max_len={self.max_len}]) with "
                             f"n >= 1, got shapes {r_users.shape}, {r_items.shape}, {r_tokens.shape}")
        if r_tokens.min() < 0 or r_tokens.max() > self.n_tokens or (r_tokens[:, 0] == 0).any():
            raise ValueError(f"review tokens must be in [0, {self.n_tokens}] with a first real token per row")
        device = self.user.device
        users, items, values = (torch.as_tensor(a, device=device) for a in rating_triples(csr))
        rv_u, rv_i, rv_t = (torch.as_tensor(np.array(a), dtype=torch.long, device=device)
                            for a in (r_users, r_items, r_tokens))
        self.mean.fill_(float(values.mean()))
        critics = [*self.d_embedding.parameters(), *self.discriminator.parameters()]
        opt_g, opt_d = critic_split_optimizers(self, critics, "adam", lr, lr_d, weight_decay)
        gen = torch_generator(seed, device)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            g_losses, d_losses = [], []
            order = torch.randperm(len(users), generator=gen, device=device)
            for first in range(0, len(order), batch_size):
                idx = order[first:first + batch_size]
                pick = torch.randint(0, len(rv_t), (min(review_batch, len(rv_t)),), generator=gen,
                                     device=device)
                fake, _ = self.generate(rv_u[pick], rv_i[pick])
                if self.adversarial:
                    real = F.one_hot((rv_t[pick] - 1).clamp(min=0), self.n_tokens).float()
                    d_loss = discriminator_loss(self.judge(real, rv_t[pick] > 0), self.judge(fake.detach()))
                    opt_d.zero_grad()
                    d_loss.backward()
                    opt_d.step()
                    d_losses.append(check_finite(d_loss.item(), "discriminator loss", epoch))
                loss = (F.mse_loss(self.score(users[idx], items[idx]), values[idx])
                        + recon_weight * self.teacher_forced_loss(rv_u[pick], rv_i[pick], rv_t[pick]))
                if self.adversarial:
                    loss = loss + adv_weight * generator_loss(self.judge(fake))
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
                g_losses.append(check_finite(loss.item(), "generator loss", epoch))
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
