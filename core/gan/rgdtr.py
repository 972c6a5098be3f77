"""RGD-TR (Li, Huang, Zhong; ICDM Workshops 2018): reconstructive tag profiles of users and items for
tag-aware recommendation, regularised by a GAN.

The survey's Table 5 lists RGD-TR with an MLP generator, an MLP discriminator and point-wise training;
only the paper's abstract was read, so this is a reconstruction of what the abstract describes:
- a disentangling network per side (`MLPNet` encoders) maps a user's and an item's tag-based profile
  t_u, t_i to abstract features z_u, z_i, and P(u prefers i) = sigmoid(z_u . z_i), trained point-wise
  (binary cross-entropy on observed pairs and `neg_ratio` uniformly drawn items per pair);
- a generative network per side (`MLPNet` decoders) reconstructs new profiles from z_u and z_i;
- a discriminator (`MLPNet`) tells the real profiles from the reconstructed ones, and the encoders and
  decoders also learn to fool it, which "enforces smoothness" of the representations.
`adversarial=False` drops the discriminator (the plain reconstructive ablation).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.side_information import feature_matrix
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


class RGDTR(Recommender):
    """Tag-profile encoders (users, items) scoring z_u . z_i, profile decoders and a profile discriminator
    (see the module docstring). `user_profiles` [n_users, T] and `item_profiles` [n_items, T] are the
    tag-based profiles (e.g. `advrec.gan.side_information.tag_profiles`)."""

    def __init__(self, user_profiles: np.ndarray, item_profiles: np.ndarray, dim: int = 32, *,
                 hidden: Sequence[int] = (128,), d_hidden: Sequence[int] = (64,), adversarial: bool = True,
                 seed: int = 0) -> None:
        users = feature_matrix(user_profiles, "user_profiles")
        items = feature_matrix(item_profiles, "item_profiles")
        if users.shape[1] != items.shape[1]:
            raise ValueError(f"user_profiles and item_profiles must share their tags, got {users.shape[1]} "
                             f"and {items.shape[1]} columns")
        super().__init__(users.shape[0], items.shape[0])
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.adversarial = bool(adversarial)
        self.register_buffer("user_profiles", users)
        self.register_buffer("item_profiles", items)
        n_tags = users.shape[1]
        with seeded(seed):
            self.user_encoder = MLPNet(n_tags, dim, hidden=hidden, activation="tanh")
            self.item_encoder = MLPNet(n_tags, dim, hidden=hidden, activation="tanh")
            self.user_decoder = MLPNet(dim, n_tags, hidden=tuple(hidden)[::-1], activation="tanh",
                                       out_activation="sigmoid")
            self.item_decoder = MLPNet(dim, n_tags, hidden=tuple(hidden)[::-1], activation="tanh",
                                       out_activation="sigmoid")
            self.discriminator = MLPNet(n_tags, 1, hidden=d_hidden, activation="relu")

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        zu = self.user_encoder(self.user_profiles[users])
        zi = self.item_encoder(self.item_profiles[items])
        return (zu * zi).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        zu = self.user_encoder(self.user_profiles[users])
        return zu @ self.item_encoder(self.item_profiles).T

    def reconstruct(self, users: torch.Tensor, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The generated (reconstructed) profiles of `users` and of `items`."""
        return (self.user_decoder(self.user_encoder(self.user_profiles[users])),
                self.item_decoder(self.item_encoder(self.item_profiles[items])))

    def fit(self, train: sp.spmatrix, *, epochs: int = 10, batch_size: int = 1024, neg_ratio: int = 4,
            lr: float = 1e-3, lr_d: float = 1e-3, recon_weight: float = 1.0, adv_weight: float = 0.1,
            weight_decay: float = 1e-5, seed: int = 0, validate: Validate | None = None) -> GANHistory:
        """Train on the observed pairs of `train` (binary [n_users, n_items]) for `epochs` passes; each
        batch makes one discriminator step (real vs reconstructed profiles of the batch's users and
        observed items)
        and one step of encoders+decoders on BCE + recon_weight * squared reconstruction error +
        adv_weight * the non-saturating GAN loss. History: g_loss = that total, d_loss = D's loss (NaN
        without the adversary), metrics = `validate(self)` after each epoch."""
        check_counts(epochs=epochs, batch_size=batch_size, neg_ratio=neg_ratio)
        if recon_weight < 0 or adv_weight < 0:
            raise ValueError(f"recon_weight and adv_weight must be >= 0, got {recon_weight} and {adv_weight}")
        coo = sp.coo_matrix(train)
        if coo.shape != (self.n_users, self.n_items):
            raise ValueError(f"train has shape {coo.shape}, expected ({self.n_users}, {self.n_items})")
        if coo.nnz == 0:
            raise ValueError("train has no observed pairs")
        device = self.user_profiles.device
        pos_u = torch.as_tensor(coo.row, dtype=torch.long, device=device)
        pos_i = torch.as_tensor(coo.col, dtype=torch.long, device=device)
        players = [p for name, p in self.named_parameters() if not name.startswith("discriminator.")]
        opt_g = make_optimizer("adam", players, lr, weight_decay)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d, weight_decay)
        gen = torch_generator(seed, device)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            g_losses, d_losses = [], []
            order = torch.randperm(len(pos_u), generator=gen, device=device)
            for first in range(0, len(order), batch_size):
                idx = order[first:first + batch_size]
                users, items = pos_u[idx], pos_i[idx]
                negs = torch.randint(0, self.n_items, (len(idx) * neg_ratio,), generator=gen, device=device)
                all_i = torch.cat([items, negs])
                labels = torch.cat([torch.ones(len(idx), device=device),
                                    torch.zeros(len(negs), device=device)])
                batch_u, inv_u = users.unique(return_inverse=True)
                batch_i, inv_i = all_i.unique(return_inverse=True)
                zu = self.user_encoder(self.user_profiles[batch_u])
                zi = self.item_encoder(self.item_profiles[batch_i])
                rows = inv_i[:len(idx)].unique()
                real = torch.cat([self.user_profiles[batch_u], self.item_profiles[batch_i[rows]]])
                fake = torch.cat([self.user_decoder(zu), self.item_decoder(zi[rows])])
                if self.adversarial:
                    d_loss = discriminator_loss(self.discriminator(real), self.discriminator(fake.detach()))
                    opt_d.zero_grad()
                    d_loss.backward()
                    opt_d.step()
                    d_losses.append(check_finite(d_loss.item(), "discriminator loss", epoch))
                logits = (zu[inv_u.repeat(neg_ratio + 1)] * zi[inv_i]).sum(-1)
                loss = (F.binary_cross_entropy_with_logits(logits, labels)
                        + recon_weight * (fake - real).pow(2).sum(-1).mean())
                if self.adversarial:
                    loss = loss + adv_weight * generator_loss(self.discriminator(fake))
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
                g_losses.append(check_finite(loss.item(), "generator loss", epoch))
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
