"""ATLRec, an attentional adversarial transfer learning network for cross-domain recommendation (Li, Xu,
Zhao, Fang, Chen and Zhao, J. Comput. Sci. Technol. 2020; the survey's Table 5 prints "ALTRec"),
reconstructed from the paper's abstract: users linked across a source domain S and a target domain T share
one embedding; an interaction (u, i) of either domain is represented by [p_u, q_i] and passed through a
shared feature extractor and the domain's private one; a discriminator tries to tell from the shared
features which domain an interaction comes from while the shared extractor learns to fool it, so the
shared features carry only domain-sharable knowledge; each domain scores from [shared, private] features.

Here:
- item latent factors are attentional: q_i = e_i + sum_u a_iu p_u over up to `neighbors` of the item's
  training users (sampled once per fit), a_iu = softmax_u(p_u . W e_i / sqrt(dim)), so items of both domains
  live in the users' space;
- the extractors are one-layer auto-encoders (Table 5's AE generator): the tanh code is the feature and
  `recon_weight` times the squared reconstruction error of [p_u, q_i] regularises it;
- training is pair-wise: a BPR loss per domain on (u, i+, i-) triples with an unseen uniform negative;
- the discriminator (an MLP) learns S features (label 1) against T features (label 0) with BCE; the
  extractors and embeddings minimise the BPR losses plus `adv_weight` times the BCE with swapped labels.
`full_scores(users)` are the target-domain scores over the T items.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    run_validate,
    shuffled_batches,
)
from advrec.models.base import Recommender
from advrec.models.seeding import normal_table, seeded

DOMAINS = ("S", "T")


def item_neighbours(matrix: sp.csr_matrix, size: int, rng: np.random.Generator) -> np.ndarray:
    """[n_items, size] user ids of up to `size` users of each item column of the user x item `matrix`,
    drawn without replacement (all of them when fewer), padded with -1."""
    csc = sp.csc_matrix(matrix)
    out = np.full((csc.shape[1], size), -1, dtype=np.int64)
    for item in range(csc.shape[1]):
        users = csc.indices[csc.indptr[item]:csc.indptr[item + 1]]
        if users.size > size:
            users = rng.choice(users, size, replace=False)
        out[item, :users.size] = users
    return out


def seen_keys(matrix: sp.csr_matrix) -> np.ndarray:
    """The sorted keys user * n_items + item of the stored entries of the user x item `matrix`."""
    rows, cols = matrix.nonzero()
    return np.sort(rows.astype(np.int64) * matrix.shape[1] + cols)


def unseen_negatives(keys: np.ndarray, n_items: int, users: np.ndarray, rng: np.random.Generator,
                     tries: int = 50) -> np.ndarray:
    """One uniform item in [0, n_items) per user in `users` whose key (`seen_keys`) is not seen; after
    `tries` redraws an item is kept even if seen, so a user who has every item cannot stall."""
    items = rng.integers(0, n_items, size=len(users))
    for _ in range(tries):
        probe = users * n_items + items
        pos = np.searchsorted(keys, probe)
        seen = (pos < keys.size) & (keys[np.minimum(pos, keys.size - 1)] == probe)
        if not seen.any():
            break
        items[seen] = rng.integers(0, n_items, size=int(seen.sum()))
    return items


class _AutoEncoder(nn.Module):
    """A one-layer auto-encoder of an interaction [p_u, q_i] (2 dim -> tanh code of dim -> 2 dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(2 * dim, dim)
        self.decoder = nn.Linear(dim, 2 * dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.encoder(x))


class ATLRec(Recommender):
    """ATLRec over `n_users` linked users, `n_items` target-domain items and `n_source_items` source-domain
    items; after `fit`, `full_scores` are target-domain scores."""

    def __init__(
        self, n_users: int, n_items: int, n_source_items: int, *, dim: int = 32, neighbors: int = 20,
        d_hidden: int = 32, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if min(n_source_items, dim, neighbors, d_hidden) <= 0:
            raise ValueError(f"n_source_items, dim, neighbors and d_hidden must be positive, "
                             f"got {n_source_items}, {dim}, {neighbors}, {d_hidden}")
        self.dim, self.neighbors, self.n_source_items = dim, neighbors, n_source_items
        with seeded(seed):
            self.user = normal_table(n_users, dim, 0.1)
            self.item = nn.ParameterDict({"S": normal_table(n_source_items, dim, 0.1),
                                          "T": normal_table(n_items, dim, 0.1)})
            self.attention = nn.Linear(dim, dim, bias=False)
            self.extractor = nn.ModuleDict({name: _AutoEncoder(dim) for name in ("shared", *DOMAINS)})
            self.head = nn.ModuleDict({d: nn.Linear(2 * dim, 1) for d in DOMAINS})
            self.discriminator = MLPNet(dim, 1, hidden=(d_hidden,), activation="relu")
        self.register_buffer("neighbours_S", torch.full((n_source_items, neighbors), -1, dtype=torch.long))
        self.register_buffer("neighbours_T", torch.full((n_items, neighbors), -1, dtype=torch.long))

    def item_factors(self, domain: str, items: torch.Tensor) -> torch.Tensor:
        """Attentional latent factors q_i of `items` of `domain` ("S" or "T"), [len(items), dim]."""
        if domain not in DOMAINS:
            raise ValueError(f"domain must be 'S' or 'T', got {domain!r}")
        own = self.item[domain][items]
        nb = getattr(self, f"neighbours_{domain}")[items]
        mask = nb >= 0
        users = self.user[nb.clamp(min=0)]
        logits = (users @ self.attention(own).unsqueeze(-1)).squeeze(-1) / math.sqrt(self.dim)
        alpha = torch.softmax(logits.masked_fill(~mask, -1e9), dim=-1) * mask
        return own + (alpha.unsqueeze(-1) * users).sum(1)

    def _features(
        self, users: torch.Tensor, factors: torch.Tensor, domain: str,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(scores, shared codes, reconstruction error) of the interactions (users[k], factors[k])."""
        x = torch.cat([self.user[users], factors], dim=-1)
        shared = self.extractor["shared"].encode(x)
        private = self.extractor[domain].encode(x)
        recon = (F.mse_loss(self.extractor["shared"].decoder(shared), x.detach())
                 + F.mse_loss(self.extractor[domain].decoder(private), x.detach()))
        return self.head[domain](torch.cat([shared, private], dim=-1)).squeeze(-1), shared, recon

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self._features(users, self.item_factors("T", items), "T")[0]

    def full_scores(self, users: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        # The encoders' first layer is linear in [p_u, q_i]: its user and item halves are computed once.
        factors = self.item_factors("T", torch.arange(self.n_items, device=self.device))
        head = self.head["T"]
        parts = []
        for part in users.split(chunk):
            codes = []
            for name in ("shared", "T"):
                layer = self.extractor[name].encoder
                w_user, w_item = layer.weight[:, :self.dim], layer.weight[:, self.dim:]
                codes.append(torch.tanh((self.user[part] @ w_user.T)[:, None, :]
                                        + (factors @ w_item.T + layer.bias)[None, :, :]))
            parts.append((torch.cat(codes, dim=-1) @ head.weight[0]) + head.bias)
        return torch.cat(parts) if parts else torch.zeros(0, self.n_items, device=self.device)

    def _bpr(self, domain: str, users: np.ndarray, pos: np.ndarray, neg: np.ndarray,
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        dev = self.device
        u = torch.as_tensor(users, device=dev)
        items = torch.as_tensor(np.concatenate([pos, neg]), device=dev)
        scores, shared, recon = self._features(u.repeat(2), self.item_factors(domain, items), domain)
        s_pos, s_neg = scores.chunk(2)
        return -F.logsigmoid(s_pos - s_neg).mean(), shared[:len(users)], recon

    def fit(
        self, source: sp.spmatrix, target: sp.spmatrix, epochs: int = 10, *, batch: int = 512,
        lr: float = 1e-3, lr_d: float = 1e-3, reg: float = 1e-4, recon_weight: float = 0.1,
        adv_weight: float = 0.1, seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x S-item matrix `source` and the user x T-item matrix `target` (same users).
        An epoch runs over the target pairs in batches, each paired with as many random source pairs; per
        batch one step of the discriminator, then one of the rest. Returns the history (g_loss: the
        recommender's total loss, d_loss: the discriminator's BCE)."""
        check_counts(epochs=epochs, batch=batch)
        for name, value in (("reg", reg), ("recon_weight", recon_weight), ("adv_weight", adv_weight)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        mats = {"S": sp.csr_matrix(source, dtype=np.float32), "T": sp.csr_matrix(target, dtype=np.float32)}
        for d, n in (("S", self.n_source_items), ("T", self.n_items)):
            if mats[d].shape != (self.n_users, n):
                name = "source" if d == "S" else "target"
                raise ValueError(f"{name} has shape {mats[d].shape}, expected ({self.n_users}, {n})")
            if mats[d].nnz == 0:
                raise ValueError(f"{'source' if d == 'S' else 'target'} has no interaction to train on")
        rng = np.random.default_rng(seed)
        for d in DOMAINS:
            table = item_neighbours(mats[d], self.neighbors, rng)
            getattr(self, f"neighbours_{d}").copy_(torch.as_tensor(table))
        pairs = {d: np.stack(mats[d].nonzero()).T.astype(np.int64) for d in DOMAINS}
        keys = {d: seen_keys(mats[d]) for d in DOMAINS}
        rec_params = [p for name, p in self.named_parameters() if not name.startswith("discriminator.")]
        opt = make_optimizer("adam", rec_params, lr)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start, g_sum, d_sum, steps = time.perf_counter(), 0.0, 0.0, 0
            for idx in shuffled_batches(len(pairs["T"]), batch, rng):
                batches = {"T": pairs["T"][idx], "S": pairs["S"][rng.integers(0, len(pairs["S"]), len(idx))]}
                out = {d: self._bpr(d, b[:, 0], b[:, 1],
                                    unseen_negatives(keys[d], mats[d].shape[1], b[:, 0], rng))
                       for d, b in batches.items()}
                d_loss = discriminator_loss(self.discriminator(out["S"][1].detach()),
                                            self.discriminator(out["T"][1].detach()))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                loss = sum(o[0] + recon_weight * o[2] for o in out.values())
                if reg > 0:
                    loss = loss + reg * sum(self.user[b[:, 0]].pow(2).sum(1).mean() for b in batches.values())
                if adv_weight > 0:
                    loss = loss + adv_weight * discriminator_loss(self.discriminator(out["T"][1]),
                                                                  self.discriminator(out["S"][1]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                g_sum += check_finite(loss.item(), "ATLRec recommender loss", epoch)
                d_sum += check_finite(d_loss.item(), "ATLRec discriminator loss", epoch)
                steps += 1
            history.record(g_sum / steps, d_sum / steps, run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
