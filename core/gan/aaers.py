"""aae-RS (Yi, Huang, Qin; WI 2018): rating prediction in review-based recommendation via adversarial
learning among auto-encoders.

The survey's Table 5 lists aae-RS with an auto-encoder generator, an MLP discriminator and point-wise
training; only the paper's abstract was read ("adversarial learning among auto-encoders ... minimizing
the gap of rating and review relation of users and items"), so this is a reconstruction:
- per side (users, items) a rating auto-encoder over the entity's training rating vector and a review
  auto-encoder over its text profile (`MLPNet` encoders and decoders), giving codes c^r and c^t;
- per side an MLP discriminator tells rating codes (real) from review codes (fake), and the review
  encoder learns to fool it, which pulls the review codes towards the rating codes (the "gap");
- the rating r(u, i) = mu + b_u + b_i + h_u . h_i with h = (c^r + c^t) / 2, fitted by squared error,
  plus the two auto-encoders' reconstruction errors (ratings on observed entries only).
`adversarial=False` drops the discriminators (the ablation). `playcount_ratings` turns implicit counts
into graded ratings when no explicit ratings exist (our Last.fm substitute, shared with ATR).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.data.interactions import Interactions
from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.side_information import feature_matrix
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


def playcount_ratings(data: Interactions, levels: int = 5) -> Interactions:
    """A copy of `data` whose values are per-user quantile ratings 1..`levels` of its counts: the user's
    items ranked by count (ties share the lowest rank), rating = 1 + floor(levels * (rank - 1) / n_u)."""
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    if len(data.values) == 0:
        raise ValueError(f"dataset {data.name!r} has no interactions")
    frame = pd.DataFrame({"user": data.users, "value": data.values})
    rank = frame.groupby("user")["value"].rank(method="min").to_numpy()
    count = frame.groupby("user")["value"].transform("size").to_numpy()
    ratings = 1 + np.floor(levels * (rank - 1) / count)
    return data.replace(values=np.minimum(ratings, levels).astype(np.float32))


def rating_triples(matrix: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored (users, items, ratings) of a rating matrix, as int64, int64 and float32 arrays."""
    coo = sp.coo_matrix(matrix)
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float32)


class _Side(nn.Module):
    """One side's rating and review auto-encoders and its code discriminator."""

    def __init__(self, n_ratings: int, n_text: int, dim: int, hidden: Sequence[int],
                 d_hidden: Sequence[int]) -> None:
        super().__init__()
        back = tuple(hidden)[::-1]
        self.rating_encoder = MLPNet(n_ratings, dim, hidden=hidden, activation="tanh", out_activation="tanh")
        self.rating_decoder = MLPNet(dim, n_ratings, hidden=back, activation="tanh")
        self.text_encoder = MLPNet(n_text, dim, hidden=hidden, activation="tanh", out_activation="tanh")
        self.text_decoder = MLPNet(dim, n_text, hidden=back, activation="tanh", out_activation="sigmoid")
        self.discriminator = MLPNet(dim, 1, hidden=d_hidden, activation="relu")


class AAERS(Recommender):
    """Rating and review auto-encoders per side aligned by code discriminators (see the module docstring).
    `user_text` [n_users, T] and `item_text` [n_items, T] are the text (review) profiles; `fit` reads the
    rating matrix. Scores are predicted ratings."""

    def __init__(self, user_text: np.ndarray, item_text: np.ndarray, dim: int = 16, *,
                 hidden: Sequence[int] = (32,), d_hidden: Sequence[int] = (32,), adversarial: bool = True,
                 seed: int = 0) -> None:
        users, items = feature_matrix(user_text, "user_text"), feature_matrix(item_text, "item_text")
        if users.shape[1] != items.shape[1]:
            raise ValueError(f"user_text and item_text must share their features, got {users.shape[1]} "
                             f"and {items.shape[1]} columns")
        super().__init__(users.shape[0], items.shape[0])
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.adversarial = bool(adversarial)
        self.register_buffer("user_text", users)
        self.register_buffer("item_text", items)
        self.register_buffer("ratings", torch.zeros(self.n_users, self.n_items))
        self.register_buffer("mean", torch.zeros(()))
        self.register_buffer("scale", torch.ones(()))
        with seeded(seed):
            self.users = _Side(self.n_items, users.shape[1], dim, hidden, d_hidden)
            self.items = _Side(self.n_users, users.shape[1], dim, hidden, d_hidden)
        self.user_bias = nn.Parameter(torch.zeros(self.n_users))
        self.item_bias = nn.Parameter(torch.zeros(self.n_items))

    def prepare(self, train: sp.spmatrix) -> None:
        """Store the training ratings (the rating auto-encoders' inputs), their mean and maximum."""
        csr = sp.csr_matrix(train, dtype=np.float32)
        if csr.shape != (self.n_users, self.n_items):
            raise ValueError(f"train has shape {csr.shape}, expected ({self.n_users}, {self.n_items})")
        if csr.nnz == 0 or (csr.data <= 0).any():
            raise ValueError("train must hold positive ratings (a zero entry means unrated)")
        self.ratings.copy_(torch.as_tensor(csr.toarray()))
        self.mean.fill_(float(csr.data.mean()))
        self.scale.fill_(float(csr.data.max()))

    def _codes(self, side: _Side, ratings: torch.Tensor,
               text: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return side.rating_encoder(ratings / self.scale), side.text_encoder(text)

    def _fused(self) -> tuple[torch.Tensor, torch.Tensor]:
        ru, tu = self._codes(self.users, self.ratings, self.user_text)
        ri, ti = self._codes(self.items, self.ratings.T, self.item_text)
        return (ru + tu) / 2, (ri + ti) / 2

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        hu, hi = self._fused()
        return self.mean + self.user_bias[users] + self.item_bias[items] + (hu[users] * hi[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        hu, hi = self._fused()
        return self.mean + self.user_bias[users, None] + self.item_bias[None, :] + hu[users] @ hi.T

    def fit(self, train: sp.spmatrix, *, epochs: int = 10, batch_size: int = 4096, lr: float = 3e-3,
            lr_d: float = 1e-3, recon_weight: float = 0.1, adv_weight: float = 0.1,
            weight_decay: float = 1e-5, seed: int = 0, validate: Validate | None = None) -> GANHistory:
        """Fit on the ratings of `train` (a [n_users, n_items] matrix, 0 = unrated): per batch of rating
        triples one step of both code discriminators, then one step of everything else on squared rating
        error + recon_weight * reconstruction errors + adv_weight * the review encoders' GAN loss.
        History: g_loss = that total, d_loss = the discriminators' loss (NaN without them)."""
        check_counts(epochs=epochs, batch_size=batch_size)
        if recon_weight < 0 or adv_weight < 0:
            raise ValueError(f"recon_weight and adv_weight must be >= 0, got {recon_weight} and {adv_weight}")
        self.prepare(train)
        device = self.ratings.device
        users, items, values = (torch.as_tensor(a, device=device) for a in rating_triples(train))
        sides = (self.users, self.items)
        critics = [p for side in sides for p in side.discriminator.parameters()]
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
                bu, inv_u = users[idx].unique(return_inverse=True)
                bi, inv_i = items[idx].unique(return_inverse=True)
                codes, recon = [], []
                batch = ((self.users, bu, self.ratings[bu], self.user_text[bu]),
                         (self.items, bi, self.ratings[:, bi].T, self.item_text[bi]))
                for side, rows, ratings, text in batch:
                    rc, tc = self._codes(side, ratings, text)
                    observed = ratings > 0
                    rating_err = (side.rating_decoder(rc) - ratings / self.scale)[observed].pow(2).sum()
                    text_err = (side.text_decoder(tc) - text).pow(2).sum()
                    recon.append((rating_err + text_err) / len(rows))
                    codes.append((side, rc, tc))
                if self.adversarial:
                    d_loss = sum(discriminator_loss(s.discriminator(rc.detach()),
                                                    s.discriminator(tc.detach())) for s, rc, tc in codes)
                    opt_d.zero_grad()
                    d_loss.backward()
                    opt_d.step()
                    d_losses.append(check_finite(d_loss.item(), "discriminator loss", epoch))
                hu = (codes[0][1] + codes[0][2]) / 2
                hi = (codes[1][1] + codes[1][2]) / 2
                pred = (self.mean + self.user_bias[users[idx]] + self.item_bias[items[idx]]
                        + (hu[inv_u] * hi[inv_i]).sum(-1))
                loss = F.mse_loss(pred, values[idx]) + recon_weight * sum(recon)
                if self.adversarial:
                    loss = loss + adv_weight * sum(generator_loss(s.discriminator(tc)) for s, _, tc in codes)
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
                g_losses.append(check_finite(loss.item(), "generator loss", epoch))
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
