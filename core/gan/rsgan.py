"""RSGAN (Yu, Gao, Yin, Li, Gao, Wang; ICDM 2019): generating reliable friends for social recommendation.

A generator proposes, for each user, a "reliable friend" and, among that friend's items, one item; a BPR
discriminator ranks items for the user and must place the user's observed item above the friend's item and
the friend's item above a random unobserved one. As in the authors' code (RecQ, `RSGAN.py`):
- G: a CDAE-style auto-encoder over the user's seeded-friend vector (sigmoid hidden layer plus a per-user
  embedding, pre-trained by reconstruction), whose output over users is sampled by Gumbel-softmax
  (temperature 0.1) into a relaxed one-hot friend; the friend's items (its row of the training matrix,
  relaxed by the same weights) are re-weighted by a learnt per-user item-selection table and sampled by
  Gumbel-softmax again into a relaxed one-hot item k, whose embedding is the mix of item embeddings.
- D: BPR embeddings, loss -log sigmoid(x_ui - x_uk) - log sigmoid(x_uk - x_uj) + reg L2 (i observed, j a
  random unobserved item); G minimises `g_weight` * (x_ui - x_uk) (the code's factor 30); each batch of
  (u, i, j) triples updates G then D; recommendations rank by D's x_ui = p_u . q_i.
Differences from the code, chosen for clarity: Gumbel noise is added to logits (the code adds it to
probabilities), the generator is pre-trained with the plain reconstruction cross-entropy, and the seeded
friends come from `seeded_friends` (explicit trust links plus the most similar users by co-rated items)
instead of the code's meta-path random walks embedded with word2vec.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.samplers import gumbel_softmax
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
from advrec.models.base import EmbeddingRecommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix


def seeded_friends(train: sp.spmatrix, trust: np.ndarray, n_similar: int = 30) -> sp.csr_matrix:
    """Binary user x user matrix of each user's seeded friends: the explicit trust links in both directions
    plus the `n_similar` users with the highest cosine similarity of training rows (never the user)."""
    csr = sp.csr_matrix(train, dtype=np.float32)
    n = csr.shape[0]
    edges = np.asarray(trust, dtype=np.int64).reshape(-1, 2)
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"trust edges must hold user ids in [0, {n}), "
                         f"got range [{edges.min()}, {edges.max()}]")
    if n_similar < 0:
        raise ValueError(f"n_similar must be >= 0, got {n_similar}")
    links = sp.coo_matrix((np.ones(len(edges), dtype=np.float32), (edges[:, 0], edges[:, 1])), shape=(n, n))
    friends = (links + links.T).tocsr()
    if n_similar:
        binary = csr.copy()
        binary.data[:] = 1.0
        norms = np.sqrt(np.asarray(binary.sum(axis=1)).ravel()).clip(min=1e-12)
        sim = (binary @ binary.T).toarray() / norms[:, None] / norms[None, :]
        np.fill_diagonal(sim, -np.inf)
        top = np.argpartition(-sim, min(n_similar, n - 1) - 1, axis=1)[:, :min(n_similar, n - 1)]
        rows = np.repeat(np.arange(n), top.shape[1])
        friends = friends + sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, top.ravel())),
                                          shape=(n, n))
    friends.setdiag(0)
    friends.eliminate_zeros()
    friends.data[:] = 1.0
    return friends.tocsr()


class RSGAN(EmbeddingRecommender):
    """RSGAN social recommender; `full_scores` are the discriminator's BPR scores p_u . q_i."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 50, *, hidden: int = 200, temperature: float = 0.1,
        g_weight: float = 30.0, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if dim <= 0 or hidden <= 0:
            raise ValueError(f"dim and hidden must be positive, got {dim} and {hidden}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if g_weight < 0:
            raise ValueError(f"g_weight must be >= 0, got {g_weight}")
        self.temperature, self.g_weight = float(temperature), float(g_weight)
        with seeded(seed):
            self.encoder = nn.Linear(n_users, hidden)
            self.decoder = nn.Linear(hidden, n_users)
            self.user_code = nn.Parameter(torch.empty(n_users, hidden))
            self.user = nn.Parameter(torch.empty(n_users, dim))
            self.item = nn.Parameter(torch.empty(n_items, dim))
            for weight in (self.encoder.weight, self.decoder.weight, self.user_code, self.user, self.item):
                nn.init.xavier_uniform_(weight)
        self.item_selection = nn.Parameter(torch.full((n_users, n_items), 0.01))

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.table("user")[users] * self.table("item")[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.table("user")[users] @ self.table("item").T

    def friend_logits(self, users: torch.Tensor, profiles: torch.Tensor) -> torch.Tensor:
        """G's logits over users (candidate friends) from the users' seeded-friend vectors [B, n_users]."""
        code = torch.sigmoid(self.encoder(profiles) + self.user_code[users])
        return self.decoder(code)

    def generate(self, users: torch.Tensor, profiles: torch.Tensor, interactions: torch.Tensor,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Relaxed one-hot friend items [B, n_items]: a Gumbel-softmax friend, then a Gumbel-softmax item
        among that friend's items (`interactions` is the sparse user x item training matrix)."""
        friend = gumbel_softmax(self.friend_logits(users, profiles), self.temperature, generator=generator)
        candidates = torch.sparse.mm(interactions.t(), friend.t()).t()
        logits = self.item_selection[users] + torch.log(candidates.clamp_min(1e-8))
        return gumbel_softmax(logits, self.temperature, generator=generator)

    def fit(
        self, train: sp.spmatrix, friends: sp.spmatrix, epochs: int = 20, *, pretrain_epochs: int = 30,
        batch: int = 512, lr: float = 1e-3, reg: float = 1e-3, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Pre-train G on the seeded-friend matrix `friends` (user x user), then train G and D on batches of
        (u, i, j) triples from `train` (user x item, any stored entry observed). Returns the history (g_loss:
        mean x_ui - x_uk; d_loss: mean D loss per triple)."""
        check_counts(0, pretrain_epochs=pretrain_epochs)
        check_counts(epochs=epochs, batch=batch)
        if reg < 0:
            raise ValueError(f"reg must be >= 0, got {reg}")
        csr = train_matrix(train, self, "train")
        csr.data[:] = 1.0
        if not sp.issparse(friends) or friends.shape != (self.n_users, self.n_users):
            raise ValueError(f"friends must be a sparse ({self.n_users}, {self.n_users}) user x user matrix, "
                             f"got {getattr(friends, 'shape', type(friends).__name__)}")
        if csr.nnz == 0:
            raise ValueError("train has no observed item")
        dev = self.device
        profiles = torch.as_tensor((sp.csr_matrix(friends) != 0).toarray(), dtype=torch.float32, device=dev)
        coo = csr.tocoo()
        interactions = torch.sparse_coo_tensor(np.vstack([coo.row, coo.col]), coo.data, csr.shape,
                                               dtype=torch.float32, device=dev,
                                               check_invariants=True).coalesce()
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, dev)
        g_params = [*self.encoder.parameters(), *self.decoder.parameters(), self.user_code,
                    self.item_selection]
        opt_g = make_optimizer("adam", g_params, lr)
        opt_d = make_optimizer("adam", [self.user, self.item], lr)
        users_all = np.arange(self.n_users)
        for _ in range(pretrain_epochs):
            for idx in np.array_split(rng.permutation(users_all), max(1, self.n_users // batch)):
                u = torch.as_tensor(idx, device=dev)
                loss = F.binary_cross_entropy_with_logits(self.friend_logits(u, profiles[u]), profiles[u],
                                                          reduction="sum") / len(idx)
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            g_losses, d_losses = [], []
            for u, i, j in _triples(csr, batch, rng):
                u, i, j = (torch.as_tensor(a, device=dev) for a in (u, i, j))
                k = self.generate(u, profiles[u], interactions, gen) @ self.item
                x_ui = (self.user[u] * self.item[i]).sum(-1)
                x_uk = (self.user[u] * k).sum(-1)
                g_loss = (x_ui - x_uk).mean()
                g_losses.append(check_finite(g_loss.item(), "RSGAN generator loss", epoch))
                opt_g.zero_grad()
                (self.g_weight * g_loss).backward()
                opt_g.step()
                with torch.no_grad():
                    picked = self.generate(u, profiles[u], interactions, gen)
                x_ui = (self.user[u] * self.item[i]).sum(-1)
                x_uk = (self.user[u] * (picked @ self.item)).sum(-1)
                x_uj = (self.user[u] * self.item[j]).sum(-1)
                d_loss = (F.softplus(x_uk - x_ui) + F.softplus(x_uj - x_uk)).mean()
                d_losses.append(check_finite(d_loss.item(), "RSGAN discriminator loss", epoch))
                penalty = (self.user[u].pow(2).sum() + self.item[i].pow(2).sum()
                           + self.item[j].pow(2).sum()) / (2 * len(u))
                opt_d.zero_grad()
                (d_loss + reg * penalty).backward()
                opt_d.step()
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history


def _triples(csr: sp.csr_matrix, batch: int,
             rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of (user, observed item, unobserved item) over every observed pair in random order."""
    users = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    items = csr.indices.astype(np.int64)
    order = rng.permutation(len(users))
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        u, i = users[idx], items[idx]
        j = rng.integers(0, csr.shape[1], len(u))
        seen = np.asarray(csr[u, j]).ravel() > 0
        while seen.any():
            j[seen] = rng.integers(0, csr.shape[1], int(seen.sum()))
            seen = np.asarray(csr[u, j]).ravel() > 0
        yield u, i, j
