"""CGAN (Tong, Luo, Zhang, Sadiq, Cui; ICDE Workshops 2019): a collaborative GAN whose generator is a
variational auto-encoder.

The survey (Section 3.3.1, Table 5) places it beside AVAE as a work exploiting a VAE within the
adversarial framework, with a VAE generator, an MLP discriminator and point-wise training. Reconstruction
(the paper's text was not available): the generator is a Mult-VAE (AVAE's encoder/decoder, trained on its
negative ELBO with the KL weight min(`beta_cap`, updates / `anneal_steps`), as Liang et al.), and the
adversary works on its output, not on its codes (which is what separates it from AVAE): an MLP
discriminator D([c, v]) sees a user's real row c as the condition and tells the real purchase vector
v = c from the generated one, v = |c|_1 * softmax(logits) (the VAE's expected counts), masked as in
CFGAN's partial masking (purchases plus `pm_ratio` of sampled unpurchased items) so that D sees the
generator's mass on negatives. The generator minimises its negative ELBO plus `adv_weight` * -log D(fake).
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
from advrec.gan.networks import MLPNet, kl_divergence
from advrec.gan.samplers import partial_mask
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    shuffled_batches,
    torch_generator,
)
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


def expected_counts(logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """The multinomial VAE's generated purchase vector: |row|_1 * softmax(logits), so it sums like the row."""
    return F.softmax(logits, dim=1) * rows.sum(dim=1, keepdim=True)


class CGAN(AVAE):
    """Mult-VAE generator with a vector-wise MLP discriminator on [condition row, purchase vector];
    scores are the decoder's logits for a row (see the module docstring)."""

    def __init__(
        self, n_users: int, n_items: int, *, hidden: int = 600, latent: int = 200, dropout: float = 0.5,
        critic_hidden: int | Sequence[int] = (128,), seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, hidden=hidden, latent=latent, dropout=dropout, seed=seed)
        with seeded(seed):
            self.critic = MLPNet(2 * n_items, 1, hidden=critic_hidden, activation="relu")

    def discriminate(self, condition: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
        """D's logit that `vector` is the real purchase vector of the user whose row is `condition`."""
        return self.critic(torch.cat([condition, vector], dim=1)).squeeze(1)

    def fit(  # type: ignore[override]
        self, train: sp.spmatrix, epochs: int = 50, *, batch_size: int = 500, lr: float = 1e-3,
        critic_lr: float = 1e-3, critic_steps: int = 1, adv_weight: float = 0.1, pm_ratio: float = 0.1,
        beta_cap: float = 0.2, anneal_steps: int = 20000, seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train`: per batch, `critic_steps` updates of D (logistic loss),
        then one VAE update. g_loss: multinomial NLL + beta * KL + adv_weight * -log D(fake), beta =
        min(beta_cap, updates / anneal_steps); d_loss: D's logistic loss. `adv_weight = 0` with
        `critic_steps = 0` is the plain Mult-VAE."""
        check_counts(epochs=epochs, batch_size=batch_size, anneal_steps=anneal_steps)
        check_counts(0, critic_steps=critic_steps)
        if adv_weight < 0 or beta_cap < 0:
            raise ValueError(f"adv_weight and beta_cap must be >= 0, got {adv_weight} and {beta_cap}")
        if not 0.0 <= pm_ratio <= 1.0:
            raise ValueError(f"pm_ratio must be in [0, 1], got {pm_ratio}")
        self.interactions = train_matrix(train, self, "train")
        users = np.flatnonzero(np.diff(self.interactions.indptr) > 0)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer("adam", [*self.encoder.parameters(), *self.decoder.parameters()], lr)
        opt_d = make_optimizer("adam", self.critic.parameters(), critic_lr)
        history = GANHistory(initial=run_validate(validate, self))
        updates = 0
        with seeded(seed):  # dropout draws from torch's global generator
            self.train()
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                g_losses, d_losses = [], []
                for batch in shuffled_batches(users, batch_size, rng):
                    rows = torch.from_numpy(dense_rows(self.interactions, batch)).to(self.device)
                    mask = torch.from_numpy(partial_mask(self.interactions[batch], pm_ratio, rng)).to(rows)
                    for _ in range(critic_steps):
                        with torch.no_grad():
                            fake = expected_counts(self.forward_rows(rows, gen)[0], rows) * mask
                        real_logits = self.discriminate(rows, rows)
                        loss_d = discriminator_loss(real_logits, self.discriminate(rows, fake))
                        d_losses.append(check_finite(loss_d.item(), "CGAN discriminator loss", epoch))
                        opt_d.zero_grad()
                        loss_d.backward()
                        opt_d.step()
                    mu, logvar = self.encode(rows)
                    z = mu + torch.randn(mu.shape, generator=gen, device=mu.device) * (0.5 * logvar).exp()
                    logits = self.decoder(z)
                    nll = -(F.log_softmax(logits, dim=1) * rows).sum(dim=1).mean()
                    beta = min(beta_cap, updates / anneal_steps)
                    loss = nll + beta * kl_divergence(mu, logvar).mean()
                    if adv_weight > 0:
                        fake = expected_counts(logits, rows) * mask
                        loss = loss + adv_weight * generator_loss(self.discriminate(rows, fake))
                    g_losses.append(check_finite(loss.item(), "CGAN generator loss", epoch))
                    opt_g.zero_grad()
                    loss.backward()
                    opt_g.step()
                    updates += 1
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history
