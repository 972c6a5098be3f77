"""AVAE (Zhang, Liu, Jin; ICSESS 2018): an adversarial variational auto-encoder for top-N recommendation.

A Mult-VAE (Liang et al. 2018: L2-normalised input row -> dropout -> tanh layer -> Gaussian code ->
tanh layer -> softmax over items) whose KL term is replaced by a GAN on the latent space, which imposes a
prior p(z) on the codes: a critic f tells prior samples from encoder samples z ~ q(z|x) and is trained with
the Wasserstein loss and gradient penalty (WGAN-GP, Gulrajani et al. 2017); the encoder minimises the
multinomial reconstruction loss plus `adv_weight` * (-E f(z)). The prior is "arbitrary" in the paper's
sense: any distribution one can sample from; here a Gaussian N(0, prior_std^2 I).
Written from the survey's description (Section 3.3.1) and the WGAN-GP / Mult-VAE papers: the AVAE
paper's text was not available.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.losses import gradient_penalty, wasserstein_critic_loss, wasserstein_generator_loss
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


class AVAE(Recommender):
    """Mult-VAE regularised by a WGAN-GP critic on its codes; scores are the decoder's logits for a row."""

    def __init__(
        self, n_users: int, n_items: int, *, hidden: int = 600, latent: int = 200, dropout: float = 0.5,
        critic_hidden: int | Sequence[int] = (64,), prior_std: float = 1.0, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if not prior_std > 0:
            raise ValueError(f"prior_std must be positive, got {prior_std}")
        self.latent, self.dropout, self.prior_std = int(latent), float(dropout), float(prior_std)
        with seeded(seed):
            self.encoder = MLPNet(n_items, 2 * latent, hidden=(hidden,), activation="tanh")
            self.decoder = MLPNet(latent, n_items, hidden=(hidden,), activation="tanh")
            self.critic = MLPNet(latent, 1, hidden=critic_hidden, activation="relu")
        self.interactions = sp.csr_matrix((n_users, n_items), dtype=np.float32)

    def encode(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z | row)."""
        x = F.dropout(F.normalize(rows, dim=1), self.dropout, self.training)
        return self.encoder(x).split(self.latent, dim=1)

    def forward_rows(self, rows: torch.Tensor, generator: torch.Generator | None = None,
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits, z, mu) for binary rows: z sampled in training mode, z = mu in eval mode."""
        mu, logvar = self.encode(rows)
        z = mu
        if self.training:
            z = mu + torch.randn(mu.shape, generator=generator, device=mu.device) * (0.5 * logvar).exp()
        return self.decoder(z), z, mu

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(dense_rows(self.interactions, np.asarray(users.cpu()))).to(self.device)
        return self.forward_rows(rows)[0]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)

    def _critic_scores(self, z: torch.Tensor) -> torch.Tensor:
        return self.critic(z).squeeze(1)

    def prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples of the prior p(z)."""
        return torch.randn((n, self.latent), generator=generator, device=self.device) * self.prior_std

    def fit(
        self, train: sp.spmatrix, epochs: int = 50, *, batch_size: int = 500, lr: float = 1e-3,
        critic_lr: float = 1e-4, critic_steps: int = 5, gp_weight: float = 10.0, adv_weight: float = 0.2,
        seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train`: per batch, `critic_steps` critic updates (WGAN-GP on prior
        vs encoder codes), then one auto-encoder update. g_loss: reconstruction + adv_weight * (-E f(z));
        d_loss: the critic's E f(z_q) - E f(z_p) + gp_weight * GP."""
        check_counts(epochs=epochs, batch_size=batch_size)
        check_counts(0, critic_steps=critic_steps)
        if adv_weight < 0 or gp_weight < 0:
            raise ValueError(f"adv_weight and gp_weight must be >= 0, got {adv_weight} and {gp_weight}")
        self.interactions = train_matrix(train, self, "train")
        users = np.flatnonzero(np.diff(self.interactions.indptr) > 0)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer("adam", [*self.encoder.parameters(), *self.decoder.parameters()], lr)
        opt_c = torch.optim.Adam(self.critic.parameters(), lr=critic_lr, betas=(0.5, 0.9))
        history = GANHistory(initial=run_validate(validate, self))
        with seeded(seed):  # dropout draws from torch's global generator
            self.train()
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                g_losses, d_losses = [], []
                for rows in dense_row_batches(self.interactions, users, batch_size, rng, self.device):
                    for _ in range(critic_steps):
                        with torch.no_grad():
                            fake = self.forward_rows(rows, gen)[1]
                        real = self.prior(len(rows), gen)
                        loss_c = wasserstein_critic_loss(self._critic_scores(real), self._critic_scores(fake))
                        penalty = gradient_penalty(self._critic_scores, real, fake, generator=gen)
                        loss_c = loss_c + gp_weight * penalty
                        d_losses.append(check_finite(loss_c.item(), "AVAE critic loss", epoch))
                        opt_c.zero_grad()
                        loss_c.backward()
                        opt_c.step()
                    logits, z, _ = self.forward_rows(rows, gen)
                    nll = -(F.log_softmax(logits, dim=1) * rows).sum(dim=1).mean()
                    loss = nll + adv_weight * wasserstein_generator_loss(self._critic_scores(z))
                    g_losses.append(check_finite(loss.item(), "AVAE auto-encoder loss", epoch))
                    opt_g.zero_grad()
                    loss.backward()
                    opt_g.step()
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history


def frechet_to_prior(codes: np.ndarray, prior_std: float = 1.0) -> float:
    """Frechet distance between a Gaussian fitted to `codes` [n, d] and N(0, prior_std^2 I): how far the
    aggregated posterior is from the prior (0 when mean 0 and covariance prior_std^2 I)."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] < 2:
        raise ValueError(f"codes must be [n >= 2, d], got shape {codes.shape}")
    mean = codes.mean(axis=0)
    eig = np.clip(np.linalg.eigvalsh(np.cov(codes, rowvar=False)), 0.0, None)
    # tr(C + s^2 I - 2 (s^2 C)^(1/2)) with C's eigenvalues; the covariances commute since s^2 I is isotropic
    return float(mean @ mean + np.sum(eig + prior_std ** 2 - 2.0 * prior_std * np.sqrt(eig)))
