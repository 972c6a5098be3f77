"""D2D-TM (VAE-GAN-CC), the domain-to-domain translation model of Nguyen and Ishigaki (arXiv 1812.06229,
2018): two VAEs, one per item domain, share their last encoder layer and first generator layer (one latent
space for both domains), are tied by cycle consistency, and a discriminator per domain judges the click
vectors translated into its domain (UNIT-style), so one domain's clicks recommend the other's items.

Here domain A is the source and B the target; a user's click vector in a domain is the binary row over its
items, L2-normalised on input (Mult-VAE's convention), and a generator's output is a softmax over items.
Per batch of users seen in both domains the generator side (encoders and generators) minimises
- the two VAE losses: multinomial log-likelihood of x_A from G_A(z_A) and of x_B from G_B(z_B), plus
  `beta` times their KL terms;
- `cycle_weight` times the cycle losses: x_A -> z_A -> G_B -> E_B -> G_A must give back x_A (and B -> A -> B),
  with the KL of the cycled codes;
- `paired_weight` times the likelihood of x_B under G_B(z_A) and of x_A under G_A(z_B) (ours: the training
  users are seen in both domains, so the translation is also fitted directly; 0 keeps the paper's
  unpaired objective);
- `adv_weight` times the non-saturating GAN loss of D_A and D_B on the translated vectors,
and each discriminator (an MLP) learns real normalised click vectors of its domain against translated ones.
`full_scores(users)` translates each user's stored A row: G_B(mu(E_A(x_A))), logits over the B items.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet, kl_divergence
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
from advrec.models.train_matrix import dense_rows


def _nll(logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    return -(torch.log_softmax(logits, dim=1) * rows).sum(1).mean()


class D2DTM(Recommender):
    """VAE-GAN-CC over `n_users` users, `n_items` target-domain (B) items and `n_source_items` source-domain
    (A) items; after `fit`, `full_scores` are B logits translated from each user's A clicks."""

    def __init__(
        self, n_users: int, n_items: int, n_source_items: int, *, hidden: int = 200, latent: int = 50,
        d_hidden: int = 100, dropout: float = 0.5, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if min(n_source_items, hidden, latent, d_hidden) <= 0:
            raise ValueError(f"n_source_items, hidden, latent and d_hidden must be positive, "
                             f"got {n_source_items}, {hidden}, {latent}, {d_hidden}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.n_source_items, self.latent, self.dropout = n_source_items, latent, float(dropout)
        sizes = {"A": n_source_items, "B": n_items}
        with seeded(seed):
            self.enc = nn.ModuleDict({d: nn.Sequential(nn.Linear(n, hidden), nn.LeakyReLU(0.5))
                                      for d, n in sizes.items()})
            self.enc_shared = nn.Linear(hidden, 2 * latent)
            self.gen_shared = nn.Sequential(nn.Linear(latent, hidden), nn.LeakyReLU(0.5))
            self.gen = nn.ModuleDict({d: nn.Linear(hidden, n) for d, n in sizes.items()})
            self.disc = nn.ModuleDict({d: MLPNet(n, 1, hidden=(d_hidden,), activation="tanh")
                                       for d, n in sizes.items()})
        self._source: sp.csr_matrix | None = None

    def encode(
        self, x: torch.Tensor, domain: str, gen: torch.Generator | None = None, drop: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(z, mu, logvar) of click vectors `x` of `domain` ("A" or "B"); z = mu in eval mode."""
        h = F.normalize(x, dim=1)
        if drop and self.training and self.dropout > 0:
            keep = (torch.rand(h.shape, generator=gen, device=h.device) >= self.dropout).to(h.dtype)
            h = h * keep / (1 - self.dropout)
        mu, logvar = self.enc_shared(self.enc[domain](h)).split(self.latent, dim=1)
        if not self.training:
            return mu, mu, logvar
        eps = torch.randn(mu.shape, generator=gen, device=mu.device, dtype=mu.dtype)
        return mu + eps * (0.5 * logvar).exp(), mu, logvar

    def decode(self, z: torch.Tensor, domain: str) -> torch.Tensor:
        """Logits over the items of `domain` ("A" or "B") generated from latent codes `z`."""
        return self.gen[domain](self.gen_shared(z))

    def translate(self, x_source: torch.Tensor) -> torch.Tensor:
        """B logits translated from A click vectors `x_source` [batch, n_source_items] (z = mu)."""
        was = self.training
        self.eval()
        try:
            return self.decode(self.encode(x_source, "A")[1], "B")
        finally:
            self.train(was)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        if self._source is None:
            raise RuntimeError("D2DTM has no source-domain rows yet: call fit(source, target, ...) first")
        rows = torch.as_tensor(dense_rows(self._source, np.asarray(users.cpu())), device=self.device)
        return self.translate(rows)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.reshape(-1, 1)).squeeze(1)

    def _losses(
        self, xa: torch.Tensor, xb: torch.Tensor, gen: torch.Generator, beta: float, cycle_weight: float,
        paired_weight: float,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        x = {"A": xa, "B": xb}
        other = {"A": "B", "B": "A"}
        total = xa.new_zeros(())
        fakes = {}
        for d in ("A", "B"):
            z, mu, logvar = self.encode(x[d], d, gen, drop=True)
            total = total + _nll(self.decode(z, d), x[d]) + beta * kl_divergence(mu, logvar).mean()
            translated = self.decode(z, other[d])
            fakes[other[d]] = torch.softmax(translated, dim=1)
            if paired_weight > 0:
                total = total + paired_weight * _nll(translated, x[other[d]])
            if cycle_weight > 0:
                zc, muc, logvarc = self.encode(fakes[other[d]], other[d], gen)
                total = total + cycle_weight * (_nll(self.decode(zc, d), x[d])
                                                + beta * kl_divergence(muc, logvarc).mean())
        return total, fakes

    def fit(
        self, source: sp.spmatrix, target: sp.spmatrix, users: np.ndarray | None = None, epochs: int = 20, *,
        batch: int = 128, lr_g: float = 1e-3, lr_d: float = 1e-3, beta: float = 0.2,
        cycle_weight: float = 1.0, paired_weight: float = 1.0, adv_weight: float = 0.1, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the rows `users` (default: every user) of the user x A-item matrix `source` and the user x
        B-item matrix `target` that have clicks in both domains; `source` is kept to score any user. Per batch
        one step of the discriminators, then one of the VAEs. Returns the history (g_loss: the generator
        side's total loss, d_loss: the two discriminators' BCE summed)."""
        check_counts(epochs=epochs, batch=batch)
        for name, value in (("beta", beta), ("cycle_weight", cycle_weight), ("paired_weight", paired_weight),
                            ("adv_weight", adv_weight)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        src = sp.csr_matrix(source, dtype=np.float32)
        tgt = sp.csr_matrix(target, dtype=np.float32)
        if src.shape != (self.n_users, self.n_source_items):
            raise ValueError(f"source has shape {src.shape}, "
                             f"expected ({self.n_users}, {self.n_source_items})")
        if tgt.shape != (self.n_users, self.n_items):
            raise ValueError(f"target has shape {tgt.shape}, expected ({self.n_users}, {self.n_items})")
        pool = np.arange(self.n_users) if users is None else np.unique(np.asarray(users, dtype=np.int64))
        if pool.size and (pool.min() < 0 or pool.max() >= self.n_users):
            raise ValueError(f"users must be ids in [0, {self.n_users}), "
                             f"got range [{pool.min()}, {pool.max()}]")
        pool = pool[(np.diff(src.indptr)[pool] > 0) & (np.diff(tgt.indptr)[pool] > 0)]
        if pool.size == 0:
            raise ValueError("no training user has clicks in both domains")
        self._source = src
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        g_params = [p for name, p in self.named_parameters() if not name.startswith("disc.")]
        opt_g = make_optimizer("adam", g_params, lr_g)
        opt_d = make_optimizer("adam", self.disc.parameters(), lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start, g_sum, d_sum, steps = time.perf_counter(), 0.0, 0.0, 0
            for idx in shuffled_batches(pool, batch, rng):
                xa = torch.as_tensor(dense_rows(src, idx), device=self.device)
                xb = torch.as_tensor(dense_rows(tgt, idx), device=self.device)
                g_loss, fakes = self._losses(xa, xb, gen, beta, cycle_weight, paired_weight)
                real = {"A": F.normalize(xa, dim=1), "B": F.normalize(xb, dim=1)}
                d_loss = sum(discriminator_loss(self.disc[d](real[d]),
                                                self.disc[d](F.normalize(fakes[d].detach(), dim=1)))
                             for d in ("A", "B"))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                if adv_weight > 0:
                    g_loss = g_loss + adv_weight * sum(
                        generator_loss(self.disc[d](F.normalize(fakes[d], dim=1))) for d in ("A", "B"))
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
                g_sum += check_finite(g_loss.item(), "D2D-TM generator loss", epoch)
                d_sum += check_finite(d_loss.item(), "D2D-TM discriminator loss", epoch)
                steps += 1
            history.record(g_sum / steps, d_sum / steps, run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
