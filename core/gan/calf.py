"""CALF, the convolutional adversarial latent factor model (Da Costa and Dolog, FLAIRS 2019).

An IRGAN-style game in the pair-wise setting, where "users prefer observed items over generated items":
the generator G proposes, for a user, items from softmax(G(u, .)) over the items the user has not
observed, and the discriminator D learns to rank the user's observed item i above the generated j with
-log sigmoid(D(u, i) - D(u, j)). Both players are `ConvLatentScorer`s: a latent factor model whose user
and item factors also enter a CNN through their outer product (the "pairwise product" of the factors), so
the CNN learns correlations among embedding dimensions.

G is trained with a Rao-Blackwellised REINFORCE estimator (the "sum-and-sample" estimator of Liu et al.,
ICML 2019), the paper's answer to the discrete items and to IRGAN's high-variance, unstable updates: the
`rb_top` most probable items enter the policy gradient exactly, weighted by their probabilities, and
`n_samples` items drawn from the rest carry the remaining mass (`sum_and_sample`). G's reward for an item
j is IRGAN's pair-wise one, log(1 + exp(D(u, j) - D(u, i))) with i one of the user's observed items.

Our reading of the 6-page paper (no code released): the CNN term is added to the latent factor score and
its output layer starts at zero, so a scorer initialised from a pre-trained MF starts as that MF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import CNNNet, LFMScorer
from advrec.gan.players import RankedByPlayer, check_player_shape, check_scorer
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    alternate,
    check_counts,
    check_finite,
    check_schedule,
    player_optimizers,
    torch_generator,
)
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix

_PAIRS_PER_CHUNK = 1 << 16


class ConvLatentScorer(EmbeddingRecommender):
    """f(u, i) = p_u . q_i + b_i + CNN(p_u q_i^T): a latent factor model plus a 1-D CNN read over the rows
    of the factors' outer product ([dim, dim]), max-pooled to one number (CALF's player)."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 8, *, channels: int | Sequence[int] = (8,),
        kernel_size: int = 3, init_delta: float = 0.05, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        lfm = LFMScorer(n_users, n_items, dim, init_delta=init_delta, seed=seed)
        self.user, self.item, self.item_bias = lfm.user, lfm.item, lfm.item_bias
        with seeded(seed + 7919):
            self.cnn = CNNNet(dim, 1, hidden=channels, kernel_size=kernel_size)
        nn.init.zeros_(self.cnn.out.weight)
        nn.init.zeros_(self.cnn.out.bias)

    @classmethod
    def from_embeddings(cls, init: Mapping[str, object] | Recommender, **kwargs: object) -> ConvLatentScorer:
        """A scorer whose latent factors (and item biases) are copies of `init`'s (a mapping with "user",
        "item" and optional "bias", or an embedding model); the CNN starts with a zero output."""
        lfm = LFMScorer.from_embeddings(init)
        model = cls(lfm.n_users, lfm.n_items, lfm.dim, init_delta=0.0, **kwargs)
        with torch.no_grad():
            model.user.copy_(lfm.user)
            model.item.copy_(lfm.item)
            model.item_bias.copy_(lfm.item_bias)
        return model

    @property
    def dim(self) -> int:
        return int(self.user.shape[1])

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def _conv(self, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """CNN term of row-aligned factor pairs p, q [n, dim] -> [n], in chunks that bound memory."""
        out = [self.cnn(p[s:s + _PAIRS_PER_CHUNK, :, None] * q[s:s + _PAIRS_PER_CHUNK, None, :])[:, 0]
               for s in range(0, p.shape[0], _PAIRS_PER_CHUNK)]
        return torch.cat(out) if out else p.new_zeros(0)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        users, items = torch.broadcast_tensors(users, items)
        p, q = self.table("user")[users], self.table("item")[items]
        conv = self._conv(p.reshape(-1, self.dim), q.reshape(-1, self.dim)).reshape(users.shape)
        return (p * q).sum(-1) + self.item_bias[items] + conv

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        p, q = self.table("user")[users], self.table("item")
        conv = torch.cat([self._conv_grid(p[s:s + 32], q) for s in range(0, p.shape[0], 32)])
        return p @ q.T + self.item_bias + conv

    def _conv_grid(self, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """CNN term of every (user row of p, item row of q) pair, [U, I]: the same numbers as `_conv`, with
        each one-layer convolution of an outer product p q^T written as the matrix product of p's sliding
        windows and the kernel applied to q (one GEMM instead of U x I small convolutions)."""
        if len(self.cnn.conv) != 2:
            items = torch.arange(q.shape[0], device=q.device)
            return self._conv(p.repeat_interleave(q.shape[0], 0), q[items.repeat(p.shape[0])]).reshape(
                p.shape[0], q.shape[0])
        conv, act = self.cnn.conv
        k = conv.kernel_size[0]
        kernel_q = torch.einsum("cbk,ib->kic", conv.weight, q)
        windows = F.pad(p, (k // 2, k // 2)).unfold(1, k, 1)
        h = (windows.reshape(-1, k) @ kernel_q.reshape(k, -1)).reshape(p.shape[0], self.dim, q.shape[0], -1)
        pooled = act(h + conv.bias).amax(dim=1)
        return self.cnn.out(self.cnn.drop(pooled))[..., 0]

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the summed squared norms of rows `users` and `items` and of the items' biases."""
        return (self.user[users].pow(2).sum() + self.item[items].pow(2).sum()
                + self.item_bias[items].pow(2).sum()) / 2


class SumAndSample(NamedTuple):
    """Items of a sum-and-sample estimate and their weights: E_p[f] ~= sum_k weights_k f(items_k)."""

    items: torch.Tensor
    weights: torch.Tensor


def sum_and_sample(
    probs: torch.Tensor, top: int, n_samples: int, *, generator: torch.Generator | None = None,
) -> SumAndSample:
    """Rao-Blackwellised estimate of an expectation under each row of `probs` [B, n] (Liu et al. 2019).

    The `top` most probable items of a row are summed exactly (weight p_c); `n_samples` items drawn with
    replacement from the row restricted to the other items carry the remaining mass (weight
    (1 - p(top)) / n_samples). Unbiased, and never worse in variance than plain sampling; with `top` = 0
    it is plain Monte-Carlo. Returns items [B, top + n_samples] and weights of the same shape.
    """
    if probs.ndim != 2:
        raise ValueError(f"probs must be [batch, n_items], got shape {tuple(probs.shape)}")
    if top < 0 or n_samples < 1:
        raise ValueError(f"top must be >= 0 and n_samples >= 1, got {top} and {n_samples}")
    if top >= probs.shape[1]:
        raise ValueError(f"top must be smaller than the number of items ({probs.shape[1]}), got {top}")
    probs = probs.detach()
    head_p, head = probs.topk(top, dim=1) if top else (probs[:, :0], probs[:, :0].long())
    rest = probs.scatter(1, head, 0.0)
    mass = rest.sum(dim=1, keepdim=True)
    empty = mass[:, 0] <= 0
    rest[empty] = 1.0  # a row whose mass is all in the head: the samples get weight 0
    tail = torch.multinomial(rest, n_samples, replacement=True, generator=generator)
    tail_w = (mass.clamp_min(0.0) / n_samples).expand(-1, n_samples)
    return SumAndSample(torch.cat([head, tail], dim=1), torch.cat([head_p, tail_w], dim=1))


class CALF(RankedByPlayer, Recommender):
    """CALF recommender; after `fit`, `full_scores` are the generator's scores (`scorer="generator"`) or
    the discriminator's. `g_init`/`d_init` start the players' factors from a pre-trained MF (tables or an
    embedding model). `rb_top` items are summed exactly and `n_samples` sampled per user in G's gradient;
    `temperature` sharpens G's softmax when it proposes negatives to D."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 8, *, channels: int | Sequence[int] = (8,),
        kernel_size: int = 3, init_delta: float = 0.05,
        g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, temperature: float = 1.0,
        rb_top: int = 5, n_samples: int = 5, scorer: str = "generator", seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        check_scorer(scorer)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        check_counts(0, rb_top=rb_top)
        check_counts(n_samples=n_samples)
        self.scorer, self.temperature = scorer, float(temperature)
        self.rb_top, self.n_samples = int(rb_top), int(n_samples)
        net = dict(channels=channels, kernel_size=kernel_size)
        self.generator = self._player(g_init, dim, init_delta, seed, net, "g_init")
        self.discriminator = self._player(d_init, dim, init_delta, seed + 1, net, "d_init")

    def _player(self, init: object, dim: int, init_delta: float, seed: int, net: dict,
                name: str) -> ConvLatentScorer:
        if init is None:
            return ConvLatentScorer(self.n_users, self.n_items, dim, init_delta=init_delta, seed=seed, **net)
        model = ConvLatentScorer.from_embeddings(init, seed=seed, **net)
        return check_player_shape(model, self.n_users, self.n_items, name)

    def fit(
        self, train: sp.spmatrix, epochs: int = 10, g_steps: int = 1, d_steps: int = 1, *,
        d_batch: int = 256, g_batch: int = 32, lr_g: float = 1e-3, lr_d: float = 1e-3, reg_g: float = 0.0,
        reg_d: float = 1e-4, optimizer: str = "adam", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the user x item matrix `train` (any stored entry is observed);
        `validate(model)` runs before training and after each epoch. Returns the history (g_loss: G's
        expected reward-cost -E_G[reward] per user; d_loss: D's mean pair-wise loss per observed pair)."""
        check_schedule(epochs, g_steps, d_steps, reg_g, reg_d, d_batch=d_batch, g_batch=g_batch)
        csr = train_matrix(train, self, "train")
        counts = np.diff(csr.indptr)
        users = np.flatnonzero((counts > 0) & (counts < self.n_items - self.rb_top))
        if len(users) == 0:
            raise ValueError("train has no user with an observed item and more than rb_top unobserved ones")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d)

        def d_pass(epoch: int) -> float:
            return self._d_pass(csr, users, opt_d, d_batch, reg_d, rng, gen, epoch)

        def g_pass(epoch: int) -> float:
            return self._g_pass(csr, users, opt_g, g_batch, reg_g, rng, gen, epoch)

        return alternate(self, epochs, d_steps, g_steps, d_pass, g_pass, validate)

    def _positives(self, csr: sp.csr_matrix, chunk: np.ndarray) -> torch.Tensor:
        rows = csr[chunk]
        mask = torch.zeros(len(chunk), self.n_items, dtype=torch.bool, device=self.device)
        mask[torch.as_tensor(np.repeat(np.arange(len(chunk)), np.diff(rows.indptr)), device=self.device),
             torch.as_tensor(rows.indices, device=self.device, dtype=torch.long)] = True
        return mask

    @torch.no_grad()
    def _negatives(self, csr: sp.csr_matrix, users: np.ndarray, gen: torch.Generator) -> np.ndarray:
        """One generated unobserved item per observed (u, i) of `users` (CSR order), from G's softmax."""
        out, counts = [], np.diff(csr.indptr)
        for start in range(0, len(users), 64):
            chunk = users[start:start + 64]
            logits = self.generator.full_scores(torch.as_tensor(chunk, device=self.device))
            logits = logits.masked_fill(self._positives(csr, chunk), float("-inf"))
            probs = torch.softmax(logits / self.temperature, dim=1)
            drawn = torch.multinomial(probs, int(counts[chunk].max()), replacement=True, generator=gen)
            keep = np.arange(drawn.shape[1])[None, :] < counts[chunk][:, None]
            out.append(drawn.cpu().numpy()[keep])
        return np.concatenate(out)

    def _d_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        keep = np.isin(rows, users)
        u, pos, neg = rows[keep], csr.indices[keep], self._negatives(csr, users, gen)
        d, dev, total = self.discriminator, self.device, 0.0
        order = rng.permutation(len(u))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            bu, bp, bn = (torch.as_tensor(a[idx], device=dev, dtype=torch.long) for a in (u, pos, neg))
            loss = F.softplus(d.score(bu, bn) - d.score(bu, bp)).sum()
            total += check_finite(loss.item(), "CALF discriminator loss", epoch)
            opt.zero_grad()
            ((loss + reg * d.l2(bu, torch.cat([bp, bn]))) / len(idx)).backward()
            opt.step()
        return total / len(order)

    def _g_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        order, costs, dev = rng.permutation(users), [], self.device
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            bu = torch.as_tensor(chunk, device=dev)
            positives = self._positives(csr, chunk)
            log_p = torch.log_softmax(self.generator.full_scores(bu).masked_fill(positives, float("-inf")), 1)
            est = sum_and_sample(log_p.exp(), self.rb_top, self.n_samples, generator=gen)
            # each generated item is paired with one of the user's observed items, drawn uniformly
            paired = torch.multinomial(positives.float(), est.items.shape[1], replacement=True, generator=gen)
            with torch.no_grad():
                uu = bu[:, None].expand_as(est.items)
                reward = F.softplus(self.discriminator.score(uu, est.items)
                                    - self.discriminator.score(uu, paired))
                expected = (est.weights * reward).sum(dim=1, keepdim=True)
            k = est.items.shape[1]
            advantage = reward - expected
            loss = reinforce_loss(log_p.gather(1, est.items), advantage, None, weights=est.weights) * k
            costs.append(check_finite(-expected.sum().item(), "CALF generator cost", epoch))
            opt.zero_grad()
            (loss * len(chunk) + reg * self.generator.l2(bu, est.items.reshape(-1))).backward()
            opt.step()
        return float(np.sum(costs) / len(order))
