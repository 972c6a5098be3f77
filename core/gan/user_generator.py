"""CGAN [39] (Chonwiharnphan, Thienprapasith, Chuangsuwanich; IEEE Access 2020): generating realistic
user profiles with a GAN over recommendation-based embeddings.

Reconstruction from the title and the survey's Table 5 (AE generator, MLP discriminator; the paper's text
was not available). A user profile x (a set of items) is represented by its recommendation-based
embedding e(x) = the mean of the profile's item vectors from a trained recommender (e.g. BPR-MF's item
factors). An auto-encoder with e as its (fixed) encoder and an MLP decoder (embedding -> logits over
items, multinomial likelihood) is fitted to real profiles; a GAN then learns the distribution of the real
embeddings: an MLP generator maps z ~ N(0, I) to an embedding, an MLP discriminator tells it from real
e(x) (logistic loss). A generated user is the decoder's item distribution for a generated embedding, from
which it draws a profile length among the real profiles' lengths and that many distinct items. With
`item_vectors=None` the encoder is a learned MLP on x / |x|_1 instead (a plain auto-encoder code: the
GAN without the recommendation-based embedding).

`detectability_auc` measures realism: a logistic-regression classifier is trained on half of a set of real
held-out profiles and half of the generated ones and tested on the rest; AUC 0.5 means the generated
users cannot be told from real ones.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    dense_row_batches,
    make_optimizer,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.metrics import attribute_inference_auc
from advrec.models.seeding import seeded


def _binary(matrix: sp.spmatrix, name: str) -> sp.csr_matrix:
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    csr.data[:] = 1.0
    if csr.nnz == 0:
        raise ValueError(f"{name} must hold at least one interaction")
    return csr


class UserGAN(nn.Module):
    """Generator of user profiles over `n_items`: a GAN over profile embeddings (recommendation-based when
    `item_vectors` is given) decoded by an auto-encoder's decoder (see the module docstring)."""

    def __init__(
        self, n_items: int, item_vectors: np.ndarray | None, *, code: int = 32, noise: int = 32,
        hidden: int | Sequence[int] = (128,), critic_hidden: int | Sequence[int] = (64,), seed: int = 0,
    ) -> None:
        super().__init__()
        if n_items <= 0 or code <= 0 or noise <= 0:
            raise ValueError(f"n_items, code and noise must be positive, got {n_items}, {code}, {noise}")
        self.n_items, self.noise = int(n_items), int(noise)
        sizes = [hidden] if isinstance(hidden, int) else list(hidden)
        self.register_buffer("item_vectors", None)
        self.encoder: nn.Module | None = None
        with seeded(seed):
            if item_vectors is None:
                self.encoder = MLPNet(n_items, code, hidden=sizes, activation="tanh")
            else:
                vectors = torch.as_tensor(np.asarray(item_vectors, dtype=np.float32))
                if vectors.ndim != 2 or vectors.shape[0] != n_items:
                    raise ValueError(f"item_vectors must be [n_items={n_items}, dim], "
                                     f"got shape {tuple(vectors.shape)}")
                self.register_buffer("item_vectors", vectors)
                code = vectors.shape[1]
            self.decoder = MLPNet(code, n_items, hidden=sizes[::-1], activation="tanh")
            self.generator = MLPNet(noise, code, hidden=sizes, activation="tanh")
            self.critic = MLPNet(code, 1, hidden=critic_hidden, activation="relu")
        self.lengths = np.ones(1, dtype=np.int64)

    @property
    def device(self) -> torch.device:
        return next(self.decoder.parameters()).device

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Embedding of binary profile rows: mean item vector (recommendation-based) or the learned code."""
        x = F.normalize(rows, p=1, dim=1)
        return x @ self.item_vectors if self.item_vectors is not None else self.encoder(x)

    def item_distribution(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """[n, n_items] item distributions softmax(decoder(G(z))) of n generated users."""
        z = torch.randn((n, self.noise), generator=generator, device=self.device)
        return F.softmax(self.decoder(self.generator(z)), dim=1)

    def fit(
        self, profiles: sp.spmatrix, *, ae_epochs: int = 20, epochs: int = 50, batch_size: int = 128,
        lr: float = 1e-3, critic_lr: float = 1e-3, critic_steps: int = 1, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Fit the auto-encoder on the real `profiles` (users x items) for `ae_epochs`, then the GAN on
        their embeddings for `epochs`: per batch `critic_steps` discriminator updates (real e(x) vs G(z))
        and one generator update. Keeps the real profile lengths for `sample`."""
        check_counts(epochs=epochs, batch_size=batch_size)
        check_counts(0, ae_epochs=ae_epochs, critic_steps=critic_steps)
        csr = _binary(profiles, "profiles")
        if csr.shape[1] != self.n_items:
            raise ValueError(f"profiles must have {self.n_items} item columns, got {csr.shape[1]}")
        users = np.flatnonzero(np.diff(csr.indptr) > 0)
        self.lengths = np.diff(csr.indptr)[users].astype(np.int64)
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        ae_params = [*self.decoder.parameters(), *(self.encoder.parameters() if self.encoder else [])]
        opt_ae = make_optimizer("adam", ae_params, lr)
        self.train()
        for _ in range(ae_epochs):
            for rows in dense_row_batches(csr, users, batch_size, rng, self.device):
                loss = -(F.log_softmax(self.decoder(self.encode(rows)), dim=1) * rows).sum(dim=1).mean()
                opt_ae.zero_grad()
                loss.backward()
                opt_ae.step()
        opt_g = make_optimizer("adam", self.generator.parameters(), lr)
        opt_d = make_optimizer("adam", self.critic.parameters(), critic_lr)
        history = GANHistory(initial=run_validate(validate, self))
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            g_losses, d_losses = [], []
            for rows in dense_row_batches(csr, users, batch_size, rng, self.device):
                with torch.no_grad():
                    real = self.encode(rows)
                for _ in range(critic_steps):
                    with torch.no_grad():
                        fake = self.generator(torch.randn((len(rows), self.noise), generator=gen))
                    loss_d = discriminator_loss(self.critic(real).squeeze(1), self.critic(fake).squeeze(1))
                    d_losses.append(check_finite(loss_d.item(), "UserGAN discriminator loss", epoch))
                    opt_d.zero_grad()
                    loss_d.backward()
                    opt_d.step()
                fake = self.generator(torch.randn((len(rows), self.noise), generator=gen))
                loss_g = generator_loss(self.critic(fake).squeeze(1))
                g_losses.append(check_finite(loss_g.item(), "UserGAN generator loss", epoch))
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> sp.csr_matrix:
        """n generated user profiles (binary users x items): each draws a length from the real profiles'
        lengths, then that many distinct items from its item distribution (Gumbel top-k)."""
        check_counts(n=n)
        rng = np.random.default_rng(seed)
        p = self.item_distribution(n, torch_generator(seed, self.device)).cpu().numpy().astype(np.float64)
        lengths = np.minimum(rng.choice(self.lengths, size=n), self.n_items)
        return sample_profiles(p, lengths, rng)


def sample_profiles(probabilities: np.ndarray, lengths: np.ndarray,
                    rng: np.random.Generator) -> sp.csr_matrix:
    """Binary [n, n_items] profiles: row i holds lengths[i] distinct items drawn without replacement with
    probability proportional to probabilities[i] (Gumbel top-k; zero-probability items come last)."""
    p = np.asarray(probabilities, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if p.ndim != 2 or lengths.shape != (p.shape[0],):
        raise ValueError(f"probabilities must be [n, n_items] and lengths [n], got {p.shape} and "
                         f"{lengths.shape}")
    if (lengths < 0).any() or (lengths > p.shape[1]).any():
        raise ValueError(f"lengths must be in [0, n_items={p.shape[1]}]")
    with np.errstate(divide="ignore"):
        keys = np.log(p) + rng.gumbel(size=p.shape)
    order = np.argsort(-keys, axis=1)
    rows = np.repeat(np.arange(p.shape[0]), lengths)
    cols = order[np.arange(p.shape[1])[None, :] < lengths[:, None]]  # row-major: each row's first k
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=p.shape)


def popularity_profiles(train: sp.spmatrix, n: int, seed: int = 0) -> sp.csr_matrix:
    """The non-learned baseline generator: n profiles with lengths drawn from `train`'s profile lengths
    and distinct items drawn with probability proportional to their popularity in `train`."""
    csr = _binary(train, "train")
    check_counts(n=n)
    rng = np.random.default_rng(seed)
    lengths = np.diff(csr.indptr)
    lengths = rng.choice(lengths[lengths > 0], size=n)
    counts = np.asarray(csr.sum(axis=0)).ravel()
    return sample_profiles(np.tile(counts / counts.sum(), (n, 1)), lengths, rng)


def detectability_auc(real: sp.spmatrix, generated: sp.spmatrix, *, epochs: int = 200,
                      weight_decay: float = 1e-3, lr: float = 0.05, seed: int = 0) -> float:
    """Held-out AUC of a logistic-regression classifier (multi-hot features, Adam, L2 `weight_decay`)
    telling `generated` profiles from `real` ones: fit on a random half of each, scored on the other half.
    0.5: indistinguishable; 1.0: every generated user is recognised."""
    real_csr, fake_csr = sp.csr_matrix(real, dtype=np.float32), sp.csr_matrix(generated, dtype=np.float32)
    if real_csr.shape[1] != fake_csr.shape[1]:
        raise ValueError(f"real and generated must have the same items, got {real_csr.shape[1]} and "
                         f"{fake_csr.shape[1]} columns")
    if min(real_csr.shape[0], fake_csr.shape[0]) < 4:
        raise ValueError("real and generated need at least 4 profiles each (two per half)")
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(sp.vstack([real_csr, fake_csr]).toarray())
    x = (x > 0).float()
    y = np.r_[np.ones(real_csr.shape[0], dtype=np.int64), np.zeros(fake_csr.shape[0], dtype=np.int64)]
    fit_rows = np.zeros(len(y), dtype=bool)
    for label in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == label))
        fit_rows[idx[: len(idx) // 2]] = True
    with seeded(seed):
        clf = nn.Linear(x.shape[1], 1)
    opt = torch.optim.Adam(clf.parameters(), lr=lr, weight_decay=weight_decay)
    x_fit, target = x[fit_rows], torch.from_numpy(y[fit_rows]).float()
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(clf(x_fit).squeeze(1), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        scores = clf(x[~fit_rows]).squeeze(1).numpy()
    return attribute_inference_auc(y[~fit_rows], scores)


def popularity_divergence(reference: sp.spmatrix, generated: sp.spmatrix) -> float:
    """Jensen-Shannon divergence (bits, in [0, 1]) between the item-occurrence distributions of two sets of
    profiles: how far the generated users' item popularity is from the real users'."""
    a = np.asarray(sp.csr_matrix(reference).sum(axis=0), dtype=np.float64).ravel()
    b = np.asarray(sp.csr_matrix(generated).sum(axis=0), dtype=np.float64).ravel()
    if a.shape != b.shape or a.sum() <= 0 or b.sum() <= 0:
        raise ValueError(f"reference and generated must be non-empty over the same items, got {a.size} and "
                         f"{b.size} columns")
    a, b = a / a.sum(), b / b.sum()
    m = (a + b) / 2
    return 0.5 * _kl_bits(a, m) + 0.5 * _kl_bits(b, m)


def _kl_bits(p: np.ndarray, q: np.ndarray) -> float:
    keep = p > 0
    return float(np.sum(p[keep] * np.log2(p[keep] / q[keep])))
