"""RecSys-DAN, discriminative adversarial networks for cross-domain recommender systems (Wang, Niepert and
Li, IEEE TNNLS 2019), reconstructed from the paper's abstract: representations of users, items and their
interactions learned with labels in a source domain are transferred to a target domain without its labels,
the target mapping functions being learned by a min-max game against a discriminator that tells source
from target representations (adversarial discriminative domain adaptation).

The paper encodes users and items from review text; with interactions only, an item's "document" here is
the list of its training users (up to `length`, sampled once per fit), read as tokens of a vocabulary shared
by both domains (the users, linked across domains), each token carrying one more channel, log(1 + the
item's number of users), through a CNN (`CNNNet`, Table 5's generator); a user is
its token embedding through an MLP. Token embeddings start from N(0, `init_std`^2) (with 0.1 the
classifier stayed at chance in our small tests). The interaction representation r = [f(u), g(i)] feeds
- a classifier (an MLP, point-wise BCE) trained in the source domain only: observed pairs against one
  unseen uniform item per pair (stage 1, which also learns the token embeddings);
- a discriminator (an MLP) telling source from target representations of random (user, item) pairs, while
  the target encoders, initialised from the source ones, learn to fool it (stage 2; no target pair is ever a
  label, the target interactions enter only as the items' documents).
`full_scores(users)` score the target items with the target encoders (`adapted = True`) or with the
source encoders applied to the target documents (`adapted = False`: the source-only model).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.atlrec import item_neighbours, seen_keys, unseen_negatives
from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import CNNNet, MLPNet
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

DOMAINS = ("source", "target")


class RecSysDAN(Recommender):
    """RecSys-DAN over `n_users` users shared by a source domain of `n_source_items` items and a target
    domain of `n_items` items; after `fit`, `full_scores` are classifier logits over the target items."""

    def __init__(
        self, n_users: int, n_items: int, n_source_items: int, *, dim: int = 32, length: int = 20,
        channels: int = 32, d_hidden: int = 32, init_std: float = 0.5, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if min(n_source_items, dim, length, channels, d_hidden) <= 0:
            raise ValueError(f"n_source_items, dim, length, channels and d_hidden must be positive, "
                             f"got {n_source_items}, {dim}, {length}, {channels}, {d_hidden}")
        if init_std <= 0:
            raise ValueError(f"init_std must be positive, got {init_std}")
        self.dim, self.length, self.n_source_items = dim, length, n_source_items
        self.adapted = True
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.user_encoder = nn.ModuleDict({d: MLPNet(dim, dim, hidden=(dim,)) for d in DOMAINS})
            self.item_encoder = nn.ModuleDict({d: CNNNet(dim + 1, dim, hidden=(channels,), kernel_size=3)
                                               for d in DOMAINS})
            self.classifier_in = nn.Linear(2 * dim, dim)
            self.classifier_out = nn.Linear(dim, 1)
            self.discriminator = MLPNet(2 * dim, 1, hidden=(d_hidden,), activation="relu")
        self.register_buffer("docs_source", torch.full((n_source_items, length), -1, dtype=torch.long))
        self.register_buffer("docs_target", torch.full((n_items, length), -1, dtype=torch.long))
        self.register_buffer("degree_source", torch.zeros(n_source_items))
        self.register_buffer("degree_target", torch.zeros(n_items))
        self.source_loss: list[float] = []

    def item_vectors(self, domain: str, items: torch.Tensor, encoder: str | None = None) -> torch.Tensor:
        """g(i) of `items` of `domain` ("source"/"target") from their user documents, through `encoder`'s
        CNN (default: the domain's own)."""
        if domain not in DOMAINS or (encoder is not None and encoder not in DOMAINS):
            raise ValueError(f"domain and encoder must be 'source' or 'target', got {domain!r}, {encoder!r}")
        docs = getattr(self, f"docs_{domain}")[items]
        mask = docs >= 0
        tokens = self.user[docs.clamp(min=0)] * mask.unsqueeze(-1)
        degree = getattr(self, f"degree_{domain}")[items]
        tokens = torch.cat([tokens, degree[:, None, None].expand(-1, docs.shape[1], 1)], dim=-1)
        mask = mask.clone()
        mask[:, 0] = True  # an item without users reads one zero token instead of nothing
        return self.item_encoder[encoder or domain](tokens, mask)

    def _classify(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.classifier_out(torch.relu(self.classifier_in(torch.cat([users, items], -1)))).squeeze(-1)

    def _representation(self, domain: str, users: torch.Tensor, items: torch.Tensor,
                        encoder: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        enc = encoder or domain
        return self.user_encoder[enc](self.user[users]), self.item_vectors(domain, items, enc)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        enc = "target" if self.adapted else "source"
        return self._classify(*self._representation("target", users, items, enc))

    def full_scores(self, users: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        enc = "target" if self.adapted else "source"
        items = self.item_vectors("target", torch.arange(self.n_items, device=self.device), enc)
        item_part = items @ self.classifier_in.weight[:, self.dim:].T + self.classifier_in.bias
        parts = []
        for part in users.split(chunk):  # the classifier's first layer is linear in [f(u), g(i)]
            user_part = self.user_encoder[enc](self.user[part]) @ self.classifier_in.weight[:, :self.dim].T
            hidden = torch.relu(user_part[:, None, :] + item_part[None, :, :])
            parts.append(hidden @ self.classifier_out.weight[0] + self.classifier_out.bias)
        return torch.cat(parts) if parts else torch.zeros(0, self.n_items, device=self.device)

    def fit(
        self, source: sp.spmatrix, target: sp.spmatrix, epochs: int = 10, adapt_epochs: int = 10, *,
        batch: int = 1024, lr: float = 1e-3, lr_d: float = 1e-3, lr_t: float = 1e-4, seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Stage 1: `epochs` of the source classifier on the user x source-item matrix `source`. Stage 2:
        the target encoders start as copies of the source ones and play `adapt_epochs` epochs (as many
        batches as `target` has entries) against the discriminator. `target` (user x target-item) only
        gives the items' documents. Returns the adaptation history (g_loss: the target encoders' GAN loss,
        d_loss: the discriminator's BCE; `initial` is the source-only model); `source_loss` holds stage 1's
        loss per epoch."""
        check_counts(epochs=epochs, batch=batch)
        check_counts(0, adapt_epochs=adapt_epochs)
        mats = {"source": sp.csr_matrix(source, dtype=np.float32),
                "target": sp.csr_matrix(target, dtype=np.float32)}
        for d, n in (("source", self.n_source_items), ("target", self.n_items)):
            if mats[d].shape != (self.n_users, n):
                raise ValueError(f"{d} has shape {mats[d].shape}, expected ({self.n_users}, {n})")
            if mats[d].nnz == 0:
                raise ValueError(f"{d} has no interaction")
        rng = np.random.default_rng(seed)
        for d in DOMAINS:
            getattr(self, f"docs_{d}").copy_(torch.as_tensor(item_neighbours(mats[d], self.length, rng)))
            counts = np.diff(sp.csc_matrix(mats[d]).indptr).astype(np.float32)
            getattr(self, f"degree_{d}").copy_(torch.as_tensor(np.log1p(counts)))
        dev = self.device
        pairs = np.stack(mats["source"].nonzero()).T.astype(np.int64)
        keys = seen_keys(mats["source"])
        stage1 = [self.user, *self.user_encoder["source"].parameters(),
                  *self.item_encoder["source"].parameters(), *self.classifier_in.parameters(),
                  *self.classifier_out.parameters()]
        opt = make_optimizer("adam", stage1, lr)
        self.train()
        self.source_loss = []
        for epoch in range(1, epochs + 1):
            total, steps = 0.0, 0
            for idx in shuffled_batches(len(pairs), batch, rng):
                users = pairs[idx, 0]
                negs = unseen_negatives(keys, self.n_source_items, users, rng)
                u = torch.as_tensor(np.concatenate([users, users]), device=dev)
                i = torch.as_tensor(np.concatenate([pairs[idx, 1], negs]), device=dev)
                labels = torch.cat([torch.ones(len(idx), device=dev), torch.zeros(len(idx), device=dev)])
                logits = self._classify(*self._representation("source", u, i))
                loss = F.binary_cross_entropy_with_logits(logits, labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += check_finite(loss.item(), "RecSys-DAN source classifier loss", epoch)
                steps += 1
            self.source_loss.append(total / steps)
        for d_module in (self.user_encoder, self.item_encoder):
            d_module["target"].load_state_dict(d_module["source"].state_dict())
        return self._adapt(mats, adapt_epochs, batch, lr_d, lr_t, rng, validate)

    def _adapt(
        self, mats: dict[str, sp.csr_matrix], adapt_epochs: int, batch: int, lr_d: float, lr_t: float,
        rng: np.random.Generator, validate: Validate | None,
    ) -> GANHistory:
        dev = self.device
        target_params = [*self.user_encoder["target"].parameters(), *self.item_encoder["target"].parameters()]
        opt_t = make_optimizer("adam", target_params, lr_t)
        opt_d = make_optimizer("adam", self.discriminator.parameters(), lr_d)
        history = GANHistory(initial=run_validate(validate, self))
        self.train()
        n_steps = max(1, -(-mats["target"].nnz // batch))
        for epoch in range(1, adapt_epochs + 1):
            start, g_sum, d_sum = time.perf_counter(), 0.0, 0.0
            for _ in range(n_steps):
                reps = {}
                for d in DOMAINS:
                    u = torch.as_tensor(rng.integers(0, self.n_users, batch), device=dev)
                    i = torch.as_tensor(rng.integers(0, mats[d].shape[1], batch), device=dev)
                    with torch.set_grad_enabled(d == "target"):
                        reps[d] = torch.cat(self._representation(d, u, i), dim=-1)
                d_loss = discriminator_loss(self.discriminator(reps["source"].detach()),
                                            self.discriminator(reps["target"].detach()))
                opt_d.zero_grad()
                d_loss.backward()
                opt_d.step()
                g_loss = generator_loss(self.discriminator(reps["target"]))
                opt_t.zero_grad()
                g_loss.backward()
                opt_t.step()
                g_sum += check_finite(g_loss.item(), "RecSys-DAN target encoder loss", epoch)
                d_sum += check_finite(d_loss.item(), "RecSys-DAN discriminator loss", epoch)
            history.record(g_sum / n_steps, d_sum / n_steps, run_validate(validate, self),
                           time.perf_counter() - start)
        self.eval()
        return history
