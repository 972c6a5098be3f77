"""PD-GAN, adversarial learning for personalized diversity-promoting recommendation (Wu, Liu, Miao, Zhao,
Zhao, Guan; IJCAI 2019): the generator recommends a *set* of k items per user by sequential selection from
a personalised determinantal point process (DPP), and a discriminator tells generated sets from sets of the
user's observed items.

- Kernel: L_u = diag(q_u) S diag(q_u) with S = E E^T, E item embeddings learnt before the game by the
  paper's pair-wise paradigm (`DPPKernel.fit`): a set of diverse items should be more probable than a set
  of similar ones, loss -log det(S_D+ + eps I) + log det(S_D- + eps I) (sets from `diversity_sets`), and
  q_u = exp(alpha G(u, .)) with alpha = theta / (2 (1 - theta)), G a latent factor model (the quality part).
- Selection (`dpp_select`): the fast greedy MAP inference of Chen et al. (NeurIPS 2018), one incremental
  Cholesky row per step; with `sample=True` each step draws the next item with probability proportional to
  its marginal gain det(L_{Y+i}) / det(L_Y) instead of taking the argmax (the generator's sampling).
- D is a latent factor model; a set scores D(u, S) = sigmoid(mean_{i in S} f_D(u, i)), and D minimises
  -log D(u, S_true) - log(1 - D(u, S_gen)), S_true being k items drawn from the user's observed items.
- G follows the REINFORCE gradient with the reward -log(1 - D(u, S_gen)) for every item of its set:
  loss -mean_{i in S_gen} reward log softmax(G(u, .))_i.

No official code was released; the details follow the paper's abstract and a public re-implementation
(github.com/QQQHY/PDGAN: k = 10, theta = 0.9, d = 30, SGD lr 0.01, one user per step, G pre-trained).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import LFMScorer
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    check_schedule,
    make_optimizer,
    mean_or_nan,
    player_optimizers,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix

JITTER = math.exp(-6.0)


def diversity_sets(
    train: sp.spmatrix, categories: np.ndarray, set_size: int = 5, *, max_pairs: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """PD-GAN's kernel training pairs from the users' observed items: (diverse [P, m], similar [P, m]).

    Each observed (user, item), in a random order, seeds two sets of `set_size` items of that user: a
    diverse one (the user's items in random order, each kept when it adds a category not yet covered) and
    a similar one (the seed and the user's items with exactly the seed's categories). Seeds for which either
    set stays short are skipped; at most `max_pairs` pairs are made. `categories` is bool
    [n_items, n_categories].
    """
    csr = sp.csr_matrix(train)
    csr.sum_duplicates()
    cats = np.asarray(categories, dtype=bool)
    if cats.ndim != 2 or cats.shape[0] != csr.shape[1]:
        raise ValueError(f"categories must be bool [n_items={csr.shape[1]}, n_categories], got {cats.shape}")
    check_counts(2, set_size=set_size)
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    diverse, similar = [], []
    for pair in rng.permutation(csr.nnz):
        if max_pairs is not None and len(diverse) >= max_pairs:
            break
        u, seed_item = owner[pair], csr.indices[pair]
        items = csr.indices[csr.indptr[u]:csr.indptr[u + 1]]
        if len(items) < set_size:
            continue
        same = items[(cats[items] == cats[seed_item]).all(axis=1) & (items != seed_item)]
        if len(same) < set_size - 1:
            continue
        div, covered = [seed_item], cats[seed_item].copy()
        for other in rng.permutation(items):
            if (cats[other] & ~covered).any():
                div.append(other)
                covered |= cats[other]
                if len(div) == set_size:
                    break
        if len(div) == set_size:
            diverse.append(div)
            similar.append([seed_item, *rng.choice(same, set_size - 1, replace=False)])
    if not diverse:
        raise ValueError(f"no user has {set_size} items that make both a diverse and a similar set")
    return np.asarray(diverse, dtype=np.int64), np.asarray(similar, dtype=np.int64)


class DPPKernel(nn.Module):
    """The diversity part S = E E^T of PD-GAN's kernel: item embeddings E [n_items, dim]."""

    def __init__(self, n_items: int, dim: int = 30, *, init_delta: float = 0.05, seed: int = 0) -> None:
        super().__init__()
        check_counts(n_items=n_items, dim=dim)
        with seeded(seed):
            self.item = nn.Parameter((torch.rand(n_items, dim) * 2 - 1) * init_delta)

    def log_det(self, sets: torch.Tensor) -> torch.Tensor:
        """log det(S_Y + e^-6 I) for each row Y of `sets` [B, m]."""
        emb = self.item[sets]
        gram = emb @ emb.transpose(1, 2)
        return torch.logdet(gram + JITTER * torch.eye(sets.shape[1], device=gram.device))

    def pair_loss(self, diverse: torch.Tensor, similar: torch.Tensor) -> torch.Tensor:
        """Mean of -log det(S_diverse) + log det(S_similar) over the pairs (the paper's pair-wise loss)."""
        return (self.log_det(similar) - self.log_det(diverse)).mean()

    def fit(self, diverse: np.ndarray, similar: np.ndarray, epochs: int = 1, *, batch: int = 16,
            lr: float = 0.01, seed: int = 0) -> list[float]:
        """SGD on the pair-wise loss over the (diverse, similar) pairs; returns the mean loss per epoch."""
        check_counts(epochs=epochs, batch=batch)
        pos, neg = np.asarray(diverse), np.asarray(similar)
        if pos.shape != neg.shape or pos.ndim != 2:
            raise ValueError(f"diverse and similar must be [pairs, set_size] of one shape, "
                             f"got {pos.shape} and {neg.shape}")
        opt = make_optimizer("sgd", self.parameters(), lr)
        rng = np.random.default_rng(seed)
        dev = self.item.device
        out = []
        for epoch in range(1, epochs + 1):
            losses = []
            order = rng.permutation(len(pos))
            for start in range(0, len(pos), batch):
                idx = order[start:start + batch]
                loss = self.pair_loss(torch.as_tensor(pos[idx], device=dev),
                                      torch.as_tensor(neg[idx], device=dev))
                losses.append(check_finite(loss.item(), "DPP kernel loss", epoch))
                opt.zero_grad()
                loss.backward()
                opt.step()
            out.append(float(np.mean(losses)))
        return out


def dpp_select(
    quality: torch.Tensor, features: torch.Tensor, k: int, *, exclude: torch.Tensor | None = None,
    sample: bool = False, generator: torch.Generator | None = None,
) -> torch.Tensor:
    """k items per row of the DPP L = diag(q) F F^T diag(q), by greedy MAP (Chen et al. 2018) or, with
    `sample`, by drawing each next item with probability proportional to its marginal gain.

    `quality` [B, N] are the q (positive), `features` [N, d] the rows of F, `exclude` [B, N] bool items that
    may not be chosen. Returns [B, k] item ids in selection order.
    """
    if quality.ndim != 2 or features.ndim != 2 or features.shape[0] != quality.shape[1]:
        raise ValueError(f"quality must be [batch, n_items] and features [n_items, dim], "
                         f"got {tuple(quality.shape)} and {tuple(features.shape)}")
    b, n = quality.shape
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, n_items={n}], got {k}")
    with torch.no_grad():
        q = quality / quality.max(dim=1, keepdim=True).values  # a per-row scale leaves every choice unchanged
        gain = q.pow(2) * features.pow(2).sum(dim=1)[None, :]
        blocked = torch.zeros(b, n, dtype=torch.bool, device=q.device) if exclude is None else exclude.clone()
        if bool((blocked.sum(dim=1) > n - k).any()):
            raise ValueError(f"exclude leaves fewer than k={k} items in some row")
        chol = torch.zeros(b, k, n, dtype=q.dtype, device=q.device)
        rows = torch.arange(b, device=q.device)
        chosen = torch.empty(b, k, dtype=torch.long, device=q.device)
        for t in range(k):
            g = gain.clamp_min(0).masked_fill(blocked, 0.0)
            if sample:  # Gumbel-max: argmax(log w + Gumbel noise) is a draw with probability w / sum(w)
                weights = torch.where(g.sum(dim=1, keepdim=True) > 0, g, (~blocked).to(g.dtype))
                u = torch.rand(weights.shape, generator=generator, device=q.device, dtype=q.dtype)
                j = (weights.log() - torch.log(-torch.log(u.clamp_min(1e-20)))).argmax(dim=1)
            else:
                j = g.masked_fill(blocked, -1.0).argmax(dim=1)
            chosen[:, t] = j
            blocked[rows, j] = True
            if t == k - 1:
                break
            lj = q[rows, j][:, None] * q * (features[j] @ features.T)
            e = (lj - (chol[:, :t, :] * chol[rows, :t, j][:, :, None]).sum(dim=1)) / gain[rows, j].clamp_min(
                1e-12).sqrt()[:, None]
            chol[:, t, :] = e
            gain = gain - e.pow(2)
    return chosen


def category_coverage(topk: np.ndarray, categories: np.ndarray, k: int) -> np.ndarray:
    """Per row of `topk` [users, >= k] (padding -1), the share of all categories that its first k items
    cover: PD-GAN's CC@k. `categories` is bool [n_items, n_categories]."""
    top = np.asarray(topk)[:, :k]
    cats = np.asarray(categories, dtype=bool)
    if top.shape[1] < k:
        raise ValueError(f"topk has {top.shape[1]} columns, fewer than k={k}")
    covered = np.zeros((top.shape[0], cats.shape[1]), dtype=bool)
    for c in range(k):
        valid = top[:, c] >= 0
        covered[valid] |= cats[top[valid, c]]
    return covered.sum(axis=1) / cats.shape[1]


class PDGAN(Recommender):
    """PD-GAN recommender. `full_scores` puts the k items that the generator's personalised DPP selects
    greedily (outside the user's items in `seen`, set by `fit` or `set_seen`) first, in selection order,
    and ranks the rest by G's logits, so a top-k evaluation sees PD-GAN's recommended set.
    """

    def __init__(
        self, n_users: int, n_items: int, features: torch.Tensor | np.ndarray | DPPKernel, dim: int = 30, *,
        k: int = 10, theta: float = 0.9, init_delta: float = 0.05,
        g_init: Mapping[str, object] | Recommender | None = None, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not 0.0 <= theta < 1.0:
            raise ValueError(f"theta must be in [0, 1), got {theta}")
        check_counts(k=k)
        table = features.item if isinstance(features, DPPKernel) else features
        if isinstance(table, torch.Tensor):
            table = table.detach().cpu()
        table = torch.as_tensor(np.asarray(table), dtype=torch.float32)
        if table.ndim != 2 or table.shape[0] != n_items:
            raise ValueError(f"features must be [n_items={n_items}, dim], got {tuple(table.shape)}")
        self.register_buffer("features", table.clone())
        self.k, self.theta = int(k), float(theta)
        if g_init is None:
            self.generator = LFMScorer(n_users, n_items, dim, init_delta=init_delta, seed=seed)
        else:
            self.generator = LFMScorer.from_embeddings(g_init)
            if (self.generator.n_users, self.generator.n_items) != (n_users, n_items):
                shape = (self.generator.n_users, self.generator.n_items)
                raise ValueError(f"g_init has {shape[0]} users x {shape[1]} items, "
                                 f"expected {n_users} x {n_items}")
        self.discriminator = LFMScorer(n_users, n_items, self.generator.dim, init_delta=init_delta,
                                       seed=seed + 1)
        self.seen: sp.csr_matrix | None = None

    @property
    def alpha(self) -> float:
        """The quality exponent alpha = theta / (2 (1 - theta)) of q_u = exp(alpha G(u, .))."""
        return self.theta / (2 * (1 - self.theta))

    def set_seen(self, train: sp.spmatrix | None) -> None:
        """The items `full_scores` never selects for a user (its training items); None: no exclusion."""
        self.seen = None if train is None else train_matrix(train, self, "seen")

    def select(self, users: torch.Tensor, *, sample: bool = False, exclude_seen: bool = True,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The k items the personalised DPP of each user selects ([len(users), k])."""
        logits = self.generator.full_scores(users).detach()
        quality = torch.exp(self.alpha * (logits - logits.max(dim=1, keepdim=True).values))
        exclude = None
        if exclude_seen and self.seen is not None:
            rows = self.seen[users.cpu().numpy()]
            exclude = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device)
            r = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
            exclude[torch.as_tensor(r, device=logits.device),
                    torch.as_tensor(rows.indices, dtype=torch.long, device=logits.device)] = True
        return dpp_select(quality, self.features, self.k, exclude=exclude, sample=sample, generator=generator)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.generator.score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        logits = self.generator.full_scores(users).detach().clone()
        chosen = self.select(users)
        top = logits.max(dim=1, keepdim=True).values + 1.0
        ranks = torch.arange(self.k, 0, -1, device=logits.device, dtype=logits.dtype).expand_as(chosen)
        logits.scatter_(1, chosen, top + ranks)
        return logits

    def fit(
        self, train: sp.spmatrix, epochs: int = 30, g_steps: int = 1, d_steps: int = 1, *, batch: int = 1,
        lr_g: float = 0.01, lr_d: float = 0.01, reg_g: float = 0.1 / 16, reg_d: float = 0.0,
        optimizer: str = "sgd", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on `train` (user x item; its items become `seen`); `validate(model)` is
        called before training and after each epoch. Returns the history (g_loss: mean -reward of G's sets;
        d_loss: D's mean loss per user)."""
        check_schedule(epochs, g_steps, d_steps, reg_g, reg_d, batch=batch)
        csr = train_matrix(train, self, "train")
        self.seen = csr
        users = np.flatnonzero(np.diff(csr.indptr) > 0)
        if len(users) == 0:
            raise ValueError("train has no user with an observed item")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_loss = mean_or_nan([self._pass(csr, users, "d", opt_d, batch, reg_d, rng, gen, epoch)
                                  for _ in range(d_steps)])
            g_loss = mean_or_nan([self._pass(csr, users, "g", opt_g, batch, reg_g, rng, gen, epoch)
                                  for _ in range(g_steps)])
            history.record(g_loss, d_loss, run_validate(validate, self), time.perf_counter() - start)
        self.eval()
        return history

    def _true_sets(self, csr: sp.csr_matrix, users: np.ndarray, rng: np.random.Generator) -> tuple[
            torch.Tensor, torch.Tensor]:
        """k observed items per user drawn without replacement (all of them when fewer), with a mask."""
        sets = np.zeros((len(users), self.k), dtype=np.int64)
        mask = np.zeros((len(users), self.k), dtype=bool)
        for r, u in enumerate(users):
            items = csr.indices[csr.indptr[u]:csr.indptr[u + 1]]
            take = rng.choice(items, min(self.k, len(items)), replace=False)
            sets[r, :len(take)], mask[r, :len(take)] = take, True
        return torch.as_tensor(sets, device=self.device), torch.as_tensor(mask, device=self.device)

    def _pass(self, csr: sp.csr_matrix, users: np.ndarray, who: str, opt: torch.optim.Optimizer, batch: int,
              reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        """One pass of D or G over the users in a random order; the generated sets of the pass are drawn up
        front from the current G (sampled from each user's DPP, training items allowed)."""
        dev, d, g = self.device, self.discriminator, self.generator
        order = rng.permutation(users)
        with torch.no_grad():
            generated = torch.cat([self.select(torch.as_tensor(order[s:s + 256], device=dev), sample=True,
                                               exclude_seen=False, generator=gen)
                                   for s in range(0, len(order), 256)])
        true_sets, true_mask = self._true_sets(csr, order, rng) if who == "d" else (None, None)
        losses = []
        for start in range(0, len(order), batch):
            sl = slice(start, start + batch)
            u = torch.as_tensor(order[sl], device=dev)
            fake = generated[sl]
            fake_logit = d.score(u[:, None].expand_as(fake), fake).mean(dim=1)
            if who == "d":
                real, m = true_sets[sl], true_mask[sl].to(torch.float32)
                real_logit = (d.score(u[:, None].expand_as(real), real) * m).sum(dim=1) / m.sum(dim=1)
                per_user = F.softplus(-real_logit) + F.softplus(fake_logit)
                penalty = d.l2(u, torch.cat([fake.flatten(), real[true_mask[sl]]]))
            else:
                reward = F.softplus(fake_logit).detach()
                log_p = torch.log_softmax(g.full_scores(u), dim=1).gather(1, fake)
                per_user = -reward
                loss_g = reinforce_loss(log_p, reward[:, None].expand_as(log_p), None) * len(u)
                penalty = g.l2(u, fake.flatten())
            total = per_user.sum()
            player = "discriminator" if who == "d" else "generator"
            losses.append(check_finite(total.item(), f"PD-GAN {player} loss", epoch))
            opt.zero_grad()
            ((total if who == "d" else loss_g) + reg * penalty).backward()
            opt.step()
        return float(np.sum(losses) / len(order))
