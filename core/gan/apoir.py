"""APOIR, adversarial point-of-interest recommendation (Zhou, Yin, Zhang, Trajcevski, Zhong, Wu; WWW 2019).

The recommender R (the generator) reads a user's check-in sequence with a GRU and proposes POIs from a
softmax over the unvisited ones; the discriminator D (an MLP over [user, POI] embeddings) tells visited
POIs from R's proposals. R is optimised with REINFORCE, and its reward is D's probability that the
proposal is real plus two context terms that act as a regulariser: the user's geographical influence on
the POI (`geo.geo_influence`, from the POIs' real coordinates) and the share of the user's friends who
visited it (`geo.social_influence`), weighted by `geo_weight` and `social_weight` (Table 5: GRU / MLP,
REINFORCE). Recommendations are R's scores.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.geo import check_coordinates, geo_influence, social_influence
from advrec.gan.networks import GRUNet, MLPNet
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    shuffled_batches,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix


class APOIR(Recommender):
    """APOIR; `coords` are the POIs' real (latitude, longitude) and `friends` an (E, 2) array of user pairs
    (None: no social term). Call `fit` first: R's user state comes from the training check-ins."""

    def __init__(
        self, n_users: int, n_items: int, coords: object, friends: np.ndarray | None = None, dim: int = 32, *,
        hidden: int = 64, d_hidden: Sequence[int] = (64,), max_len: int = 50, bandwidth_km: float = 1.0,
        geo_weight: float = 0.5, social_weight: float = 0.5, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        check_counts(dim=dim, hidden=hidden, max_len=max_len)
        if geo_weight < 0 or social_weight < 0:
            raise ValueError(f"geo_weight and social_weight must be >= 0, got {geo_weight} and "
                             f"{social_weight}")
        self.coords = check_coordinates(coords, n_items)
        self.friends = None if friends is None else np.asarray(friends, dtype=np.int64)
        self.max_len, self.bandwidth_km = int(max_len), float(bandwidth_km)
        self.geo_weight, self.social_weight = float(geo_weight), float(social_weight)
        with seeded(seed):
            self.poi = nn.Embedding(n_items + 1, dim, padding_idx=n_items)
            self.encoder = GRUNet(dim, dim, hidden=hidden)
            self.poi_out = nn.Embedding(n_items, dim)
            self.d_user = nn.Embedding(n_users, dim)
            self.d_poi = nn.Embedding(n_items, dim)
            self.discriminator = MLPNet(2 * dim, 1, hidden=list(d_hidden))
            for table in (self.poi, self.poi_out, self.d_user, self.d_poi):
                nn.init.normal_(table.weight, std=0.05)
        self.register_buffer("sequences", torch.full((n_users, max_len), n_items, dtype=torch.long))
        self.register_buffer("lengths", torch.ones(n_users, dtype=torch.long))

    def set_history(self, train: sp.spmatrix, sequences: Sequence[Sequence[int]] | None = None) -> None:
        """Keep each user's last `max_len` check-ins (`sequences` order, else POI-id order) as R's input."""
        csr = train_matrix(train, self, "train")
        for u in range(self.n_users):
            seq = (csr.indices[csr.indptr[u]:csr.indptr[u + 1]] if sequences is None
                   else np.asarray(sequences[u], dtype=np.int64))[-self.max_len:]
            if len(seq) and (seq.min() < 0 or seq.max() >= self.n_items):
                raise ValueError(f"sequences[{u}] holds a POI id outside [0, {self.n_items})")
            self.sequences[u] = self.n_items
            self.sequences[u, :len(seq)] = torch.as_tensor(seq, dtype=torch.long)
            self.lengths[u] = max(len(seq), 1)

    def _state(self, users: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.poi(self.sequences[users]), self.lengths[users])

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self._state(users) * self.poi_out.weight[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self._state(users) @ self.poi_out.weight.T

    def discriminate(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """D's logit that (user, POI) is a real check-in; `users` and `items` broadcast."""
        users, items = torch.broadcast_tensors(users, items)
        x = torch.cat([self.d_user(users), self.d_poi(items)], dim=-1)
        return self.discriminator(x)[..., 0]

    def fit(
        self, train: sp.spmatrix, epochs: int = 10, *, sequences: Sequence[Sequence[int]] | None = None,
        n_samples: int = 8, batch: int = 64, lr_g: float = 1e-3, lr_d: float = 1e-3, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Alternate one D pass and one R pass over the users of the check-in matrix `train` per epoch;
        `validate(model)` runs before training and after each epoch. Returns the history (g_loss: -E_R[reward]
        per user; d_loss: D's mean BCE)."""
        check_counts(epochs=epochs, n_samples=n_samples, batch=batch)
        csr = train_matrix(train, self, "train")
        self.set_history(csr, sequences)
        counts = np.diff(csr.indptr)
        users = np.flatnonzero((counts > 0) & (counts < self.n_items))
        if len(users) == 0:
            raise ValueError("train has no user with a visited and an unvisited POI")
        context = np.zeros((self.n_users, self.n_items), dtype=np.float32)
        if self.geo_weight > 0:
            context[users] += self.geo_weight * geo_influence(csr, self.coords, self.bandwidth_km, users)
        if self.social_weight > 0 and self.friends is not None:
            context[users] += self.social_weight * social_influence(csr, self.friends, users)
        context_t = torch.as_tensor(context, device=self.device)
        rng, gen = np.random.default_rng(seed), torch_generator(seed, self.device)
        g_params = [*self.poi.parameters(), *self.encoder.parameters(), *self.poi_out.parameters()]
        d_params = [*self.d_user.parameters(), *self.d_poi.parameters(), *self.discriminator.parameters()]
        opt_g, opt_d = make_optimizer("adam", g_params, lr_g), make_optimizer("adam", d_params, lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            d_losses, g_losses = [], []
            for chunk in shuffled_batches(users, batch, rng):
                bu = torch.as_tensor(chunk, device=self.device)
                rows = csr[chunk]
                visited = torch.zeros(len(chunk), self.n_items, dtype=torch.bool, device=self.device)
                visited[torch.as_tensor(np.repeat(np.arange(len(chunk)), np.diff(rows.indptr)),
                                        device=self.device),
                        torch.as_tensor(rows.indices, device=self.device, dtype=torch.long)] = True
                log_p = torch.log_softmax(self.full_scores(bu).masked_fill(visited, float("-inf")), dim=1)
                fake = torch.multinomial(log_p.exp().detach(), n_samples, replacement=True, generator=gen)
                real = torch.multinomial(visited.float(), n_samples, replacement=True, generator=gen)
                d_real, d_fake = self.discriminate(bu[:, None], real), self.discriminate(bu[:, None], fake)
                d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                          + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
                d_losses.append(check_finite(d_loss.item(), "APOIR discriminator loss", epoch))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                with torch.no_grad():
                    d_prob = torch.sigmoid(self.discriminate(bu[:, None], fake))
                    reward = d_prob + context_t[bu[:, None], fake]
                g_loss = reinforce_loss(log_p.gather(1, fake), reward, "mean")
                g_losses.append(check_finite(-reward.mean().item(), "APOIR generator cost", epoch))
                opt_g.zero_grad()
                g_loss.backward()
                opt_g.step()
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
