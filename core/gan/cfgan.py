"""CFGAN (Chae, Kang, Kim, Lee; CIKM 2018): vector-wise adversarial collaborative filtering.

The generator G maps a row's real purchase vector c (the condition; no noise z, as in the authors' code)
to a real-valued vector g(c) over the catalogue; the discriminator D sees [c, x] and tells real rows
x = c from generated ones x = g(c) * m. With m = the purchase indicator alone, G wins by outputting all
ones, so CFGAN adds
- ZR (zero-reconstruction): alpha * sum_{j in N_ZR} g(c)_j^2 over sampled unpurchased items N_ZR, and
- PM (partial masking): m = purchased + sampled unpurchased items, so D sees G's values on negatives too;
variant "ZR" uses the first, "PM" the second, "ZP" both. Ranking uses G's output vector.

As in the authors' code (original_source_code in the ECIR'22 replication repository): sigmoid hidden
layers in G and D, a linear output for both, Glorot-uniform weights and U(-0.01, 0.01) biases, G trained
on -log D(fake) (non-saturating), L2 = reg/2 |w|^2 on all weights and biases, Adam, the ZR/PM negatives
drawn once per epoch (floor(ratio * #unpurchased) per row), each epoch `d_steps` passes of D then
`g_steps` passes of G. `orientation="item"` (the authors' setting for all three data sets) generates each
item's vector over users and reads user scores from the transposed output. The code's `epochs` setting E
corresponds to epochs = E / step_G here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.samplers import partial_mask, zero_reconstruction_mask
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    mean_or_nan,
    player_optimizers,
    run_validate,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix

_VARIANTS = ("ZP", "ZR", "PM")
_ORIENTATIONS = ("user", "item")


def _glorot(module: nn.Module) -> None:
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.uniform_(layer.bias, -0.01, 0.01)


class CFGAN(Recommender):
    """CFGAN recommender: after `fit`, `full_scores(users)` is G's output vector for each user's training
    row (user orientation) or the users' column of G's item vectors (item orientation)."""

    def __init__(
        self, n_users: int, n_items: int, *, g_hidden: int | Sequence[int] = (400,),
        d_hidden: int | Sequence[int] = (125,), activation: str = "sigmoid", variant: str = "ZP",
        zr_ratio: float = 0.7, pm_ratio: float = 0.7, alpha: float = 0.03, orientation: str = "item",
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if variant not in _VARIANTS:
            raise ValueError(f"variant must be one of {_VARIANTS}, got {variant!r}")
        if orientation not in _ORIENTATIONS:
            raise ValueError(f"orientation must be one of {_ORIENTATIONS}, got {orientation!r}")
        for name, value in (("zr_ratio", zr_ratio), ("pm_ratio", pm_ratio)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1] (a share of each row's unpurchased entries), "
                                 f"got {value}")
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.variant, self.orientation = variant, orientation
        self.zr_ratio, self.pm_ratio, self.alpha = float(zr_ratio), float(pm_ratio), float(alpha)
        width = n_items if orientation == "user" else n_users
        with seeded(seed):
            self.generator = MLPNet(width, width, hidden=g_hidden, activation=activation)
            self.discriminator = MLPNet(2 * width, 1, hidden=d_hidden, activation=activation)
            _glorot(self.generator)
            _glorot(self.discriminator)
        self._rows: torch.Tensor | None
        self.register_buffer("_rows", None, persistent=False)  # the training rows, moved by .to(device)
        self._updates = 0
        self._cache: tuple[tuple[int, torch.device], torch.Tensor] | None = None

    def generate(self, vectors: torch.Tensor) -> torch.Tensor:
        """G's output for purchase vectors [B, width] (width = n_items, or n_users in item orientation)."""
        return self.generator(vectors)

    def _all_scores(self) -> torch.Tensor:
        """G's output for every training row, [n_rows, width], cached until the next parameter update."""
        key = (self._updates, self._rows.device)
        if self._cache is None or self._cache[0] != key:
            with torch.no_grad():
                self._cache = (key, self.generator(self._rows))
        return self._cache[1]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        if self._rows is None:
            raise RuntimeError("CFGAN scores a user from the training matrix it was fitted on: "
                               "call fit first")
        users = torch.as_tensor(users, device=self.device, dtype=torch.long)
        if self.orientation == "user":
            return self.generator(self._rows[users])
        return self._all_scores()[:, users].T

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        items = torch.as_tensor(items, device=self.device, dtype=torch.long)
        return self.full_scores(users).gather(1, items.reshape(-1, 1)).reshape(-1)

    def fit(
        self, train: sp.spmatrix, epochs: int = 200, g_steps: int = 4, d_steps: int = 2, *, g_batch: int = 32,
        d_batch: int = 64, lr_g: float = 1e-4, lr_d: float = 1e-4, reg_g: float = 1e-3, reg_d: float = 0.0,
        optimizer: str = "adam", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G on the user x item matrix `train` (any stored entry is a purchase); `validate(model)`
        is called before training and after each epoch. Returns the history (g_loss: G's -log D(fake);
        d_loss: D's BCE on real plus fake rows; both means over the epoch's batches)."""
        check_counts(0, g_steps=g_steps, d_steps=d_steps)
        check_counts(epochs=epochs, g_batch=g_batch, d_batch=d_batch)
        csr = train_matrix(train, self, "train")
        if self.orientation == "item":
            csr = csr.T.tocsr()
        rows = torch.as_tensor(dense_rows(csr, np.arange(csr.shape[0])), device=self.device)
        self._rows = rows
        self._updates += 1
        rng = np.random.default_rng(seed)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d, reg_g, reg_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            zr, pm = self._masks(csr, rng)
            d_loss = mean_or_nan([self._d_pass(rows, pm, opt_d, d_batch, rng, epoch)
                                  for _ in range(d_steps)])
            g_loss = mean_or_nan([self._g_pass(rows, zr, pm, opt_g, g_batch, rng, epoch)
                                  for _ in range(g_steps)])
            history.record(g_loss, d_loss, run_validate(validate, self), time.perf_counter() - start)
        self.eval()
        return history

    def _masks(self, csr: sp.csr_matrix, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """This epoch's ZR negatives and D's input mask (purchases, plus PM negatives in PM/ZP)."""
        zr_parts, pm_parts = [], []
        for start in range(0, csr.shape[0], 1024):
            rows = csr[start:start + 1024]
            zr_ratio = 0.0 if self.variant == "PM" else self.zr_ratio
            zr_parts.append(zero_reconstruction_mask(rows, zr_ratio, rng))
            pm_parts.append(partial_mask(rows, 0.0 if self.variant == "ZR" else self.pm_ratio, rng))
        zr = torch.as_tensor(np.vstack(zr_parts), device=self.device, dtype=torch.float32)
        pm = torch.as_tensor(np.vstack(pm_parts), device=self.device, dtype=torch.float32)
        return zr, pm

    def _critic(self, condition: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator(torch.cat([condition, x], dim=1)).squeeze(1)

    def _d_pass(self, rows: torch.Tensor, pm: torch.Tensor, opt: torch.optim.Optimizer, batch: int,
                rng: np.random.Generator, epoch: int) -> float:
        losses = []
        for idx in _batches(len(rows), batch, rng, self.device):
            real = rows[idx]
            with torch.no_grad():
                fake = self.generator(real) * pm[idx]
            loss = discriminator_loss(self._critic(real, real), self._critic(real, fake))
            losses.append(check_finite(loss.item(), "CFGAN discriminator loss", epoch))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return float(np.mean(losses))

    def _g_pass(self, rows: torch.Tensor, zr: torch.Tensor, pm: torch.Tensor, opt: torch.optim.Optimizer,
                batch: int, rng: np.random.Generator, epoch: int) -> float:
        losses = []
        for idx in _batches(len(rows), batch, rng, self.device):
            real = rows[idx]
            out = self.generator(real)
            adversarial = generator_loss(self._critic(real, out * pm[idx]))
            losses.append(check_finite(adversarial.item(), "CFGAN generator loss", epoch))
            loss = adversarial
            if self.variant != "PM":
                loss = loss + self.alpha * (out.pow(2) * zr[idx]).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            self._updates += 1
        return float(np.mean(losses))


def _batches(n: int, size: int, rng: np.random.Generator, device: torch.device) -> list[torch.Tensor]:
    order = torch.as_tensor(rng.permutation(n), device=device)
    return list(order.split(size))

