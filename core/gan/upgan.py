"""UPGAN (He, Li, Zhao, Liu, Wen; WWW 2020): knowledge-graph completion helped by user-item interactions,
trained adversarially.

Knowledge-graph completion ranks the tail entities t of a query (h, r, ?). The generator G is a KG-only
DistMult model, isolated from the interaction data: for each training triple it draws `n_samples` hard
negative tails from a pool of `n_candidates` random entities with probabilities (1 - smooth) softmax(G)
+ smooth * uniform (the official code's `lambda_smooth` mixing), and follows the REINFORCE gradient of the
reward sigmoid(D(h, r, t')) (the official `reward_type="sigmoid"`). The discriminator D scores a tail by
q . e_t with the query q = MLP([e_h * w_r, u_h]), where u_h is the *user preference* of h: the mean
embedding of the users who interacted with the item aligned with h (zero for entities without an item).
D minimises the label-smoothed BCE of true tails (target 1 - eps) against G's samples (target eps / 1024),
summed as in the official code. With `use_users=False` D ignores u_h (the KG-only ablation).

Simplified from the official code: u_h is one hop of mean aggregation of learned user embeddings, where
UPGAN learns user and entity representations with a two-stage graph neural network over the
interaction-augmented KG; no gradient clipping or embedding normalisation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import MLPNet
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
from advrec.models.seeding import seeded


def _check_triples(triples: np.ndarray, n_entities: int, n_relations: int, name: str) -> np.ndarray:
    triples = np.asarray(triples, dtype=np.int64)
    if triples.ndim != 2 or triples.shape[1] != 3 or not len(triples):
        raise ValueError(f"{name} must be a non-empty (E, 3) array of (head, relation, tail), got shape "
                         f"{triples.shape}")
    for col, limit, what in ((0, n_entities, "head"), (1, n_relations, "relation"), (2, n_entities, "tail")):
        if triples[:, col].min() < 0 or triples[:, col].max() >= limit:
            raise ValueError(f"{name}: {what} ids must be in [0, {limit}), got [{triples[:, col].min()}, "
                             f"{triples[:, col].max()}]")
    return triples


class DistMult(nn.Module):
    """DistMult triple scorer f(h, r, t) = sum(e_h * w_r * e_t): UPGAN's KG-only generator."""

    def __init__(self, n_entities: int, n_relations: int, dim: int) -> None:
        super().__init__()
        self.entity = nn.Parameter(torch.randn(n_entities, dim) * 0.1)
        self.relation = nn.Parameter(torch.randn(n_relations, dim) * 0.1)

    def query(self, heads: torch.Tensor, relations: torch.Tensor) -> torch.Tensor:
        return self.entity[heads] * self.relation[relations]


class UPGAN(nn.Module):
    """UPGAN over `n_entities` entities and `n_relations` relations; `item_users` [n_entities, n_users] marks
    which users interacted with the item aligned with each entity (rows of unaligned entities are empty)."""

    def __init__(
        self, n_entities: int, n_relations: int, item_users: sp.spmatrix, dim: int = 32, *,
        hidden: int = 64, use_users: bool = True, smooth: float = 0.5, seed: int = 0,
    ) -> None:
        super().__init__()
        if n_entities <= 0 or n_relations <= 0 or dim <= 0:
            raise ValueError(f"n_entities, n_relations and dim must be positive, got {n_entities}, "
                             f"{n_relations} and {dim}")
        if not sp.issparse(item_users) or item_users.shape[0] != n_entities:
            raise ValueError(f"item_users must be a sparse [n_entities={n_entities}, n_users] matrix, got "
                             f"{getattr(item_users, 'shape', type(item_users).__name__)}")
        if not 0.0 <= smooth <= 1.0:
            raise ValueError(f"smooth must be in [0, 1], got {smooth}")
        self.n_entities, self.n_relations = n_entities, n_relations
        self.use_users, self.smooth = use_users, float(smooth)
        csr = sp.csr_matrix(item_users, dtype=np.float32)
        csr.data[:] = 1.0
        degree = np.asarray(csr.sum(axis=1)).ravel()
        self._mean_users = sp.csr_matrix(sp.diags(1.0 / np.maximum(degree, 1.0)) @ csr, dtype=np.float32)
        with seeded(seed):
            self.generator = DistMult(n_entities, n_relations, dim)
            self.entity = nn.Parameter(torch.randn(n_entities, dim) * 0.1)
            self.relation = nn.Parameter(torch.randn(n_relations, dim) * 0.1)
            self.user = nn.Parameter(torch.randn(csr.shape[1], dim) * 0.1)
            self.combine = MLPNet(2 * dim, dim, hidden=hidden, activation="relu")

    def preference(self, heads: torch.Tensor) -> torch.Tensor:
        """u_h: the mean embedding of the users who interacted with each head's item (zero if none)."""
        if not self.use_users:
            return torch.zeros(len(heads), self.user.shape[1], device=self.user.device)
        rows = self._mean_users[heads.cpu().numpy()].tocoo()
        weights = torch.sparse_coo_tensor(np.vstack([rows.row, rows.col]), rows.data, rows.shape,
                                          device=self.user.device, check_invariants=True)
        return torch.sparse.mm(weights, self.user)

    def query(self, heads: torch.Tensor, relations: torch.Tensor) -> torch.Tensor:
        """D's query vector q = MLP([e_h * w_r, u_h])."""
        base = self.entity[heads] * self.relation[relations]
        return self.combine(torch.cat([base, self.preference(heads)], dim=1))

    @torch.no_grad()
    def tail_scores(self, heads: np.ndarray, relations: np.ndarray,
                    player: str = "discriminator") -> np.ndarray:
        """Scores of every entity as the tail of each (head, relation): [len(heads), n_entities]."""
        h = torch.as_tensor(np.asarray(heads, dtype=np.int64), device=self.entity.device)
        r = torch.as_tensor(np.asarray(relations, dtype=np.int64), device=self.entity.device)
        if player == "discriminator":
            return (self.query(h, r) @ self.entity.T).cpu().numpy()
        if player == "generator":
            return (self.generator.query(h, r) @ self.generator.entity.T).cpu().numpy()
        raise ValueError(f"player must be 'discriminator' or 'generator', got {player!r}")

    def fit(
        self, triples: np.ndarray, epochs: int = 20, *, batch: int = 256, n_candidates: int = 64,
        n_samples: int = 8, pretrain_epochs: int = 5, lr_d: float = 1e-3, lr_g: float = 1e-3,
        eps: float = 0.1, adversarial: bool = True, ranges: Sequence[np.ndarray] | None = None, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Pre-train G on the triples for `pretrain_epochs`, then alternate one D and one G step per batch
        for `epochs`. Each triple's candidate pool is drawn from all entities, or from `ranges[r]` (the
        entities that can be a tail of relation r) when given. `adversarial=False` trains D on uniformly
        drawn negatives and leaves G out (the non-adversarial ablation). Returns the history (g_loss: G's
        REINFORCE loss; d_loss: D's BCE)."""
        check_counts(epochs=epochs, batch=batch, n_candidates=n_candidates, n_samples=n_samples)
        check_counts(0, pretrain_epochs=pretrain_epochs)
        if n_samples > n_candidates:
            raise ValueError(f"n_samples ({n_samples}) must be <= n_candidates ({n_candidates})")
        if not 0.0 <= eps < 1.0:
            raise ValueError(f"eps (label smoothing) must be in [0, 1), got {eps}")
        triples = _check_triples(triples, self.n_entities, self.n_relations, "triples")
        if ranges is None:
            ranges = [np.arange(self.n_entities)] * self.n_relations
        ranges = [np.asarray(x, dtype=np.int64) for x in ranges]
        if len(ranges) != self.n_relations or any(len(x) == 0 or x.min() < 0 or x.max() >= self.n_entities
                                                  for x in ranges):
            raise ValueError(f"ranges must hold one non-empty array of entity ids per relation "
                             f"({self.n_relations})")
        dev = self.entity.device
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, dev)
        own = [p for name, p in self.named_parameters() if not name.startswith("generator")]
        opt_d = make_optimizer("adam", own, lr_d)
        opt_g = make_optimizer("adam", self.generator.parameters(), lr_g)
        for epoch in range(1, pretrain_epochs + 1):
            for h, r, t, pool in self._batches(triples, batch, n_candidates, ranges, rng):
                loss = self._bce(self.generator.query(h, r), self.generator.entity, t, pool, eps)
                check_finite(loss.item(), "UPGAN generator pre-training loss", epoch)
                opt_g.zero_grad()
                loss.backward()
                opt_g.step()
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_losses, g_losses = [], []
            for h, r, t, pool in self._batches(triples, batch, n_candidates, ranges, rng):
                logits = self.generator.query(h, r)[:, None, :].mul(self.generator.entity[pool]).sum(-1)
                probs = (1 - self.smooth) * torch.softmax(logits, dim=1) + self.smooth / pool.shape[1]
                if adversarial:
                    picked = torch.multinomial(probs.detach(), n_samples, replacement=False, generator=gen)
                else:
                    picked = torch.arange(n_samples, device=dev).expand(len(h), -1)  # the pool is uniform
                negatives = pool.gather(1, picked)
                d_loss = self._bce(self.query(h, r), self.entity, t, negatives, eps)
                d_losses.append(check_finite(d_loss.item(), "UPGAN discriminator loss", epoch))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                if not adversarial:
                    continue
                with torch.no_grad():
                    rewards = torch.sigmoid((self.query(h, r)[:, None, :] * self.entity[negatives]).sum(-1))
                log_p = torch.log_softmax(logits, dim=1).gather(1, picked)
                g_loss = -(rewards * log_p).sum(dim=1).mean()
                g_losses.append(check_finite(g_loss.item(), "UPGAN generator loss", epoch))
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    def _batches(self, triples: np.ndarray, batch: int, n_candidates: int, ranges: list[np.ndarray],
                 rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, ...]]:
        dev = self.entity.device
        order = rng.permutation(len(triples))
        for start in range(0, len(order), batch):
            rows = triples[order[start:start + batch]]
            pool = np.empty((len(rows), n_candidates), dtype=np.int64)
            for r in np.unique(rows[:, 1]):
                mine = rows[:, 1] == r
                pool[mine] = rng.choice(ranges[r], size=(int(mine.sum()), n_candidates))
            h, r, t = (torch.as_tensor(rows[:, k], device=dev) for k in range(3))
            yield h, r, t, torch.as_tensor(pool, device=dev)

    @staticmethod
    def _bce(query: torch.Tensor, table: torch.Tensor, tails: torch.Tensor, negatives: torch.Tensor,
             eps: float) -> torch.Tensor:
        pos = (query * table[tails]).sum(-1)
        neg = (query[:, None, :] * table[negatives]).sum(-1)
        loss_pos = F.binary_cross_entropy_with_logits(pos, torch.full_like(pos, 1.0 - eps), reduction="sum")
        loss_neg = F.binary_cross_entropy_with_logits(neg, torch.full_like(neg, eps / 1024), reduction="sum")
        return (loss_pos + loss_neg) / len(tails)


def filtered_ranks(scores: np.ndarray, tails: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The filtered rank (1 = best) of each true tail among all entities: other known true tails of the same
    query (`known[i]`, a bool row over entities) are left out; ties count against the true tail."""
    scores, tails, known = np.asarray(scores, dtype=float), np.asarray(tails), np.asarray(known, dtype=bool)
    if scores.shape != known.shape or scores.shape[0] != len(tails):
        raise ValueError(f"scores {scores.shape}, known {known.shape} and tails ({len(tails)},) must align")
    target = scores[np.arange(len(tails)), tails]
    above = (scores >= target[:, None]) & ~known
    above[np.arange(len(tails)), tails] = False
    return above.sum(axis=1) + 1
