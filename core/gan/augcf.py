"""AugCF (Wang, Yin, Wang, Nguyen, Huang, Cui; KDD 2019): collaborative filtering enhanced with generative
augmentation.

A conditional GAN generates interactions for inactive users from their side information, and a pure CF
model is then trained on the augmented data. Here the generator G is an MLP that maps a user's side
features (the condition) and a user embedding to logits over the catalogue; the discriminator D is a latent
factor model that tells a user's observed items from items drawn from G. D is trained point-wise (BCE,
observed 1, generated 0); G is trained through a straight-through Gumbel-softmax sample of an item, on
-log D(u, G(u)). `augment` then adds, for the chosen (inactive) users, G's top items outside their
training items, and any recommender can be fitted on the augmented matrix.

Reconstructed from the paper's abstract (the method section and its like/dislike class condition were not
read): the class condition is dropped (every generated interaction is a positive one).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.evaluation import rank
from advrec.gan.networks import LFMScorer, MLPNet
from advrec.gan.samplers import gumbel_softmax
from advrec.gan.side_information import add_interactions
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
from advrec.models.train_matrix import train_matrix


class AugCF(Recommender):
    """AugCF's conditional generator (MLP over side features + user embedding) and LFM discriminator;
    `full_scores` are the discriminator's, `generator_logits` the generator's."""

    def __init__(self, n_users: int, n_items: int, user_features: np.ndarray, *, dim: int = 32,
                 hidden: int | Sequence[int] = (128,), tau: float = 0.5, seed: int = 0) -> None:
        super().__init__(n_users, n_items)
        features = np.asarray(user_features, dtype=np.float32)
        if features.ndim != 2 or features.shape[0] != n_users:
            raise ValueError(f"user_features must be [n_users={n_users}, n_features], "
                             f"got shape {features.shape}")
        if not tau > 0:
            raise ValueError(f"tau must be positive, got {tau}")
        check_counts(dim=dim)
        self.tau = float(tau)
        self.register_buffer("features", torch.as_tensor(features))
        with seeded(seed):
            self.user = nn.Parameter(torch.randn(n_users, dim) * 0.01)
            self.g_net = MLPNet(features.shape[1] + dim, n_items, hidden=hidden, activation="relu")
        self.discriminator = LFMScorer(n_users, n_items, dim, seed=seed + 1)

    def generator_logits(self, users: torch.Tensor) -> torch.Tensor:
        """G's logits over the items for each user, conditioned on the user's side features."""
        users = torch.as_tensor(users, dtype=torch.long, device=self.device)
        return self.g_net(torch.cat([self.features[users], self.user[users]], dim=1))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.discriminator.score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.discriminator.full_scores(users)

    def fit(self, train: sp.spmatrix, epochs: int = 50, d_steps: int = 1, g_steps: int = 1, *,
            d_batch: int = 1024, g_batch: int = 128, lr_g: float = 1e-3, lr_d: float = 1e-3,
            reg_d: float = 1e-4, seed: int = 0, validate: Validate | None = None) -> GANHistory:
        """Adversarial training on the user x item matrix `train`: per epoch `d_steps` passes of D over the
        observed pairs (each with one item drawn from G for the same user, G fixed during a pass), then
        `g_steps` passes of G over the users. `validate(model)` runs before training and after each epoch.
        Returns the history (g_loss: -log D(u, G(u)); d_loss: D's BCE on observed plus generated pairs)."""
        check_counts(0, d_steps=d_steps, g_steps=g_steps)
        check_counts(epochs=epochs, d_batch=d_batch, g_batch=g_batch)
        if reg_d < 0:
            raise ValueError(f"reg_d must be >= 0, got {reg_d}")
        csr = train_matrix(train, self, "train")
        users = np.repeat(np.arange(self.n_users), np.diff(csr.indptr))
        items = csr.indices.astype(np.int64)
        if len(users) == 0:
            raise ValueError("train has no interaction")
        active = np.flatnonzero(np.diff(csr.indptr) > 0)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d)
        opt_g = make_optimizer("adam", [self.user, *self.g_net.parameters()], lr_g)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_losses = []
            for _ in range(d_steps):
                fake = self._generated(csr, gen)
                d_losses += [self._d_step(users[idx], items[idx], fake[idx], opt_d, reg_d, epoch)
                             for idx in _batches(len(users), d_batch, rng)]
            g_losses = [self._g_step(active[idx], opt_g, gen, epoch)
                        for _ in range(g_steps) for idx in _batches(len(active), g_batch, rng)]
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    @torch.no_grad()
    def _generated(self, csr: sp.csr_matrix, gen: torch.Generator) -> np.ndarray:
        """One item drawn from softmax(G(u, .)) per observed (u, i), in CSR order (G fixed for the pass)."""
        counts = np.diff(csr.indptr)
        out = []
        for start in range(0, self.n_users, 512):
            chunk = np.arange(start, min(start + 512, self.n_users))
            if counts[chunk].max() == 0:
                continue
            probs = torch.softmax(self.generator_logits(torch.as_tensor(chunk, device=self.device)), dim=1)
            drawn = torch.multinomial(probs, int(counts[chunk].max()), replacement=True, generator=gen)
            keep = np.arange(drawn.shape[1])[None, :] < counts[chunk][:, None]
            out.append(drawn.cpu().numpy()[keep])
        return np.concatenate(out)

    def _d_step(self, users: np.ndarray, items: np.ndarray, fake_items: np.ndarray,
                opt: torch.optim.Optimizer, reg: float, epoch: int) -> float:
        dev = self.device
        bu = torch.as_tensor(users, device=dev)
        bi = torch.as_tensor(items, device=dev)
        fake = torch.as_tensor(fake_items, device=dev)
        d = self.discriminator
        real_logits, fake_logits = d.score(bu, bi), d.score(bu, fake)
        loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        value = check_finite(loss.item(), "AugCF discriminator loss", epoch)
        opt.zero_grad()
        (loss + reg * d.l2(bu, torch.cat([bi, fake])) / len(users)).backward()
        opt.step()
        return value

    def _g_step(self, users: np.ndarray, opt: torch.optim.Optimizer, gen: torch.Generator,
                epoch: int) -> float:
        bu = torch.as_tensor(users, device=self.device)
        sample = gumbel_softmax(self.generator_logits(bu), tau=self.tau, hard=True, generator=gen)
        d = self.discriminator
        logits = (d.user[bu] * (sample @ d.item)).sum(dim=1) + sample @ d.item_bias
        loss = F.softplus(-logits).mean()
        value = check_finite(loss.item(), "AugCF generator loss", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return value

    @torch.no_grad()
    def augment(self, train: sp.spmatrix, users: np.ndarray, n_items: int) -> sp.csr_matrix:
        """`train` plus, for each of `users`, G's `n_items` highest-scored items outside the user's training
        items (as entries of value 1); a new binary matrix, `train` is left unchanged."""
        check_counts(0, n_items=n_items)
        csr = train_matrix(train, self, "train")
        if n_items == 0:
            return add_interactions(csr, users, np.zeros((len(users), 0), dtype=np.int64))
        was_training = self.training
        self.eval()
        try:
            top = rank(self.generator_logits, csr, users, n_items)
        finally:
            self.train(was_training)
        return add_interactions(csr, users, top)


def _batches(n: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[start:start + size] for start in range(0, n, size)]
