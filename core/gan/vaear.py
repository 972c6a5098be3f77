"""VAE-AR (Lee, Song, Moon; CIKM 2017): a variational auto-encoder for collaborative filtering augmented
with a generative adversarial network that makes its codes carry the auxiliary information.

The paper's abstract: VAEs for CF are augmented "to model the auxiliary information and the implicit user
feedback"; the adversarial augmentation extracts "low-dimensional representations influenced by the
auxiliary information". Reconstruction (the paper's text was not available): a Mult-VAE over user rows
(AVAE's encoder/decoder) whose encoder also reads the user's auxiliary vector a (here the share of the
user's items carrying each item attribute, e.g. MovieLens genres: item content lifted to the user), and
whose KL term is replaced by an MLP discriminator D(z, a) that tells codes z ~ q(z | x, a) from samples
of a conditional prior p(z | a) = N(m(a), prior_std^2 I), m an MLP. D minimises the logistic GAN loss
(prior pairs real, posterior pairs fake); the encoder, decoder and m minimise the multinomial
reconstruction loss plus `adv_weight` times the non-saturating loss of fooling D from both sides, so the
aggregated codes match a distribution organised by the auxiliary information.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.avae import AVAE
from advrec.gan.losses import discriminator_loss, generator_loss
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
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix


def attribute_shares(rows: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
    """[n, n_attributes] share of each row's items carrying each attribute (zeros for an empty row)."""
    counts = rows.sum(dim=1, keepdim=True).clamp_min(1.0)
    return (rows @ attributes) / counts


class VAEAR(AVAE):
    """Mult-VAE with auxiliary input whose codes an MLP discriminator matches to a prior conditioned on the
    auxiliary vector; scores are the decoder's logits for a row (see the module docstring)."""

    def __init__(
        self, n_users: int, n_items: int, item_attributes: np.ndarray, *, hidden: int = 600,
        latent: int = 200, dropout: float = 0.5, critic_hidden: int | Sequence[int] = (64,),
        prior_hidden: int | Sequence[int] = (64,), prior_std: float = 1.0, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, hidden=hidden, latent=latent, dropout=dropout,
                         critic_hidden=critic_hidden, prior_std=prior_std, seed=seed)
        attrs = np.asarray(item_attributes, dtype=np.float32)
        if attrs.ndim != 2 or attrs.shape[0] != n_items or attrs.shape[1] == 0:
            raise ValueError(f"item_attributes must be [n_items={n_items}, n_attributes >= 1], "
                             f"got shape {attrs.shape}")
        self.register_buffer("item_attributes", torch.from_numpy(attrs))
        n_attr = attrs.shape[1]
        with seeded(seed):
            self.encoder = MLPNet(n_items + n_attr, 2 * self.latent, hidden=(hidden,), activation="tanh")
            self.prior_mean = MLPNet(n_attr, self.latent, hidden=prior_hidden, activation="tanh")
            self.critic = MLPNet(self.latent + n_attr, 1, hidden=critic_hidden, activation="relu")

    def auxiliary(self, rows: torch.Tensor) -> torch.Tensor:
        """The auxiliary vector a of each row: the share of its items carrying each attribute."""
        return attribute_shares(rows, self.item_attributes)

    def encode(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z | row, a)."""
        x = F.dropout(F.normalize(rows, dim=1), self.dropout, self.training)
        return self.encoder(torch.cat([x, self.auxiliary(rows)], dim=1)).split(self.latent, dim=1)

    def conditional_prior(self, aux: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One sample of p(z | a) per row of `aux`."""
        noise = torch.randn((len(aux), self.latent), generator=generator, device=aux.device)
        return self.prior_mean(aux) + noise * self.prior_std

    def discriminate(self, z: torch.Tensor, aux: torch.Tensor) -> torch.Tensor:
        """D's logit that (z, a) is a prior pair."""
        return self.critic(torch.cat([z, aux], dim=1)).squeeze(1)

    def fit(  # type: ignore[override]
        self, train: sp.spmatrix, epochs: int = 50, *, batch_size: int = 500, lr: float = 1e-3,
        critic_lr: float = 1e-3, critic_steps: int = 1, adv_weight: float = 0.2, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train`: per batch, `critic_steps` updates of D (logistic loss,
        prior pairs real), then one update of encoder, decoder and prior mean. g_loss: reconstruction +
        adv_weight * (fool D with posterior codes + fool D with prior samples); d_loss: D's logistic loss."""
        check_counts(epochs=epochs, batch_size=batch_size)
        check_counts(0, critic_steps=critic_steps)
        if adv_weight < 0:
            raise ValueError(f"adv_weight must be >= 0, got {adv_weight}")
        self.interactions = train_matrix(train, self, "train")
        users = np.flatnonzero(np.diff(self.interactions.indptr) > 0)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer("adam", [*self.encoder.parameters(), *self.decoder.parameters(),
                                        *self.prior_mean.parameters()], lr)
        opt_d = make_optimizer("adam", self.critic.parameters(), critic_lr)
        history = GANHistory(initial=run_validate(validate, self))
        with seeded(seed):  # dropout draws from torch's global generator
            self.train()
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                g_losses, d_losses = [], []
                for rows in dense_row_batches(self.interactions, users, batch_size, rng, self.device):
                    aux = self.auxiliary(rows)
                    for _ in range(critic_steps):
                        with torch.no_grad():
                            fake = self.forward_rows(rows, gen)[1]
                            real = self.conditional_prior(aux, gen)
                        real_logits = self.discriminate(real, aux)
                        loss_d = discriminator_loss(real_logits, self.discriminate(fake, aux))
                        d_losses.append(check_finite(loss_d.item(), "VAE-AR discriminator loss", epoch))
                        opt_d.zero_grad()
                        loss_d.backward()
                        opt_d.step()
                    logits, z, _ = self.forward_rows(rows, gen)
                    nll = -(F.log_softmax(logits, dim=1) * rows).sum(dim=1).mean()
                    prior_logits = self.discriminate(self.conditional_prior(aux, gen), aux)
                    fool = generator_loss(self.discriminate(z, aux)) + generator_loss(-prior_logits)
                    loss = nll + adv_weight * fool
                    g_losses.append(check_finite(loss.item(), "VAE-AR auto-encoder loss", epoch))
                    opt_g.zero_grad()
                    loss.backward()
                    opt_g.step()
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history
