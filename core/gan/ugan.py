"""UGAN (Wang, Gao, Wang, Yu, Wen, Xiong, "A Minimax Game for Generative and Discriminative Sample Models for
Recommendation", PAKDD 2019): a GAN that forges user profiles to augment sparse training data.

The abstract describes a generative model that, like an attacker, learns the pattern of the real data and
forges user profiles similar to the real ones, a discriminative model that tells forged samples from real
ones, alternating updates of the two, and forged profiles that are added to the training data of any
recommender to mitigate sparsity. Reconstructed from that abstract and the survey's Table 5 row (LFM
generator, LFM discriminator, point-wise) on IRGAN's point-wise game (`advrec.gan.irgan.IRGAN`, whose
trainer is reused): G's softmax over items for a real user u is the distribution a forged "twin" of u is
drawn from; `forge` draws one profile of |I_u| distinct items per chosen real user, and `augment` appends
the profiles as new users of the training matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from advrec.gan.irgan import IRGAN
from advrec.gan.trainer import torch_generator
from advrec.models.train_matrix import train_matrix


class UGAN(IRGAN):
    """IRGAN's point-wise game whose trained generator forges user profiles (`forge`); other arguments and
    `fit` as `IRGAN` with `mode="point"`."""

    def __init__(self, n_users: int, n_items: int, dim: int = 5, **kwargs: object) -> None:
        if "mode" in kwargs:
            raise ValueError("UGAN plays IRGAN's point-wise game only; do not pass mode")
        super().__init__(n_users, n_items, dim, "point", **kwargs)

    @torch.no_grad()
    def forge(self, train: sp.spmatrix, templates: np.ndarray | None = None, *, temperature: float = 1.0,
              seed: int = 0) -> sp.csr_matrix:
        """Forged profiles [len(templates), n_items] (binary): row r holds |I_u| distinct items drawn without
        replacement from softmax(G(u, .) / temperature) for u = templates[r] (default: every user of
        `train` with an observed item), the size of the real profile it imitates."""
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        csr = train_matrix(train, self, "train")
        counts = np.diff(csr.indptr)
        users = np.flatnonzero(counts > 0) if templates is None else np.asarray(templates, dtype=np.int64)
        if users.ndim != 1 or (users.size and (users.min() < 0 or users.max() >= self.n_users)):
            raise ValueError(f"templates must be a 1-d array of user ids in [0, {self.n_users}), "
                             f"got {users!r}")
        if users.size and counts[users].min() == 0:
            raise ValueError("templates must be users with at least one observed item in train")
        gen = torch_generator(seed, self.device)
        rows, cols = [], []
        for r, u in enumerate(users):
            logits = self.generator.full_scores(torch.as_tensor([u], device=self.device))[0]
            drawn = torch.multinomial(torch.softmax(logits / temperature, dim=0), int(counts[u]),
                                      replacement=False, generator=gen)
            rows.append(np.full(len(drawn), r))
            cols.append(drawn.cpu().numpy())
        data_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        data_cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        return sp.csr_matrix((np.ones(len(data_rows), dtype=np.float32), (data_rows, data_cols)),
                             shape=(len(users), self.n_items))


def augment(train: sp.spmatrix, profiles: sp.spmatrix) -> sp.csr_matrix:
    """`train` [n_users, n_items] with `profiles` [m, n_items] appended as users n_users .. n_users + m - 1
    (real users keep their ids, so a model trained on the result is evaluated on the first n_users rows)."""
    train, profiles = sp.csr_matrix(train), sp.csr_matrix(profiles)
    if train.shape[1] != profiles.shape[1]:
        raise ValueError(f"profiles have {profiles.shape[1]} items, train has {train.shape[1]}")
    return sp.vstack([train, profiles.astype(train.dtype)], format="csr")
