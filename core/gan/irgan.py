"""IRGAN for item recommendation (Wang et al., SIGIR 2017): a minimax game between a generator G that
samples items for a user from softmax(f_theta(u, .)) and a discriminator D that tells the user's observed
items from generated ones. Both are latent factor models (`LFMScorer`).

One epoch is `d_steps` passes of D, then `g_steps` passes of G (the official code: 15 epochs of 100 D and
50 G passes, EMB_DIM 5, batch 16, init delta 0.05, SGD with learning rate 0.001, D's L2 0.1/16).

- D, point-wise: each observed (u, i) is a positive, and each pass draws as many negatives per user from
  softmax(f_theta(u, .) / temperature) (the official code: temperature 0.2, redrawn every 5 passes);
  loss = summed BCE on logits over a batch + reg_d * half the squared norms of the batch's rows.
  Pair-wise: the negatives are paired with the positives and D minimises -log sigmoid(f(u, i+) - f(u, i-)).
- G, point-wise: per user, 2|I_u| items are drawn from (1 - mix) P_theta + mix Uniform(I_u) (mix 0.2) and
  G follows the REINFORCE gradient of E_{P_theta}[reward], with importance weights P_theta / proposal.
  The reward is the paper's log(1 + exp(f_phi(u, i))) = -log(1 - D(i|u)) ("softplus") or the official
  code's 2 sigmoid(f_phi) - 1 ("sigmoid"). G, pair-wise: per observed item one item is drawn from P_theta
  restricted to the unobserved items, and the reward is log(1 + exp(f_phi(u, i-) - f_phi(u, i+))), the
  pair-wise IRGAN's reward for a generated negative that D ranks above the observed item.
- Losses are summed over a batch's samples (as TensorFlow's minimize does in the official code), and G's
  per-user losses are summed over the users of a batch, so a batch of users equals that many per-user
  steps in gradient scale; the official code steps once per user (g_batch=1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.networks import LFMScorer
from advrec.gan.players import RankedByPlayer, check_player_shape, check_scorer
from advrec.gan.samplers import importance_sample, reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    alternate,
    check_finite,
    check_schedule,
    player_optimizers,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix

_MODES = ("point", "pair")
_REWARDS = ("softplus", "sigmoid")


def point_loss(model: LFMScorer, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """IRGAN's point-wise D loss: BCE of f(u, i) as a logit against 1 (observed) / 0 (generated), summed."""
    return F.binary_cross_entropy_with_logits(model.score(batch["users"], batch["items"]), batch["labels"],
                                              reduction="sum")


def pair_loss(model: LFMScorer, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """IRGAN's pair-wise D loss: -log sigmoid(f(u, i+) - f(u, i-)) summed over (observed, generated) pairs."""
    users = batch["users"]
    return F.softplus(model.score(users, batch["neg_items"]) - model.score(users, batch["pos_items"])).sum()


class IRGAN(RankedByPlayer, Recommender):
    """IRGAN item recommender; after `fit`, `full_scores` are the generator's logits (`scorer="generator"`,
    as the paper evaluates) or the discriminator's (`scorer="discriminator"`).

    `g_init`/`d_init` start G/D from pre-trained tables (a mapping with "user", "item" and optional "bias",
    or an embedding model such as a BPR-MF): the paper pre-trains G with matrix factorisation. The paper
    recommends items with the point-wise game; `mode="pair"` carries its pair-wise game (used there for web
    search and question answering) over to items. `baseline="mean"` subtracts each user's mean reward in
    the REINFORCE estimate; the official code uses none (`baseline=None`).
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int = 5, mode: str = "point", *, init_delta: float = 0.05,
        g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, temperature: float = 0.2, mix: float = 0.2,
        reward: str = "softplus", baseline: str | float | None = "mean", scorer: str = "generator",
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if reward not in _REWARDS:
            raise ValueError(f"reward must be one of {_REWARDS}, got {reward!r}")
        check_scorer(scorer)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {mix}")
        self.mode, self.reward, self.baseline, self.scorer = mode, reward, baseline, scorer
        self.temperature, self.mix = float(temperature), float(mix)
        self.generator = self._scorer(g_init, dim, init_delta, seed, "g_init")
        self.discriminator = self._scorer(d_init, dim, init_delta, seed + 1, "d_init")

    def _scorer(self, init: object, dim: int, init_delta: float, seed: int, name: str) -> LFMScorer:
        if init is None:
            return LFMScorer(self.n_users, self.n_items, dim, init_delta=init_delta, seed=seed)
        return check_player_shape(LFMScorer.from_embeddings(init), self.n_users, self.n_items, name)

    def _reward(self, logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(logits) if self.reward == "softplus" else 2 * torch.sigmoid(logits) - 1

    def fit(
        self, train: sp.spmatrix, epochs: int = 15, g_steps: int = 50, d_steps: int = 100, *,
        d_batch: int = 16, g_batch: int = 1, lr_g: float = 1e-3, lr_d: float = 1e-3, reg_g: float = 0.0,
        reg_d: float = 0.1 / 16, optimizer: str = "sgd", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the user x item matrix `train` (any stored entry is an observed
        item); `validate(model)` is called before training and after each epoch. Returns the history
        (g_loss: G's cost E_{P_theta}[-reward] on its samples; d_loss: D's mean loss per sample)."""
        check_schedule(epochs, g_steps, d_steps, reg_g, reg_d, d_batch=d_batch, g_batch=g_batch)
        csr = train_matrix(train, self, "train")
        counts = np.diff(csr.indptr)
        users = np.flatnonzero(counts > 0)
        if self.mode == "pair":
            users = users[counts[users] < self.n_items]
        if len(users) == 0:
            raise ValueError("train has no user with an observed item (and, in pair mode, an unobserved one)")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d)

        def d_pass(epoch: int) -> float:
            return self._d_pass(csr, users, opt_d, d_batch, reg_d, rng, gen, epoch)

        def g_pass(epoch: int) -> float:
            return self._g_pass(csr, users, opt_g, g_batch, reg_g, rng, gen, epoch)

        return alternate(self, epochs, d_steps, g_steps, d_pass, g_pass, validate)

    # ------------------------------------------------------------------------------ discriminator

    @torch.no_grad()
    def _generated(self, csr: sp.csr_matrix, users: np.ndarray, gen: torch.Generator) -> np.ndarray:
        """One item per observed (u, i) of `users`, in CSR order, from softmax(G(u, .) / temperature)."""
        out = []
        counts = np.diff(csr.indptr)
        for start in range(0, len(users), 512):
            chunk = users[start:start + 512]
            logits = self.generator.full_scores(torch.as_tensor(chunk, device=self.device))
            probs = torch.softmax(logits / self.temperature, dim=1)
            drawn = torch.multinomial(probs, int(counts[chunk].max()), replacement=True, generator=gen)
            drawn = drawn.cpu().numpy()
            keep = np.arange(drawn.shape[1])[None, :] < counts[chunk][:, None]
            out.append(drawn[keep])
        return np.concatenate(out)

    def _d_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        keep = np.isin(rows, users)
        u, pos = rows[keep], csr.indices[keep]
        neg = self._generated(csr, users, gen)
        if self.mode == "point":
            columns = [np.concatenate([u, u]), np.concatenate([pos, neg]),
                       np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])]
        else:
            columns = [u, pos, neg]
        order = rng.permutation(len(columns[0]))
        dev, d = self.device, self.discriminator
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            bu = torch.as_tensor(columns[0][idx], device=dev)
            if self.mode == "point":
                bi = torch.as_tensor(columns[1][idx], device=dev)
                labels_t = torch.as_tensor(columns[2][idx], device=dev, dtype=torch.float32)
                batch_d = {"users": bu, "items": bi, "labels": labels_t}
                penalty = d.l2(bu, bi)
            else:
                bp = torch.as_tensor(columns[1][idx], device=dev)
                bn = torch.as_tensor(columns[2][idx], device=dev)
                batch_d = {"users": bu, "pos_items": bp, "neg_items": bn}
                penalty = d.l2(bu, torch.cat([bp, bn]))
            loss = self._d_loss(batch_d)
            total += check_finite(loss.item(), "IRGAN discriminator loss", epoch)
            opt.zero_grad()
            (loss + reg * penalty).backward()
            opt.step()
        return total / len(order)

    def _d_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """D's summed loss on one batch (point-wise or pair-wise by `mode`), before the L2 penalty."""
        return (point_loss if self.mode == "point" else pair_loss)(self.discriminator, batch)

    # ------------------------------------------------------------------------------ generator

    def _g_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        order = rng.permutation(users)
        costs = []
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            loss, cost, items = self._g_loss(csr, chunk, gen)
            costs.append(check_finite(cost, "IRGAN generator cost", epoch) * len(chunk))
            penalty = self.generator.l2(torch.as_tensor(chunk, device=self.device), items)
            opt.zero_grad()
            (loss + reg * penalty).backward()
            opt.step()
        return float(np.sum(costs) / len(order))

    def _g_loss(self, csr: sp.csr_matrix, chunk: np.ndarray,
                gen: torch.Generator) -> tuple[torch.Tensor, float, torch.Tensor]:
        """G's surrogate loss (summed over the chunk's users), its mean cost E_{P_theta}[-reward] and the
        sampled items."""
        dev = self.device
        rows = csr[chunk]
        positives = torch.zeros(len(chunk), self.n_items, dtype=torch.bool, device=dev)
        positives[torch.as_tensor(np.repeat(np.arange(len(chunk)), np.diff(rows.indptr)), device=dev),
                  torch.as_tensor(rows.indices, device=dev, dtype=torch.long)] = True
        n_pos = positives.sum(dim=1)
        bu = torch.as_tensor(chunk, device=dev)
        logits = self.generator.full_scores(bu)
        if self.mode == "point":
            log_p = torch.log_softmax(logits, dim=1)
            n = 2 * n_pos
            sample = importance_sample(log_p.exp(), positives, int(n.max()), self.mix, generator=gen)
            items, weights = sample.items, sample.weights
            with torch.no_grad():
                d_logits = self.discriminator.score(bu[:, None].expand_as(items), items)
        else:
            log_p = torch.log_softmax(logits.masked_fill(positives, float("-inf")), dim=1)
            n = n_pos
            items = torch.multinomial(log_p.exp().detach(), int(n.max()), replacement=True, generator=gen)
            weights = torch.ones(items.shape, device=dev)
            # the k-th sample is paired with the user's k-th observed item (padding slots k >= |I_u|
            # cycle, and the mask drops them)
            slot = torch.arange(items.shape[1], device=dev)[None, :] % n_pos[:, None]
            pos_sorted = torch.sort(positives.to(torch.int8), dim=1, descending=True, stable=True).indices
            paired = pos_sorted.gather(1, slot)
            with torch.no_grad():
                uu = bu[:, None].expand_as(items)
                d_logits = self.discriminator.score(uu, items) - self.discriminator.score(uu, paired)
        mask = torch.arange(items.shape[1], device=dev)[None, :] < n[:, None]
        rewards = self._reward(d_logits)
        loss = reinforce_loss(log_p.gather(1, items), rewards, self.baseline, weights=weights, mask=mask)
        m = mask.to(rewards.dtype)
        cost = -((weights * rewards * m).sum(dim=1) / m.sum(dim=1)).mean().item()
        return loss * len(chunk), cost, items[mask]
