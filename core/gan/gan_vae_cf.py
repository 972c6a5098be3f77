"""GAN-VAE-CF / Long-Tail-GAN (Krishnan, Sharma, Sankar, Sundaram; CIKM 2018): adversarial training of a
neural CF model (VAE-CF, i.e. Mult-VAE) to raise its long-tail (niche) item recall.

The items are split into popular and niche ones. The discriminator D learns the association structure
of the feedback data: it scores (popular item, niche item) pairs, real pairs being each training user's
niche items paired with the user's popular item of largest overlap coefficient |U_a & U_b| / min(|U_a|,
|U_b|) (U_a: the users of item a); fake pairs are niche items that the generator G (the Mult-VAE) samples
for the user, paired with a random popular item of the user. G's candidates are the user's niche items
plus the max(2 n, 10 - n) other niche items of largest overlap with them (n: the user's niche count); it
draws n of them without replacement, with probability proportional to its softmax. G minimises its
negative ELBO minus lambda / #samples * sum over its samples of softmax(j) * D(pop, j), so it raises the
probability of the niche items D finds plausible for the user.

As in the authors' code (github.com/ash-shar/Long-Tail-GAN, Codes/): D embeds one-hot items (h0), passes
the popular item through a tanh layer (h1) and the niche item through another (h2), then a tanh layer
(h3) and a sigmoid output, with dropout 0.3 and N(0, 0.1^2) weights; each epoch G draws its samples once,
then D and G each make `d_steps` / `g_steps` passes over the same user batches (Adam, one learning rate),
G's KL weight annealed as in VAE-CF. Differences: G's samples are drawn from its deterministic output (the
code keeps G's input dropout on), and D's loss is the mean rather than the sum of its log-losses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss
from advrec.gan.networks import kl_divergence
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
)
from advrec.models.base import Recommender
from advrec.models.mult_vae import MultVAE
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


def overlap_coefficients(train: sp.spmatrix) -> np.ndarray:
    """Item x item overlap coefficients |U_a & U_b| / min(|U_a|, |U_b|) of a user x item matrix (any stored
    entry is an interaction), float32; 0 where an item has no user."""
    csr = sp.csr_matrix(train, dtype=np.float64, copy=True)
    csr.data[:] = 1.0
    csr.sum_duplicates()
    csr.data[:] = 1.0
    common = (csr.T @ csr).toarray()
    degree = np.diag(common).copy()
    smaller = np.minimum(degree[:, None], degree[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(smaller > 0, common / smaller, 0.0).astype(np.float32)


class LongTailDiscriminator(nn.Module):
    """D(popular, niche): item embedding (h0) -> tanh branch per role (h1 popular, h2 niche) -> tanh (h3)
    -> one logit per pair."""

    def __init__(self, n_items: int, sizes: tuple[int, int, int, int] = (100, 150, 250, 300), *,
                 dropout: float = 0.3) -> None:
        super().__init__()
        if n_items <= 0 or len(sizes) != 4 or any(int(s) <= 0 for s in sizes):
            raise ValueError(f"need n_items > 0 and four positive layer sizes (h0, h1, h2, h3), "
                             f"got n_items={n_items}, sizes={sizes!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        h0, h1, h2, h3 = (int(s) for s in sizes)
        self.embedding = nn.Embedding(n_items, h0)
        self.popular = nn.Sequential(nn.Linear(h0, h1), nn.Tanh(), nn.Dropout(dropout))
        self.niche = nn.Sequential(nn.Linear(h0, h2), nn.Tanh(), nn.Dropout(dropout))
        self.head = nn.Sequential(nn.Linear(h1 + h2, h3), nn.Tanh(), nn.Dropout(dropout), nn.Linear(h3, 1))
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.trunc_normal_(module.weight, std=0.1, a=-0.2, b=0.2)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, popular: torch.Tensor, niche: torch.Tensor) -> torch.Tensor:
        h = torch.cat([self.popular(self.embedding(popular)), self.niche(self.embedding(niche))], dim=1)
        return self.head(h).squeeze(1)


@dataclass(frozen=True)
class _Pairs:
    """(user, popular item, niche item) triples sorted by user, with per-user offsets into them."""

    users: np.ndarray
    popular: np.ndarray
    niche: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    @classmethod
    def build(cls, users: np.ndarray, popular: np.ndarray, niche: np.ndarray, n_users: int) -> _Pairs:
        order = np.argsort(users, kind="stable")
        users, popular, niche = users[order], popular[order], niche[order]
        counts = np.bincount(users, minlength=n_users)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return cls(users, popular, niche, starts, counts)

    def of(self, users: np.ndarray) -> np.ndarray:
        """Indices of the pairs of `users` (in the given user order)."""
        counts = self.counts[users]
        if counts.sum() == 0:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(self.starts[users] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return offsets + np.arange(counts.sum())


class GANVAECF(Recommender):
    """Long-Tail-GAN: a Mult-VAE generator trained against a (popular, niche) pair discriminator.

    Scores are the generator's logits for a row (`full_scores` for the training rows given to `fit`,
    `forward_rows` for any rows, e.g. the fold-in rows of held-out users).
    """

    def __init__(
        self, n_users: int, n_items: int, *, hidden: int = 600, latent: int = 200, dropout: float = 0.25,
        beta_cap: float = 0.2, anneal_steps: int = 20000,
        d_sizes: tuple[int, int, int, int] = (100, 150, 250, 300), d_dropout: float = 0.3, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        self.generator = MultVAE(n_users, n_items, hidden, latent, dropout=dropout, beta_cap=beta_cap,
                                 anneal_steps=anneal_steps, seed=seed)
        with seeded(seed + 1):
            self.discriminator = LongTailDiscriminator(n_items, d_sizes, dropout=d_dropout)

    def forward_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The generator's (logits, mu, logvar) for binary rows [B, n_items]."""
        return self.generator.forward_rows(rows)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.generator.full_scores(users)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)

    def fit(
        self, train: sp.spmatrix, niche_items: np.ndarray, epochs: int = 80, d_steps: int = 10,
        g_steps: int = 10, *, batch_size: int = 100, lr: float = 1e-4, gan_lambda: float = 1.0, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train` with the long tail `niche_items` (item ids); each epoch G
        draws its niche samples, then D and G make `d_steps` and `g_steps` passes over the user batches.
        `validate(model)` runs before training and after each epoch. g_loss: G's negative ELBO plus its
        adversarial term; d_loss: D's BCE on real plus fake pairs (means over the epoch's batches)."""
        check_counts(epochs=epochs, batch_size=batch_size)
        check_counts(0, d_steps=d_steps, g_steps=g_steps)
        if gan_lambda < 0:
            raise ValueError(f"gan_lambda must be >= 0, got {gan_lambda}")
        csr = train_matrix(train, self, "train")
        niche = np.zeros(self.n_items, dtype=bool)
        ids = np.asarray(niche_items, dtype=np.int64)
        if ids.size == 0 or ids.min() < 0 or ids.max() >= self.n_items:
            raise ValueError(f"niche_items must be a non-empty list of item ids in [0, {self.n_items})")
        niche[ids] = True
        self.generator.prepare(csr)
        rng = np.random.default_rng(seed)
        users = np.flatnonzero(np.diff(csr.indptr) > 0)
        real, candidates, n_niche = _real_pairs_and_candidates(csr, niche, overlap_coefficients(csr))
        popular_of = _Pairs.build(*_popular_lists(csr, niche), self.n_users)
        opt_g = make_optimizer("adam", self.generator.parameters(), lr)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr)
        history = GANHistory(initial=run_validate(validate, self))
        with seeded(seed):
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                fake = self._sample(csr, candidates, n_niche, popular_of, rng)
                batches = [users[i:i + batch_size] for i in range(0, len(users), batch_size)]
                batches = [batches[i] for i in rng.permutation(len(batches))]
                self.train()
                d_losses = [loss for _ in range(d_steps) for b in batches
                            if (loss := self._d_step(real, fake, b, opt_d, epoch)) is not None]
                g_losses = [self._g_step(csr, fake, b, opt_g, gan_lambda, epoch)
                            for _ in range(g_steps) for b in batches]
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history

    def _sample(self, csr: sp.csr_matrix, candidates: np.ndarray, n_niche: np.ndarray, popular_of: _Pairs,
                rng: np.random.Generator) -> _Pairs:
        """G's fake pairs: per eligible user, n niche candidates drawn without replacement in proportion to
        G's softmax (Gumbel top-n), each paired with one of the user's popular items at random."""
        eligible = np.flatnonzero(n_niche > 0)
        if eligible.size == 0:
            return _Pairs.build(*(np.zeros(0, dtype=np.int64),) * 3, self.n_users)
        self.eval()
        with torch.no_grad():
            logp = torch.cat([F.log_softmax(self.generator.forward_rows(torch.from_numpy(
                dense_rows(csr, chunk)).to(self.device))[0], dim=1).cpu()
                for chunk in np.array_split(eligible, max(1, len(eligible) // 2048))]).numpy()
        cand = candidates[eligible]
        keys = np.take_along_axis(logp, np.maximum(cand, 0), axis=1) - np.log(-np.log(
            rng.random(cand.shape).clip(1e-300, None)))
        keys[cand < 0] = -np.inf
        order = np.argsort(-keys, axis=1, kind="stable")
        take = np.arange(cand.shape[1])[None, :] < n_niche[eligible][:, None]
        items = np.take_along_axis(cand, order, axis=1)[take]
        owners = np.repeat(eligible, n_niche[eligible])
        draws = np.floor(rng.random(len(owners)) * popular_of.counts[owners]).astype(np.int64)
        pick = popular_of.starts[owners] + draws
        return _Pairs.build(owners, popular_of.popular[pick], items, self.n_users)

    def _d_step(self, real: _Pairs, fake: _Pairs, batch: np.ndarray, opt: torch.optim.Optimizer,
                epoch: int) -> float | None:
        r, f = real.of(batch), fake.of(batch)
        if r.size == 0 or f.size == 0:
            return None
        device = self.device
        real_logits = self.discriminator(torch.as_tensor(real.popular[r], device=device),
                                         torch.as_tensor(real.niche[r], device=device))
        fake_logits = self.discriminator(torch.as_tensor(fake.popular[f], device=device),
                                         torch.as_tensor(fake.niche[f], device=device))
        loss = discriminator_loss(real_logits, fake_logits)
        value = check_finite(loss.item(), "GAN-VAE-CF discriminator loss", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return value

    def _g_step(self, csr: sp.csr_matrix, fake: _Pairs, batch: np.ndarray, opt: torch.optim.Optimizer,
                gan_lambda: float, epoch: int) -> float:
        device = self.device
        rows = torch.from_numpy(dense_rows(csr, batch)).to(device)
        logits, mu, logvar = self.generator.forward_rows(rows)
        log_probs = F.log_softmax(logits, dim=1)
        loss = -(log_probs * rows).sum(dim=1).mean() + self.generator.beta * kl_divergence(mu, logvar).mean()
        self.generator.updates += 1
        f = fake.of(batch)
        if f.size and gan_lambda > 0:
            local = np.searchsorted(batch, fake.users[f])  # batches hold ascending user ids
            with torch.no_grad():
                reward = torch.sigmoid(self.discriminator(torch.as_tensor(fake.popular[f], device=device),
                                                          torch.as_tensor(fake.niche[f], device=device)))
            probs = log_probs.exp()[torch.as_tensor(local, device=device), torch.as_tensor(fake.niche[f],
                                                                                         device=device)]
            loss = loss - gan_lambda / f.size * (probs * reward).sum()
        value = check_finite(loss.item(), "GAN-VAE-CF generator loss", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return value


def _popular_lists(csr: sp.csr_matrix, niche: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, popular item, -1) for every training pair on a popular item (the niche slot unused)."""
    coo = csr.tocoo()
    keep = ~niche[coo.col]
    users = coo.row[keep].astype(np.int64)
    return users, coo.col[keep].astype(np.int64), np.full(users.size, -1, dtype=np.int64)


def _real_pairs_and_candidates(
    csr: sp.csr_matrix, niche: np.ndarray, overlap: np.ndarray, chunk: int = 512,
) -> tuple[_Pairs, np.ndarray, np.ndarray]:
    """D's real pairs, G's candidate niche items per user ([n_users, c], -1 padded) and each user's niche
    count (0 for users lacking popular or niche items, who get no pairs)."""
    n_users, n_items = csr.shape
    binary = sp.csr_matrix((np.ones(csr.nnz, dtype=np.float32), csr.indices, csr.indptr), shape=csr.shape)
    n_niche = np.asarray(binary[:, niche].sum(axis=1)).ravel().astype(np.int64)
    n_popular = np.asarray(binary[:, ~niche].sum(axis=1)).ravel().astype(np.int64)
    n_niche[n_popular == 0] = 0
    eligible = np.flatnonzero(n_niche > 0)
    extra = np.maximum(2 * n_niche, 10 - n_niche)
    width = int((n_niche + extra).max(initial=1))
    candidates = np.full((n_users, max(min(width, int(niche.sum())), 1)), -1, dtype=np.int64)
    pu, pp, pn = [], [], []
    for start in range(0, eligible.size, chunk):
        users = eligible[start:start + chunk]
        rows = binary[users].tocoo()
        owned = np.zeros((users.size, n_items), dtype=bool)
        owned[rows.row, rows.col] = True
        mine = niche[rows.col]
        pair_row, pair_item = rows.row[mine], rows.col[mine]
        # real pairs: each niche item with the user's popular item of largest overlap
        to_popular = np.where((owned & ~niche)[pair_row], overlap[pair_item], -np.inf)
        pu.append(users[pair_row]), pp.append(to_popular.argmax(axis=1)), pn.append(pair_item)
        # candidates: own niche items plus the other niche items closest to them
        first = np.flatnonzero(np.r_[True, pair_row[1:] != pair_row[:-1]])  # pairs come sorted by row
        closeness = np.maximum.reduceat(overlap[pair_item], first, axis=0)
        closeness[:, ~niche] = -np.inf
        closeness[owned & niche] = np.inf
        order = np.argsort(-closeness, axis=1, kind="stable")
        take = np.minimum(n_niche[users] + extra[users], int(niche.sum()))
        keep = np.arange(n_items)[None, :] < take[:, None]
        ranked = np.where(keep, order, n_items)
        ranked.sort(axis=1)
        block = np.where(ranked < n_items, ranked, -1)[:, :candidates.shape[1]]
        candidates[users, :block.shape[1]] = block
    pairs = [np.concatenate(p).astype(np.int64) if p else np.zeros(0, dtype=np.int64) for p in (pu, pp, pn)]
    return _Pairs.build(*pairs, n_users), candidates, n_niche
