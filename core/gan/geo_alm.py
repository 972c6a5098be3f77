"""Geo-ALM, POI recommendation fusing geographical information and an adversarial learning mechanism (Liu,
Wang, Yao, Yin; IJCAI 2019).

Pair-wise POI recommendation where a generator replaces random negative sampling: the discriminator D is
the recommender, trained with -log sigmoid(D(u, l+) - D(u, l-)) on a visited POI l+ and a negative l-
drawn from the generator G; G learns (REINFORCE, IRGAN's pair-wise reward log(1 + exp(D(u, l-) -
D(u, l+)))) to propose the unvisited POIs D finds hardest. Geography enters both players: a POI's vector
fuses its own factors with its geographical neighbours' and its region's (`GeoScorer`: POI and region
features), and G's proposal adds the user's geographical influence on each POI (`geo.geo_influence`,
weight `geo_weight` on its log) to its scores. Both are latent factor models (Table 5: LFM / LFM).
The POI coordinates are required and must be real: nothing here makes them up.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.geo import check_coordinates, geo_influence, geo_neighbours, grid_regions
from advrec.gan.players import RankedByPlayer, check_scorer
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    alternate,
    check_counts,
    check_finite,
    player_optimizers,
    torch_generator,
)
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix


class GeoScorer(EmbeddingRecommender):
    """f(u, l) = p_u . (q_l + mean of q over l's geographical neighbours + r_region(l)) + b_l."""

    def __init__(self, n_users: int, n_items: int, dim: int, neighbours: sp.spmatrix, regions: np.ndarray,
                 *, init_delta: float = 0.05, seed: int = 0) -> None:
        super().__init__(n_users, n_items)
        check_counts(dim=dim)
        regions = np.asarray(regions, dtype=np.int64)
        if regions.shape != (n_items,) or regions.min(initial=0) < 0:
            raise ValueError(f"regions must hold one non-negative region id per POI ({n_items}), "
                             f"got shape {regions.shape}")
        if neighbours.shape != (n_items, n_items):
            raise ValueError(f"neighbours must be [{n_items}, {n_items}], got {neighbours.shape}")
        coo = sp.coo_matrix(neighbours)
        self.register_buffer("neighbours", torch.sparse_coo_tensor(
            np.vstack([coo.row, coo.col]), coo.data.astype(np.float32), coo.shape,
            check_invariants=True).coalesce())
        self.register_buffer("regions", torch.as_tensor(regions))
        with seeded(seed):
            self.user = nn.Parameter((torch.rand(n_users, dim) * 2 - 1) * init_delta)
            self.item = nn.Parameter((torch.rand(n_items, dim) * 2 - 1) * init_delta)
            n_regions = int(regions.max(initial=0)) + 1
            self.region = nn.Parameter((torch.rand(n_regions, dim) * 2 - 1) * init_delta)
        self.item_bias = nn.Parameter(torch.zeros(n_items))

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def poi_vectors(self) -> torch.Tensor:
        """The fused POI vectors [n_items, dim]: own factors + neighbours' mean + region factors."""
        item = self.table("item")
        return item + torch.sparse.mm(self.neighbours, item) + self.region[self.regions]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.table("user")[users] * self.poi_vectors()[items]).sum(-1) + self.item_bias[items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.table("user")[users] @ self.poi_vectors().T + self.item_bias

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the summed squared norms of rows `users` and `items` and of the items' biases."""
        return (self.user[users].pow(2).sum() + self.item[items].pow(2).sum()
                + self.item_bias[items].pow(2).sum()) / 2


class GeoALM(RankedByPlayer, Recommender):
    """Geo-ALM; `coords` are the POIs' real (latitude, longitude). After `fit`, `full_scores` are D's (the
    recommender trained on the generator's negatives) or G's (`scorer="generator"`)."""

    def __init__(
        self, n_users: int, n_items: int, coords: object, dim: int = 32, *, neighbours_k: int = 10,
        region_km: float = 2.0, bandwidth_km: float = 1.0, geo_weight: float = 1.0, temperature: float = 1.0,
        init_delta: float = 0.05, scorer: str = "discriminator", seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        check_scorer(scorer)
        if geo_weight < 0 or not temperature > 0:
            raise ValueError(f"geo_weight must be >= 0 and temperature > 0, got {geo_weight} and "
                             f"{temperature}")
        self.coords = check_coordinates(coords, n_items)
        self.bandwidth_km, self.geo_weight = float(bandwidth_km), float(geo_weight)
        self.temperature = float(temperature)
        self.scorer = scorer
        neighbours, regions = geo_neighbours(self.coords, neighbours_k), grid_regions(self.coords, region_km)
        self.generator = GeoScorer(n_users, n_items, dim, neighbours, regions, init_delta=init_delta,
                                   seed=seed)
        self.discriminator = GeoScorer(n_users, n_items, dim, neighbours, regions, init_delta=init_delta,
                                       seed=seed + 1)

    def fit(
        self, train: sp.spmatrix, epochs: int = 10, g_steps: int = 1, d_steps: int = 1, *, batch: int = 256,
        g_batch: int = 32, lr_g: float = 1e-3, lr_d: float = 1e-3, reg_g: float = 0.0, reg_d: float = 1e-4,
        optimizer: str = "adam", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the user x POI visit matrix `train`; `validate(model)` runs before
        training and after each epoch. Returns the history (g_loss: -E_G[reward] per user; d_loss: D's mean
        pair-wise loss per visited pair)."""
        check_counts(0, g_steps=g_steps, d_steps=d_steps)
        check_counts(epochs=epochs, batch=batch, g_batch=g_batch)
        csr = train_matrix(train, self, "train")
        counts = np.diff(csr.indptr)
        users = np.flatnonzero((counts > 0) & (counts < self.n_items))
        if len(users) == 0:
            raise ValueError("train has no user with a visited and an unvisited POI")
        log_geo = np.zeros((self.n_users, self.n_items), dtype=np.float32)
        if self.geo_weight > 0:
            log_geo[users] = np.log(geo_influence(csr, self.coords, self.bandwidth_km, users) + 1e-6)
        self._log_geo = torch.as_tensor(log_geo, device=self.device)
        rng, gen = np.random.default_rng(seed), torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d, weight_decay_g=reg_g)

        def d_pass(epoch: int) -> float:
            return self._d_pass(csr, users, opt_d, batch, reg_d, rng, gen, epoch)

        def g_pass(epoch: int) -> float:
            return self._g_pass(csr, users, opt_g, g_batch, rng, gen, epoch)

        return alternate(self, epochs, d_steps, g_steps, d_pass, g_pass, validate)

    def _proposal_logits(self, csr: sp.csr_matrix, chunk: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """G's logits fused with geography, visited POIs masked out, and the visited mask."""
        bu = torch.as_tensor(chunk, device=self.device)
        rows = csr[chunk]
        visited = torch.zeros(len(chunk), self.n_items, dtype=torch.bool, device=self.device)
        visited[torch.as_tensor(np.repeat(np.arange(len(chunk)), np.diff(rows.indptr)), device=self.device),
                torch.as_tensor(rows.indices, device=self.device, dtype=torch.long)] = True
        logits = self.generator.full_scores(bu) + self.geo_weight * self._log_geo[bu]
        return logits.masked_fill(visited, float("-inf")), visited

    def _d_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        counts = np.diff(csr.indptr)
        negatives = []
        with torch.no_grad():
            for start in range(0, len(users), 256):
                chunk = users[start:start + 256]
                probs = torch.softmax(self._proposal_logits(csr, chunk)[0] / self.temperature, dim=1)
                drawn = torch.multinomial(probs, int(counts[chunk].max()), replacement=True, generator=gen)
                keep = np.arange(drawn.shape[1])[None, :] < counts[chunk][:, None]
                negatives.append(drawn.cpu().numpy()[keep])
        rows = np.repeat(np.arange(csr.shape[0]), counts)
        keep = np.isin(rows, users)
        u, pos, neg = rows[keep], csr.indices[keep], np.concatenate(negatives)
        d, total, order = self.discriminator, 0.0, rng.permutation(len(u))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            bu, bp, bn = (torch.as_tensor(a[idx], device=self.device, dtype=torch.long)
                          for a in (u, pos, neg))
            loss = F.softplus(d.score(bu, bn) - d.score(bu, bp)).sum()
            total += check_finite(loss.item(), "Geo-ALM discriminator loss", epoch)
            opt.zero_grad()
            ((loss + reg * d.l2(bu, torch.cat([bp, bn]))) / len(idx)).backward()
            opt.step()
        return total / len(order)

    def _g_pass(self, csr: sp.csr_matrix, users: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                rng: np.random.Generator, gen: torch.Generator, epoch: int) -> float:
        order, costs = rng.permutation(users), []
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            logits, visited = self._proposal_logits(csr, chunk)
            log_p = torch.log_softmax(logits, dim=1)
            n = int(visited.sum(dim=1).max())
            items = torch.multinomial(log_p.exp().detach(), n, replacement=True, generator=gen)
            paired = torch.multinomial(visited.float(), n, replacement=True, generator=gen)
            bu = torch.as_tensor(chunk, device=self.device)[:, None].expand_as(items)
            with torch.no_grad():
                d = self.discriminator
                reward = F.softplus(d.score(bu, items) - d.score(bu, paired))
            mask = torch.arange(n, device=self.device)[None, :] < visited.sum(dim=1)[:, None]
            loss = reinforce_loss(log_p.gather(1, items), reward, "mean", mask=mask)
            m = mask.float()
            cost = -((reward * m).sum(1) / m.sum(1)).sum().item()
            costs.append(check_finite(cost, "Geo-ALM generator cost", epoch))
            opt.zero_grad()
            (loss * len(chunk)).backward()
            opt.step()
        return float(np.sum(costs) / len(order))
