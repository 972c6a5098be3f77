"""CoFiGAN, collaborative filtering by generative and discriminative training (Liu, Pan, Ming; Knowledge-Based
Systems 2020), as the official Java code (github.com/LiuJiXiong/CoFiGAN, src/Train.java) trains it.

G and D are latent factor models f(u, i) = p_u . q_i + b_i (d = 20), G pre-trained with BPR-MF and D with
logistic MF. One iteration is `d_steps` passes of D, then `g_steps` passes of G:
- D (point-wise, IRGAN's discriminator): per user, |I_u| items are drawn from G's softmax over the user's
  *unobserved* items (temperature 1, redrawn every `resample_every` passes); D minimises the BCE of the
  observed pairs (label 1) and the drawn ones (label 0), summed over a batch of 32 samples, plus per sample
  reg_d / 2 of the squared norms of its rows (`advrec.gan.IRGAN`'s D pass).
- G (pair-wise, CoFiGAN's own step): D provides the targets. Per user, |I_u| "positives" are drawn from
  softmax(D(u, .)) and |I_u| "negatives" from softmax(-D(u, .)) over all items, and G takes one SGD step
  on the BPR loss mean_k -log sigmoid(G(u, i+_k) - G(u, i-_k)) plus reg_g / 2 of the squared norms (the
  user's row once, each drawn item's row and bias per draw, divided by |I_u|).
The official run (README): 300 iterations of 50 D and 50 G passes, SGD lr 0.01 for both, L2 0.01 for D and
0.001 for G, ranking by G (D is evaluated too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.irgan import IRGAN
from advrec.gan.pairwise import observed_mask, softmax_draws
from advrec.gan.trainer import GANHistory, Validate, check_counts, check_finite, shuffled_batches
from advrec.models.base import Recommender
from advrec.models.train_matrix import train_matrix

PRETRAINED = {"G": "pre-train/copy1/ml100k/G_pre_model-20.model",
              "D": "pre-train/copy1/ml100k/D_pre_model-20.model"}
"""The released initialisations of the ML100K copy-1 run: G from BPR-MF, D from logistic MF (README)."""


class CoFiGAN(IRGAN):
    """CoFiGAN recommender; after `fit`, `full_scores` are G's scores (`scorer="generator"`, the official
    code's model selection criterion) or D's (`scorer="discriminator"`).

    `g_init`/`d_init` start G/D from pre-trained tables (a mapping with "user", "item", optional "bias", or
    an embedding model), e.g. `read_pretrained` of the released files.
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int = 20, *, init_delta: float = 0.05,
        g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, resample_every: int = 5,
        scorer: str = "generator", seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, dim, "point", init_delta=init_delta, g_init=g_init, d_init=d_init,
                         temperature=1.0, mix=0.0, baseline=None, scorer=scorer, seed=seed)
        check_counts(resample_every=resample_every)
        self.resample_every = int(resample_every)
        self._draws: np.ndarray | None = None
        self._draw_epoch, self._draw_pass = 0, 0

    def fit(
        self, train: sp.spmatrix, epochs: int = 300, g_steps: int = 50, d_steps: int = 50, *,
        d_batch: int = 32, g_batch: int = 1, lr_g: float = 0.01, lr_d: float = 0.01, reg_g: float = 0.001,
        reg_d: float = 0.01, optimizer: str = "sgd", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the user x item matrix `train` (official defaults); `validate(model)`
        is called before training and after each iteration. Returns the history (g_loss: G's mean BPR loss
        per user on D's draws; d_loss: D's mean BCE per sample)."""
        csr = train_matrix(train, self, "train")
        full = np.flatnonzero(np.diff(csr.indptr) >= self.n_items)
        if len(full):
            raise ValueError(f"user {full[0]} has observed every item; CoFiGAN's generator draws D's "
                             "negatives among a user's unobserved items")
        self._draws, self._draw_epoch, self._draw_pass = None, 0, 0
        return super().fit(csr, epochs, g_steps, d_steps, d_batch=d_batch, g_batch=g_batch, lr_g=lr_g,
                           lr_d=lr_d, reg_g=reg_g, reg_d=reg_d, optimizer=optimizer, seed=seed,
                           validate=validate)

    # ------------------------------------------------------------------------------ discriminator

    def _d_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        if epoch != self._draw_epoch:
            self._draw_epoch, self._draw_pass = epoch, 0
        if self._draw_pass % self.resample_every == 0:
            self._draws = None
        self._draw_pass += 1
        return super()._d_pass(csr, users, opt, batch, reg, rng, gen, epoch)

    @torch.no_grad()
    def _generated(self, csr: sp.csr_matrix, users: np.ndarray, gen: torch.Generator) -> np.ndarray:
        """One item per observed (u, i) of `users`, in CSR order, from G's softmax over u's unobserved
        items (kept for `resample_every` D passes of an iteration)."""
        if self._draws is None:
            counts = np.diff(csr.indptr)
            out = []
            for start in range(0, len(users), 512):
                chunk = users[start:start + 512]
                logits = self.generator.full_scores(torch.as_tensor(chunk, device=self.device))
                seen = observed_mask(csr, chunk, self.device)
                items, mask = softmax_draws(logits, counts[chunk], exclude=seen, generator=gen)
                out.append(items[mask].cpu().numpy())
            self._draws = np.concatenate(out)
        return self._draws

    # ------------------------------------------------------------------------------ generator

    def _g_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        """One pass of G over `users` (in a random order, `batch` users per step, each user's loss the mean
        over its pairs); D is fixed during the pass, so its draws are made once, up front."""
        dev, g = self.device, self.generator
        counts = np.diff(csr.indptr)
        all_users = torch.as_tensor(users, device=dev)
        with torch.no_grad():
            d_logits = self.discriminator.full_scores(all_users)
            pos, mask = softmax_draws(d_logits, counts[users], generator=gen)
            neg, _ = softmax_draws(-d_logits, counts[users], generator=gen)
        m = mask.to(torch.float32)
        n_pairs = m.sum(dim=1)
        losses = []
        for idx in shuffled_batches(len(users), batch, rng):
            sel = torch.as_tensor(idx, device=dev)
            u, bp, bn, bm = all_users[sel], pos[sel], neg[sel], m[sel]
            uu = u[:, None].expand_as(bp)
            per_user = (F.softplus(g.score(uu, bn) - g.score(uu, bp)) * bm).sum(dim=1) / n_pairs[sel]
            rows = g.item[bp].pow(2).sum(-1) + g.item[bn].pow(2).sum(-1)
            if g.item_bias is not None:
                rows = rows + g.item_bias[bp].pow(2) + g.item_bias[bn].pow(2)
            penalty = (g.user[u].pow(2).sum(-1) + (rows * bm).sum(dim=1) / n_pairs[sel]) / 2
            losses.append(check_finite(per_user.sum().item(), "CoFiGAN generator loss", epoch))
            opt.zero_grad()
            (per_user + reg * penalty).sum().backward()
            opt.step()
        return float(np.sum(losses) / len(users))


def read_pretrained(
    path: str | os.PathLike[str], n_users: int = 943, n_items: int = 1682,
) -> dict[str, np.ndarray]:
    """A released CoFiGAN model file (`src/ReadModel.java`'s layout: n_items lines `item<TAB>bias`, then
    n_items lines `item<TAB>factors`, then n_users lines `user<TAB>factors`, ids from 1) as the tables
    {"user": [n_users, d], "item": [n_items, d], "bias": [n_items]} indexed by id - 1."""
    path = Path(path)
    lines = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    if len(lines) != 2 * n_items + n_users:
        raise ValueError(f"{path}: expected {2 * n_items + n_users} lines (2 x {n_items} items + {n_users} "
                         f"users), found {len(lines)}")
    blocks = {"bias": lines[:n_items], "item": lines[n_items:2 * n_items], "user": lines[2 * n_items:]}
    out: dict[str, np.ndarray] = {}
    for name, block in blocks.items():
        ids = np.array([int(row[0]) for row in block])
        if not np.array_equal(ids, np.arange(1, len(block) + 1)):
            raise ValueError(f"{path}: the {name} block must list ids 1..{len(block)} in order")
        values = np.array([[float(x) for x in row[1:]] for row in block], dtype=np.float32)
        if name != "bias" and values.shape[1] != len(blocks["item"][0]) - 1:
            raise ValueError(f"{path}: the {name} block has rows of {values.shape[1]} factors, expected "
                             f"{len(blocks['item'][0]) - 1}")
        out[name] = values[:, 0] if name == "bias" else values
    if out["bias"].ndim != 1 or len(blocks["bias"][0]) != 2:
        raise ValueError(f"{path}: the bias block must have lines `item<TAB>bias`")
    return out


def load_pretrained(player: str, *, root: str | os.PathLike[str] | None = None) -> dict[str, np.ndarray]:
    """The released initialisation of `player` ("G": BPR-MF, "D": logistic MF) for the `cofigan-ml100k`
    split, found in the data mirror (`$ADVREC_DATA/cofigan-data/...` or `root`) and checked by sha256."""
    from advrec.data.download import verify_file
    from advrec.data.errors import DatasetMissingError
    from advrec.data.loading import locate
    from advrec.data.registry import get_spec

    if player not in PRETRAINED:
        raise ValueError(f"player must be one of {sorted(PRETRAINED)}, got {player!r}")
    source = get_spec("cofigan-ml100k").source
    rel = PRETRAINED[player]
    path = locate(source, rel, root=root)
    if path is None:
        raise DatasetMissingError(f"CoFiGAN's pre-trained {player} ({rel}) is not in the data mirror: place "
                                  f"it at $ADVREC_DATA/{source.folder}/{rel} (from {source.homepage})")
    entry = source.file(rel)
    verify_file(path, entry.sha256, entry.git_blob)
    return read_pretrained(path)
