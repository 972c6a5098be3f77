"""APL, adversarial pairwise learning (Sun, Wu, Wu, Ye; Expert Systems with Applications 2019): a GAN whose
generator G makes items differentiable through Gumbel-softmax, and whose critic D ranks a user's observed
items above the generated ones.

G is a latent factor model; a generated item is the relaxed one-hot v = gumbel_softmax(log q, tau) over
the catalogue, where q = (1 - mix) softmax(G(u, .)) + mix Uniform(I_u) when G is trained and
q = softmax(G(u, .) / tau) when D is trained (as in the official code, tau = 0.2, mix = 0.2). D scores the
virtual item by its embedding v Q_D and bias v b_D, so D's score is differentiable in G's parameters.
With y = D(u, i) - D(u, v) for an observed pair (u, i), the losses of the official code are
- "log": D minimises -log sigmoid(y), G minimises log sigmoid(y) (the minimax game);
- "hinge": D minimises max(0, 1 - y), G maximises it;
- "wgan": D minimises -y (no L2) with its parameters clipped to [-0.05, 0.05] after each step, G minimises
  -D(u, v).
Each epoch is `d_steps` passes of D, then `g_steps` passes of G, over the observed pairs in batches; the
official defaults are 20 factors, batch 32, SGD with learning rate 0.05, L2 0 for G and 0.05 for D (on the
batch's rows, halved squared norms), G pre-trained with MF, ranking by G's logits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.networks import LFMScorer
from advrec.gan.samplers import gumbel_softmax
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_finite,
    check_schedule,
    mean_or_nan,
    player_optimizers,
    run_validate,
    shuffled_batches,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix

_LOSSES = ("log", "hinge", "wgan")
_CLIP = 0.05


class APL(Recommender):
    """APL recommender; after `fit`, `full_scores` are the generator's logits. `g_init` starts G from
    pre-trained tables (a mapping with "user", "item", optional "bias", or an embedding model)."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 20, *, loss: str = "log", tau: float = 0.2,
        mix: float = 0.2, init_delta: float = 0.05, g_init: Mapping[str, object] | Recommender | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {loss!r}")
        if not tau > 0:
            raise ValueError(f"tau must be positive, got {tau}")
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {mix}")
        self.loss, self.tau, self.mix = loss, float(tau), float(mix)
        if g_init is None:
            self.generator = LFMScorer(n_users, n_items, dim, init_delta=init_delta, seed=seed)
        else:
            self.generator = LFMScorer.from_embeddings(g_init)
            if (self.generator.n_users, self.generator.n_items) != (n_users, n_items):
                shape = (self.generator.n_users, self.generator.n_items)
                raise ValueError(f"g_init has {shape[0]} users x {shape[1]} items, "
                                 f"expected {n_users} x {n_items}")
            dim = self.generator.dim
        self.discriminator = LFMScorer(n_users, n_items, dim, init_delta=init_delta, seed=seed + 1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.generator.score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.generator.full_scores(users)

    def fit(
        self, train: sp.spmatrix, epochs: int = 200, g_steps: int = 1, d_steps: int = 1, *, batch: int = 32,
        lr_g: float = 0.05, lr_d: float = 0.05, reg_g: float = 0.0, reg_d: float = 0.05,
        optimizer: str = "sgd", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the observed pairs of `train`; `validate(model)` is called before
        training and after each epoch. Returns the history (mean G and D loss per batch, without L2)."""
        check_schedule(epochs, g_steps, d_steps, reg_g, reg_d, batch=batch)
        csr = train_matrix(train, self, "train")
        if csr.nnz == 0:
            raise ValueError("train has no observed pair")
        users = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        items = csr.indices.astype(np.int64)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_loss = mean_or_nan([self._pass(csr, users, items, "d", opt_d, batch, reg_d, rng, gen, epoch)
                                  for _ in range(d_steps)])
            g_loss = mean_or_nan([self._pass(csr, users, items, "g", opt_g, batch, reg_g, rng, gen, epoch)
                                  for _ in range(g_steps)])
            history.record(g_loss, d_loss, run_validate(validate, self), time.perf_counter() - start)
        self.eval()
        return history

    def _virtual_items(self, csr: sp.csr_matrix, u: torch.Tensor, for_g: bool,
                       gen: torch.Generator) -> torch.Tensor:
        """Relaxed one-hot generated items [B, n_items], differentiable in G's parameters when `for_g`."""
        logits = self.generator.full_scores(u)
        if not for_g:
            with torch.no_grad():
                return gumbel_softmax(torch.log_softmax(logits / self.tau, dim=1), self.tau, generator=gen)
        rows = csr[u.cpu().numpy()]
        aux = torch.zeros_like(logits)
        counts = np.diff(rows.indptr)
        r = torch.as_tensor(np.repeat(np.arange(len(counts)), counts), device=logits.device)
        c = torch.as_tensor(rows.indices, device=logits.device, dtype=torch.long)
        aux[r, c] = torch.as_tensor(self.mix / np.repeat(counts, counts), device=logits.device,
                                    dtype=logits.dtype)
        q = (1 - self.mix) * torch.softmax(logits, dim=1) + aux
        return gumbel_softmax(torch.log(q.clamp_min(1e-20)), self.tau, generator=gen)

    def _pass(self, csr: sp.csr_matrix, users: np.ndarray, items: np.ndarray, who: str,
              opt: torch.optim.Optimizer, batch: int, reg: float, rng: np.random.Generator,
              gen: torch.Generator, epoch: int) -> float:
        d, dev = self.discriminator, self.device
        losses = []
        for idx in shuffled_batches(len(users), batch, rng):
            u = torch.as_tensor(users[idx], device=dev)
            i = torch.as_tensor(items[idx], device=dev)
            v = self._virtual_items(csr, u, who == "g", gen)
            p_u = d.user[u]
            q_v, b_v = v @ d.item, v @ d.item_bias
            real = d.score(u, i)
            fake = (p_u * q_v).sum(-1) + b_v
            y = real - fake
            if who == "d":
                loss = {"log": F.softplus(-y), "hinge": F.relu(1 - y), "wgan": -y}[self.loss].mean()
                # the official code regularises the log and hinge critics only (the WGAN one is clipped)
                penalty = 0.0 if self.loss == "wgan" else (
                    2 * p_u.pow(2).sum() + d.item[i].pow(2).sum() + d.item_bias[i].pow(2).sum()
                    + q_v.pow(2).sum() + b_v.pow(2).sum()) / 2
            else:
                loss = {"log": -F.softplus(-y), "hinge": -F.relu(1 - y), "wgan": -fake}[self.loss].mean()
                penalty = self.generator.l2(u, torch.arange(self.n_items, device=dev))
            player = "discriminator" if who == "d" else "generator"
            losses.append(check_finite(loss.item(), f"APL {player} loss", epoch))
            opt.zero_grad()
            (loss + reg * penalty).backward()
            opt.step()
            if who == "d" and self.loss == "wgan":
                with torch.no_grad():
                    for p in d.parameters():
                        p.clamp_(-_CLIP, _CLIP)
        return float(np.mean(losses))
