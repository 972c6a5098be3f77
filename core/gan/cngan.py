"""CnGAN, cross-network user preference generation for non-overlapped users (Perera and Zimmermann, WWW
2019): a generator maps a user's preferences in the target network (where items are recommended) to
preferences in the source network, so users who never joined the source network still get cross-network
recommendations.

Here a user's preferences in a network are the binary interaction vector over that network's items.
- G (an auto-encoder, `AutoEncoderNet`) maps the target vector t_u to source logits, s_hat = sigmoid(G(t_u)).
- D (an MLP) scores a (target, source) pair: real pairs (t_u, s_u) of overlapped users against generated
  pairs (t_u, s_hat_u); its loss is the standard GAN BCE.
- R, the recommender (an MLP), reads [dropout(t_u), s_u] and scores every target item with a multinomial
  log-likelihood on t_u (Mult-VAE's loss without the VAE); it is trained on overlapped users with their
  real source vector and with the generated one, so it accepts both.
- G's loss is the non-saturating adversarial loss plus `content_weight` times the BCE between s_hat and the
  real source vector (the paper's content-wise loss) plus `user_weight` times R's loss when fed s_hat (our
  stand-in for the paper's user-wise loss: the generated preferences must recommend that user's items).
Overlapped users (a real source vector) are the only training rows; at scoring time a user without one
gets s_hat (`use_generated=True`) or a zero vector (`False`: the single-network ablation). The paper's
topic-model inputs, layer sizes and its exact user-wise loss are not reproduced.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import AutoEncoderNet, MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    run_validate,
    shuffled_batches,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


class CnGAN(Recommender):
    """CnGAN over `n_users` users, `n_items` target-network items and `n_source_items` source-network items;
    after `fit`, `full_scores` are R's logits over the target items."""

    def __init__(
        self, n_users: int, n_items: int, n_source_items: int, *, hidden: int = 100, dropout: float = 0.5,
        use_generated: bool = True, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if n_source_items <= 0 or hidden <= 0:
            raise ValueError(f"n_source_items and hidden must be positive, got {n_source_items} and {hidden}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.n_source_items, self.dropout, self.use_generated = n_source_items, float(dropout), use_generated
        with seeded(seed):
            self.generator = AutoEncoderNet(n_items, n_source_items, hidden=(hidden,), activation="tanh")
            self.discriminator = MLPNet(n_items + n_source_items, 1, hidden=(hidden,), activation="relu")
            self.recommender = MLPNet(n_items + n_source_items, n_items, hidden=(hidden,), activation="tanh")
        self._target: sp.csr_matrix | None = None
        self._source: sp.csr_matrix | None = None
        self._has_source = np.zeros(n_users, dtype=bool)

    def _profiles(self, users: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._target is None or self._source is None:
            raise RuntimeError("CnGAN has no user profiles yet: call fit(target, source, ...) first")
        dev = self.device
        t = torch.as_tensor(dense_rows(self._target, users), device=dev)
        s = torch.as_tensor(dense_rows(self._source, users), device=dev)
        return t, s, torch.as_tensor(self._has_source[users], device=dev)

    def generate(self, users: torch.Tensor) -> torch.Tensor:
        """Generated source-network preferences sigmoid(G(t_u)) of `users`, [len(users), n_source_items]."""
        t, _, _ = self._profiles(np.asarray(users.cpu()))
        return torch.sigmoid(self.generator(t))

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        t, s, has = self._profiles(np.asarray(users.cpu()))
        filler = torch.sigmoid(self.generator(t)) if self.use_generated else torch.zeros_like(s)
        s = torch.where(has[:, None], s, filler)
        return self.recommender(torch.cat([t, s], dim=1))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.reshape(-1, 1)).squeeze(1)

    def _rec_loss(self, t: torch.Tensor, s: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        keep = (torch.rand(t.shape, generator=gen, device=t.device) >= self.dropout).to(t.dtype)
        logits = self.recommender(torch.cat([t * keep / (1 - self.dropout), s], dim=1))
        return -(torch.log_softmax(logits, dim=1) * t).sum(1).mean()

    def fit(
        self, target: sp.spmatrix, source: sp.spmatrix, epochs: int = 20, *, batch: int = 128,
        lr_g: float = 1e-3, lr_d: float = 1e-3, lr_r: float = 1e-3, content_weight: float = 1.0,
        user_weight: float = 1.0, seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x target-item matrix `target` and the user x source-item matrix `source` (a
        user with no source entry is non-overlapped: scored, never trained on). Per batch of overlapped
        users: one step of D, of G and of R. Returns the history (g_loss: G's total loss, d_loss: D's BCE)."""
        check_counts(epochs=epochs, batch=batch)
        if content_weight < 0 or user_weight < 0:
            raise ValueError(f"content_weight and user_weight must be >= 0, "
                             f"got {content_weight} and {user_weight}")
        self._target = train_matrix(target, self, "target")
        src = sp.csr_matrix(source, dtype=np.float32)
        if src.shape != (self.n_users, self.n_source_items):
            raise ValueError(f"source has shape {src.shape}, "
                             f"expected ({self.n_users}, {self.n_source_items})")
        self._source = src
        self._has_source = np.diff(src.indptr) > 0
        overlapped = np.flatnonzero(self._has_source & (np.diff(self._target.indptr) > 0))
        if len(overlapped) == 0:
            raise ValueError("no user has both target and source interactions to train on")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer("adam", self.generator.parameters(), lr_g)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d)
        opt_r = make_optimizer("adam", self.recommender.parameters(), lr_r)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start, g_sum, d_sum, steps = time.perf_counter(), 0.0, 0.0, 0
            for idx in shuffled_batches(overlapped, batch, rng):
                t, s, _ = self._profiles(idx)
                fake = torch.sigmoid(self.generator(t))
                d_loss = discriminator_loss(self.discriminator(torch.cat([t, s], 1)),
                                            self.discriminator(torch.cat([t, fake.detach()], 1)))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                g_loss = (generator_loss(self.discriminator(torch.cat([t, fake], 1)))
                          + content_weight * F.binary_cross_entropy(fake, s)
                          + user_weight * self._rec_loss(t, fake, gen))
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
                r_loss = self._rec_loss(t, s, gen) + self._rec_loss(t, fake.detach(), gen)
                opt_r.zero_grad()
                r_loss.backward()
                opt_r.step()
                g_sum += check_finite(g_loss.item(), "CnGAN generator loss", epoch)
                d_sum += check_finite(d_loss.item(), "CnGAN discriminator loss", epoch)
                steps += 1
            history.record(g_sum / steps, d_sum / steps, run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
