"""GANs whose generator is an auto-encoder over a user's interaction row (survey Table 5, generator "AE").

Chae and Kim (IC-NIDC 2018) and CAAE (Chae, Shin, Kim; IEEE Access 2019) replace IRGAN's matrix-factorisation
generator by an auto-encoder, so the generator can model non-linear user-item relations; RsyGAN (Yin et al.,
IJCNN 2019) pairs an auto-encoder generator with an MLP discriminator. `AutoEncoderGAN` holds that family:

- G: an `AutoEncoderNet` reads the user's binary training row (input dropout `corruption`, as a denoising
  auto-encoder) and returns logits over items; G's policy is the softmax of those logits over the items
  the user has not interacted with, and `pretrain_epochs` fit it first as a plain auto-encoder
  (binary cross-entropy between its output and the row), as IRGAN pre-trains its generator.
- D, `discriminator="lfm"` (pair-wise; Chae et al., CAAE): a latent factor model trained as BPR on pairs
  (observed item, generated item), -log sigmoid(f(u, i+) - f(u, g)); G's REINFORCE reward for a generated
  item is log(1 + exp(f(u, g) - f(u, i+))), high when D ranks it above an observed item (IRGAN's pair-wise
  reward).
- D, `discriminator="mlp"` (point-wise; RsyGAN): an MLP over the concatenated user and item embeddings
  trained with binary cross-entropy on observed (u, i) = real and generated (u, g) = fake; G's reward is
  log(1 + exp(D's logit)) = -log(1 - D(u, g)) (IRGAN's point-wise reward).
- `negative_generator=True` (CAAE's second generator, "generating negative items, which are items that a
  given user may not be interested in"): a second auto-encoder G- whose items D must rank below both the
  observed and G's items (D's loss adds -log sigmoid(f(u, i+) - f(u, g-)) - log sigmoid(f(u, g) - f(u, g-)));
  G- is rewarded with log(1 + exp(-f(u, g-))), for items D is confident the user does not want. The paper's
  equations were not available: this is our reading of its abstract.

Each epoch runs `d_steps` passes of D over the users, then `g_steps` passes of G (and G-); every pass
draws `n_samples` observed and `n_samples` generated items per user. `recon_weight` > 0 keeps G's
reconstruction loss in its adversarial objective. The recommender ranks by G's logits (`scorer`
"generator", as IRGAN evaluates G) or by D's scores ("discriminator").
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import AutoEncoderNet, LFMScorer, MLPNet
from advrec.gan.players import check_scorer
from advrec.gan.samplers import reinforce_loss
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
from advrec.models.train_matrix import dense_rows, train_matrix

_DISCRIMINATORS = ("lfm", "mlp")


class MLPScorer(nn.Module):
    """Point-wise discriminator f(u, i) = MLP([p_u, q_i]) (one logit per pair), with user/item embeddings."""

    def __init__(self, n_users: int, n_items: int, dim: int = 32, *, hidden: int | Sequence[int] = (64,),
                 seed: int = 0) -> None:
        super().__init__()
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        with seeded(seed):
            self.user = nn.Parameter(torch.randn(n_users, dim) * 0.1)
            self.item = nn.Parameter(torch.randn(n_items, dim) * 0.1)
            self.net = MLPNet(2 * dim, 1, hidden=hidden, activation="relu")

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Logits of the pairs (users[k], items[k]) for any matching shapes."""
        x = torch.cat([self.user[users], self.item[items]], dim=-1)
        return self.net(x).squeeze(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        """Logits of every item for each user, [len(users), n_items]."""
        items = torch.arange(self.item.shape[0], device=self.item.device)
        return self.score(users[:, None].expand(-1, len(items)), items[None, :].expand(len(users), -1))

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the summed squared norms of the rows of `users` and `items`."""
        return (self.user[users].pow(2).sum() + self.item[items].pow(2).sum()) / 2


class AutoEncoderGAN(Recommender):
    """Auto-encoder generator against an LFM (pair-wise) or MLP (point-wise) discriminator; see the module
    docstring. After `fit`, `full_scores(users)` ranks by G's logits on the users' training rows or by D."""

    def __init__(
        self, n_users: int, n_items: int, *, hidden: int | Sequence[int] = (200,),
        activation: str = "sigmoid", corruption: float = 0.2, discriminator: str = "lfm", dim: int = 32,
        d_hidden: int | Sequence[int] = (64,), negative_generator: bool = False, scorer: str = "generator",
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if discriminator not in _DISCRIMINATORS:
            raise ValueError(f"discriminator must be one of {_DISCRIMINATORS}, got {discriminator!r}")
        check_scorer(scorer)
        if negative_generator and discriminator != "lfm":
            raise ValueError("negative_generator (CAAE) needs the pair-wise discriminator='lfm'")
        self.discriminator_kind, self.scorer = discriminator, scorer
        self.temperature = 1.0
        with seeded(seed):
            self.generator = AutoEncoderNet(n_items, n_items, hidden=hidden, activation=activation,
                                            dropout=corruption)
            self.negative = (AutoEncoderNet(n_items, n_items, hidden=hidden, activation=activation,
                                            dropout=corruption) if negative_generator else None)
        if discriminator == "lfm":
            self.discriminator: LFMScorer | MLPScorer = LFMScorer(n_users, n_items, dim, init_delta=0.05,
                                                                  seed=seed + 1)
        else:
            self.discriminator = MLPScorer(n_users, n_items, dim, hidden=d_hidden, seed=seed + 1)
        self._rows: torch.Tensor | None
        self.register_buffer("_rows", None, persistent=False)

    # ------------------------------------------------------------------------------ scoring

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        users = torch.as_tensor(users, device=self.device, dtype=torch.long)
        if self.scorer == "discriminator":
            return self.discriminator.full_scores(users)
        if self._rows is None:
            raise RuntimeError("AutoEncoderGAN's generator scores a user from the training row it was fitted "
                               "on: call fit first")
        return self.generator(self._rows[users])

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        items = torch.as_tensor(items, device=self.device, dtype=torch.long)
        return self.full_scores(users).gather(1, items.reshape(-1, 1)).reshape(-1)

    # ------------------------------------------------------------------------------ training

    def fit(
        self, train: sp.spmatrix, epochs: int = 20, g_steps: int = 1, d_steps: int = 1, *,
        pretrain_epochs: int = 20, batch: int = 128, n_samples: int = 8, lr_g: float = 1e-3,
        lr_d: float = 1e-3, reg_d: float = 1e-4, recon_weight: float = 0.0, temperature: float = 1.0,
        seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Pre-train G as an auto-encoder, then train D and G alternately on the user x item matrix `train`
        (any stored entry is an observed item); `validate(model)` runs after pre-training and after each
        epoch. Returns the history (g_loss: G's mean cost -reward on its samples; d_loss: D's mean loss)."""
        check_counts(0, g_steps=g_steps, d_steps=d_steps, pretrain_epochs=pretrain_epochs)
        check_counts(epochs=epochs, batch=batch, n_samples=n_samples)
        if reg_d < 0 or recon_weight < 0:
            raise ValueError(f"reg_d and recon_weight must be >= 0, got {reg_d} and {recon_weight}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        csr = train_matrix(train, self, "train")
        counts = np.diff(csr.indptr)
        users = np.flatnonzero((counts > 0) & (counts < self.n_items))
        if len(users) == 0:
            raise ValueError("train has no user with both an observed and an unobserved item")
        self._rows = torch.as_tensor(dense_rows(csr, np.arange(self.n_users)), device=self.device)
        self.temperature = float(temperature)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        g_params = list(self.generator.parameters())
        if self.negative is not None:
            g_params += list(self.negative.parameters())
        opt_g = make_optimizer("adam", g_params, lr_g)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d)
        self.train()
        for _ in range(pretrain_epochs):
            for idx in _batches(users, batch, rng, self.device):
                loss = sum(self._reconstruction(net, idx) for net in self._generators())
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_losses = [self._d_batch(idx, opt_d, n_samples, reg_d, gen, epoch)
                        for _ in range(d_steps) for idx in _batches(users, batch, rng, self.device)]
            g_losses = [self._g_batch(idx, opt_g, n_samples, recon_weight, gen, epoch)
                        for _ in range(g_steps) for idx in _batches(users, batch, rng, self.device)]
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    def _generators(self) -> list[AutoEncoderNet]:
        return [self.generator] if self.negative is None else [self.generator, self.negative]

    def _reconstruction(self, net: AutoEncoderNet, idx: torch.Tensor) -> torch.Tensor:
        rows = self._rows[idx]
        return F.binary_cross_entropy_with_logits(net(rows), rows, reduction="sum") / len(idx)

    def _policy(self, net: AutoEncoderNet, idx: torch.Tensor) -> torch.Tensor:
        """log P(i | u) over the unobserved items of the users `idx` (observed items get -inf)."""
        rows = self._rows[idx]
        logits = net(rows) / self.temperature
        return torch.log_softmax(logits.masked_fill(rows > 0, float("-inf")), dim=1)

    def _sample(self, net: AutoEncoderNet, idx: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
        """k items per user of `idx` drawn from the policy of `net`, with replacement."""
        return torch.multinomial(self._policy(net, idx).exp(), k, replacement=True, generator=gen)

    def _positives(self, idx: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
        """k observed items per user of `idx`, uniformly with replacement."""
        return torch.multinomial(self._rows[idx], k, replacement=True, generator=gen)

    def _d_batch(self, idx: torch.Tensor, opt: torch.optim.Optimizer, k: int, reg: float,
                 gen: torch.Generator, epoch: int) -> float:
        d = self.discriminator
        with torch.no_grad():
            fake = self._sample(self.generator, idx, k, gen)
            low = self._sample(self.negative, idx, k, gen) if self.negative is not None else None
        pos = self._positives(idx, k, gen)
        uu = idx[:, None].expand_as(pos)
        f_pos, f_fake = d.score(uu, pos), d.score(uu, fake)
        if self.discriminator_kind == "lfm":
            loss = F.softplus(f_fake - f_pos).mean()
            if low is not None:
                f_low = d.score(uu, low)
                loss = loss + F.softplus(f_low - f_pos).mean() + F.softplus(f_low - f_fake).mean()
        else:
            loss = (F.binary_cross_entropy_with_logits(f_pos, torch.ones_like(f_pos))
                    + F.binary_cross_entropy_with_logits(f_fake, torch.zeros_like(f_fake)))
        value = check_finite(loss.item(), "AutoEncoderGAN discriminator loss", epoch)
        items = torch.cat([pos, fake] if low is None else [pos, fake, low], dim=1)
        penalty = d.l2(idx, items.reshape(-1)) / items.numel()
        opt.zero_grad()
        (loss + reg * penalty).backward()
        opt.step()
        return value

    def _g_batch(self, idx: torch.Tensor, opt: torch.optim.Optimizer, k: int, recon_weight: float,
                 gen: torch.Generator, epoch: int) -> float:
        d = self.discriminator
        log_p = self._policy(self.generator, idx)
        fake = torch.multinomial(log_p.detach().exp(), k, replacement=True, generator=gen)
        uu = idx[:, None].expand_as(fake)
        with torch.no_grad():
            if self.discriminator_kind == "lfm":
                rewards = F.softplus(d.score(uu, fake) - d.score(uu, self._positives(idx, k, gen)))
            else:
                rewards = F.softplus(d.score(uu, fake))
        loss = reinforce_loss(log_p.gather(1, fake), rewards, "mean")
        cost = -rewards.mean().item()
        if self.negative is not None:
            log_q = self._policy(self.negative, idx)
            low = torch.multinomial(log_q.detach().exp(), k, replacement=True, generator=gen)
            with torch.no_grad():
                low_rewards = F.softplus(-d.score(uu, low))
            loss = loss + reinforce_loss(log_q.gather(1, low), low_rewards, "mean")
        if recon_weight > 0:
            loss = loss + recon_weight * sum(self._reconstruction(net, idx) for net in self._generators())
        check_finite(cost, "AutoEncoderGAN generator cost", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return cost


def _batches(users: np.ndarray, size: int, rng: np.random.Generator,
             device: torch.device) -> list[torch.Tensor]:
    """`users` shuffled and cut into batches of `size` (the last one shorter)."""
    order = torch.as_tensor(rng.permutation(users), device=device, dtype=torch.long)
    return list(order.split(size))
