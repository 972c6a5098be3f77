"""LARA (Sun, Liu, Liu, Ren, Gan, Nie; WSDM 2020): attribute-to-feature adversarial learning for new-item
recommendation.

A new item has no interactions, only attributes. The generator G maps the item's attributes to the
profile of a user who would like it: each binary attribute k has its own embedding per value (the paper's
attribute-specific generators g_k), and an MLP with tanh layers combines them into a vector in the users'
profile space (a user's profile is the share of the user's items carrying each attribute,
`attribute_profiles`). The discriminator D scores (item attributes, user profile) pairs and is trained to
tell three kinds apart: the real pair (item, a user who interacted with it) is labelled 1, the generated
pair (item, G(item)) and the counter pair (item, a user who did not interact with it) are labelled 0.
G is trained on -log D(item, G(item)). A new item is recommended to the users whose profiles have the
largest dot product with G(item).

As in the reference code: tanh everywhere, attribute embeddings of width 5, two hidden layers of 100 units,
Adam (lr 1e-4, weight decay `alpha`), batch 1024, each epoch one pass of D over the training pairs then
one pass of G. D here outputs one logit per pair (the paper's D(u, I)).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import MLPNet
from advrec.gan.players import check_scorer
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    shuffled_batches,
)
from advrec.models.seeding import seeded


def _attribute_index(attributes: np.ndarray) -> torch.Tensor:
    """[n_items, n_attributes] long: 2k + value of binary attribute k (one embedding row per value)."""
    attrs = np.asarray(attributes)
    if attrs.ndim != 2 or attrs.shape[1] == 0:
        raise ValueError(f"item_attributes must be a 2-D [n_items, n_attributes] array, "
                         f"got shape {attrs.shape}")
    if not np.isin(attrs, (0, 1)).all():
        raise ValueError("item_attributes must be binary (0/1 or bool), one column per attribute")
    return torch.as_tensor(2 * np.arange(attrs.shape[1])[None, :] + attrs.astype(np.int64))


class _AttributeEncoder(nn.Module):
    """One embedding per (attribute, value), concatenated over the attributes: [B, n_attr * attr_dim]."""

    def __init__(self, n_attributes: int, attr_dim: int) -> None:
        super().__init__()
        self.table = nn.Embedding(2 * n_attributes, attr_dim)
        nn.init.xavier_normal_(self.table.weight)

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return self.table(index).flatten(1)


class LARA(nn.Module):
    """LARA's generator and discriminator over item attributes and user profiles; rows are items and
    columns users: `full_scores(items)` is [len(items), n_users], the users' scores for each item.

    `scorer="generator"` (LARA) ranks users by profile . G(item); `scorer="discriminator"` ranks them by
    D(item, profile), which, trained with `fit(adversarial=False)`, is a plain attribute-profile classifier
    (the paper's DNN baseline).
    """

    def __init__(self, item_attributes: np.ndarray, user_profiles: np.ndarray, *, attr_dim: int = 5,
                 hidden: int = 100, scorer: str = "generator", seed: int = 0) -> None:
        super().__init__()
        check_scorer(scorer)
        check_counts(attr_dim=attr_dim, hidden=hidden)
        profiles = np.asarray(user_profiles, dtype=np.float32)
        if profiles.ndim != 2 or profiles.shape[1] == 0:
            raise ValueError(f"user_profiles must be a 2-D [n_users, dim] array, got shape {profiles.shape}")
        index = _attribute_index(item_attributes)
        self.n_items, n_attr = index.shape
        self.n_users, dim = profiles.shape
        self.scorer = scorer
        self.register_buffer("attr_index", index)
        self.register_buffer("profiles", torch.as_tensor(profiles))
        with seeded(seed):
            self.g_attributes = _AttributeEncoder(n_attr, attr_dim)
            self.g_net = MLPNet(n_attr * attr_dim, dim, hidden=(hidden, hidden), activation="tanh",
                                out_activation="tanh")
            self.d_attributes = _AttributeEncoder(n_attr, attr_dim)
            self.d_net = MLPNet(n_attr * attr_dim + dim, 1, hidden=(hidden, hidden), activation="tanh")
            for module in (self.g_net, self.d_net):
                for layer in module.modules():
                    if isinstance(layer, nn.Linear):
                        nn.init.xavier_normal_(layer.weight)
                        nn.init.zeros_(layer.bias)

    @property
    def device(self) -> torch.device:
        return self.profiles.device

    def generate(self, items: torch.Tensor) -> torch.Tensor:
        """G(item): the generated user profile of each item, [len(items), profile dim]."""
        return self.g_net(self.g_attributes(self.attr_index[items]))

    def discriminate(self, items: torch.Tensor, profiles: torch.Tensor) -> torch.Tensor:
        """D's logit that each (item, user profile) pair is a real interaction, [len(items)]."""
        return self.d_net(torch.cat([self.d_attributes(self.attr_index[items]), profiles], dim=1)).squeeze(1)

    def full_scores(self, items: torch.Tensor) -> torch.Tensor:
        items = torch.as_tensor(items, dtype=torch.long, device=self.device)
        if self.scorer == "generator":
            return self.generate(items) @ self.profiles.T
        rows = items.repeat_interleave(self.n_users)
        profiles = self.profiles.repeat(len(items), 1)
        return self.discriminate(rows, profiles).reshape(len(items), self.n_users)

    def fit(self, train: sp.spmatrix, epochs: int = 200, *, batch: int = 1024, lr: float = 1e-4,
            alpha: float = 0.0, adversarial: bool = True, seed: int = 0,
            validate: Validate | None = None) -> GANHistory:
        """Train on the user x item matrix `train` (any stored entry is an interaction; its items are the
        warm ones). Each epoch: one pass of D over the shuffled (user, item) pairs with a fresh counter
        user per pair, then (if `adversarial`) one pass of G. `validate(model)` runs before training and
        after each epoch. Returns the history (g_loss: -log D(G(item)); d_loss: the sum of D's three BCE
        terms, or of the real and counter terms when not adversarial)."""
        check_counts(epochs=epochs, batch=batch)
        csr = sp.csr_matrix(train)
        if csr.shape != (self.n_users, self.n_items):
            raise ValueError(f"train has shape {csr.shape}, expected (n_users={self.n_users}, "
                             f"n_items={self.n_items})")
        csr.sum_duplicates()
        users = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        items = csr.indices.astype(np.int64)
        if len(users) == 0:
            raise ValueError("train has no interaction")
        seen = np.unique(users * np.int64(self.n_items) + items)
        rng = np.random.default_rng(seed)
        d_params = list(self.d_attributes.parameters()) + list(self.d_net.parameters())
        g_params = list(self.g_attributes.parameters()) + list(self.g_net.parameters())
        opt_d = make_optimizer("adam", d_params, lr, alpha)
        opt_g = make_optimizer("adam", g_params, lr, alpha)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            counter = _counter_users(items, seen, self.n_users, self.n_items, rng)
            d_losses, g_losses = [], []
            for idx in shuffled_batches(len(users), batch, rng):
                d_losses.append(self._d_step(users[idx], items[idx], counter[idx], opt_d, adversarial, epoch))
            if adversarial:
                for idx in shuffled_batches(len(users), batch, rng):
                    g_losses.append(self._g_step(items[idx], opt_g, epoch))
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history

    def _d_step(self, users: np.ndarray, items: np.ndarray, counter: np.ndarray, opt: torch.optim.Optimizer,
                adversarial: bool, epoch: int) -> float:
        dev = self.device
        bi = torch.as_tensor(items, device=dev)
        real = self.discriminate(bi, self.profiles[torch.as_tensor(users, device=dev)])
        neg = self.discriminate(bi, self.profiles[torch.as_tensor(counter, device=dev)])
        loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
        if adversarial:
            with torch.no_grad():
                generated = self.generate(bi)
            fake = self.discriminate(bi, generated)
            loss = loss + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        value = check_finite(loss.item(), "LARA discriminator loss", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return value

    def _g_step(self, items: np.ndarray, opt: torch.optim.Optimizer, epoch: int) -> float:
        bi = torch.as_tensor(items, device=self.device)
        fake = self.discriminate(bi, self.generate(bi))
        loss = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        value = check_finite(loss.item(), "LARA generator loss", epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return value


def _counter_users(items: np.ndarray, seen: np.ndarray, n_users: int, n_items: int,
                   rng: np.random.Generator, tries: int = 50) -> np.ndarray:
    """One user per entry of `items` drawn uniformly among the users without an interaction with it
    (`seen`: sorted keys user * n_items + item of the interactions)."""
    out = rng.integers(0, n_users, size=len(items))
    todo = np.arange(len(items))
    for _ in range(tries):
        keys = out[todo] * np.int64(n_items) + items[todo]
        pos = np.minimum(np.searchsorted(seen, keys), len(seen) - 1)
        todo = todo[seen[pos] == keys]
        if len(todo) == 0:
            return out
        out[todo] = rng.integers(0, n_users, size=len(todo))
    raise ValueError(f"could not draw a non-interacting user for {len(todo)} pair(s) in {tries} tries: "
                     "some item was used by (nearly) every user")
