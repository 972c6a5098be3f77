"""VAEGAN (Yu, Zhang, Cao, Xia; IJCAI 2019): collaborative filtering with an adversarial variational
auto-encoder, trained by adversarial variational Bayes (AVB, Mescheder et al. 2017).

A Gaussian posterior limits a VAE's inference model; AVB lets the encoder be any network of the row x and
a noise vector eps, z = g(x, eps), whose density is unknown. A discriminator T(x, z) learns to tell pairs
(x, z ~ q(z|x)) from pairs (x, z ~ p(z)) with the logistic loss; at its optimum T(x, z) = log q(z|x) -
log p(z), so the negative ELBO becomes E_q[T(x, z) - log p(x|z)], which the encoder and the decoder (a
Mult-VAE decoder: tanh layer -> softmax over items) minimise with T fixed.
Written from the survey's description (Section 3.3.1) and the AVB paper; the VAEGAN paper's text was not
available. Scoring uses eps = 0 (the noise's mean).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    dense_row_batches,
    make_optimizer,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


class VAEGAN(Recommender):
    """Implicit-posterior VAE trained with AVB; scores are the decoder's logits for a row."""

    def __init__(
        self, n_users: int, n_items: int, *, hidden: int = 600, latent: int = 200, noise: int = 32,
        dropout: float = 0.5, t_hidden: int = 256, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if noise <= 0 or latent <= 0:
            raise ValueError(f"noise and latent must be positive, got {noise} and {latent}")
        self.latent, self.noise, self.dropout = int(latent), int(noise), float(dropout)
        with seeded(seed):
            self.row_encoder = nn.Sequential(nn.Linear(n_items, hidden), nn.Tanh())
            self.encoder = MLPNet(hidden + noise, latent, hidden=(hidden,), activation="tanh")
            self.decoder = MLPNet(latent, n_items, hidden=(hidden,), activation="tanh")
            self.t_row = nn.Sequential(nn.Linear(n_items, t_hidden), nn.Tanh())
            self.t_head = MLPNet(t_hidden + latent, 1, hidden=(t_hidden,), activation="relu")
        self.interactions = sp.csr_matrix((n_users, n_items), dtype=np.float32)

    def _input(self, rows: torch.Tensor) -> torch.Tensor:
        return F.dropout(F.normalize(rows, dim=1), self.dropout, self.training)

    def encode(self, rows: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = g(x, eps): eps ~ N(0, I) in training mode, eps = 0 in eval mode."""
        h = self.row_encoder(self._input(rows))
        eps = torch.zeros((rows.shape[0], self.noise), device=rows.device)
        if self.training:
            eps = torch.randn(eps.shape, generator=generator, device=rows.device)
        return self.encoder(torch.cat([h, eps], dim=1))

    def discriminate(self, rows: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """T(x, z), one logit per row: positive where z looks drawn from q(z|x) rather than p(z)."""
        return self.t_head(torch.cat([self.t_row(F.normalize(rows, dim=1)), z], dim=1)).squeeze(1)

    def forward_rows(self, rows: torch.Tensor, generator: torch.Generator | None = None,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, z) for binary rows."""
        z = self.encode(rows, generator)
        return self.decoder(z), z

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(dense_rows(self.interactions, np.asarray(users.cpu()))).to(self.device)
        return self.forward_rows(rows)[0]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)

    def fit(
        self, train: sp.spmatrix, epochs: int = 50, *, batch_size: int = 500, lr: float = 1e-3,
        t_lr: float = 1e-3, t_steps: int = 1, beta: float = 0.2, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train`: per batch, `t_steps` updates of T (logistic loss, codes of
        q vs prior samples), then one encoder/decoder update on reconstruction + beta * E T(x, z).
        g_loss: that objective; d_loss: T's BCE on both kinds of pairs."""
        check_counts(epochs=epochs, batch_size=batch_size)
        check_counts(0, t_steps=t_steps)
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.interactions = train_matrix(train, self, "train")
        users = np.flatnonzero(np.diff(self.interactions.indptr) > 0)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        vae_params = [*self.row_encoder.parameters(), *self.encoder.parameters(), *self.decoder.parameters()]
        opt_g = make_optimizer("adam", vae_params, lr)
        opt_t = make_optimizer("adam", [*self.t_row.parameters(), *self.t_head.parameters()], t_lr)
        history = GANHistory(initial=run_validate(validate, self))
        with seeded(seed):  # dropout draws from torch's global generator
            self.train()
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                g_losses, d_losses = [], []
                for rows in dense_row_batches(self.interactions, users, batch_size, rng, self.device):
                    for _ in range(t_steps):
                        with torch.no_grad():
                            z_q = self.encode(rows, gen)
                        z_p = torch.randn(z_q.shape, generator=gen, device=self.device)
                        loss_t = discriminator_loss(self.discriminate(rows, z_q),
                                                    self.discriminate(rows, z_p))
                        d_losses.append(check_finite(loss_t.item(), "VAEGAN discriminator loss", epoch))
                        opt_t.zero_grad()
                        loss_t.backward()
                        opt_t.step()
                    logits, z = self.forward_rows(rows, gen)
                    nll = -(F.log_softmax(logits, dim=1) * rows).sum(dim=1).mean()
                    loss = nll + beta * self.discriminate(rows, z).mean()
                    g_losses.append(check_finite(loss.item(), "VAEGAN generator loss", epoch))
                    opt_g.zero_grad()
                    loss.backward()
                    opt_g.step()
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history
