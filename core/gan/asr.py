"""Asr, adversarial social regularisation (Krishnan, Cheruvu, Tao, Sundaram; CIKM 2019), as a training hook
that plugs into any recommender trained by `advrec.training.fit`.

The recommender is the generator: from its user-interest representations z (a BPR-MF user embedding, a
Mult-VAE code, ...) it proposes "friends" P_G(v | u) = softmax_v(z_u . z_v / temperature) over the batch's
other users. A separate social representation model is the discriminator, D(u, v) = sigmoid(s_u . s_v + b)
over its own user table s, and learns to tell observed social links from the generator's proposals; each
observed link counts with a contextual weight (the cosine similarity of the two users' training item sets,
floored and normalised to mean 1), so links between users with shared interests regularise more. The
recommender's extra loss is lam * E_{v ~ P_G(.|u)}[-log D(u, v)], computed exactly over the candidates,
which pulls together the interest representations of users the social model takes for friends. The
recommender's own architecture and loss are untouched: that is the paper's modularity. The paper's exact
networks and weighting are not public; this construction is ours, from its abstract and the survey.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.trainer import GANHistory, check_finite, mean_or_nan, torch_generator
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.seeding import seeded
from advrec.training import Batch, Hook, LossFn, Trainer

Representation = Callable[[Recommender, Batch], tuple[torch.Tensor, torch.Tensor]]
"""(model, batch) -> (interest representations [n, d] with gradient to the model, their user ids [n])."""


def embedding_representation(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The user-embedding rows of the batch's distinct users (BPR-MF and other embedding models)."""
    if not isinstance(model, EmbeddingRecommender) or "user" not in model.embeddings():
        raise TypeError("embedding_representation needs an EmbeddingRecommender with a 'user' table, "
                        f"got {type(model).__name__}")
    users = batch["users"].unique()
    return model.table("user")[users], users


def vae_representation(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean code mu of a Mult-VAE encoder on the batch's rows (no dropout): the user's interest vector."""
    for name in ("encoder", "code"):
        if not hasattr(model, name):
            raise TypeError(f"vae_representation needs a Mult-VAE-like model with `{name}`, "
                            f"got {type(model).__name__}")
    if "rows" not in batch:
        raise KeyError(f"vae_representation needs row batches (key 'rows'), got {sorted(batch)}")
    hidden = torch.tanh(model.encoder(F.normalize(batch["rows"], dim=1)))
    return model.code(hidden).chunk(2, dim=1)[0], batch["users"]


def contextual_weights(social: sp.spmatrix, train: sp.spmatrix, floor: float = 0.1) -> sp.csr_matrix:
    """Each link's weight: floor + cosine similarity of the two users' training item sets, scaled so the
    stored weights average 1 (informative links, between users who share items, count more)."""
    links = sp.csr_matrix(social, dtype=np.float32, copy=True)
    items = sp.csr_matrix(train, dtype=np.float32, copy=True)
    if links.shape[0] != links.shape[1] or links.shape[0] != items.shape[0]:
        raise ValueError(f"social must be square over train's {items.shape[0]} users, got {links.shape}")
    if floor < 0:
        raise ValueError(f"floor must be >= 0, got {floor}")
    items.data[:] = 1.0
    norms = np.sqrt(np.asarray(items.sum(axis=1)).ravel())
    rows = np.repeat(np.arange(links.shape[0]), np.diff(links.indptr))
    cols = links.indices
    shared = np.asarray(items[rows].multiply(items[cols]).sum(axis=1)).ravel()
    denom = norms[rows] * norms[cols]
    cosine = np.divide(shared, denom, out=np.zeros_like(shared), where=denom > 0)
    weights = floor + cosine
    if len(weights) and weights.mean() > 0:
        weights = weights / weights.mean()
    return sp.csr_matrix((weights.astype(np.float32), cols, links.indptr), shape=links.shape)


class SocialDiscriminator(nn.Module):
    """The social representation model: D(u, v) = sigmoid(s_u . s_v + b_v) over its own user table."""

    def __init__(self, n_users: int, dim: int, init_delta: float = 0.05, seed: int = 0) -> None:
        super().__init__()
        with seeded(seed):
            self.user = nn.Parameter((torch.rand(n_users, dim) * 2 - 1) * init_delta)
        self.bias = nn.Parameter(torch.zeros(n_users))

    def logits(self, users: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
        """D's logits of the pairs (users[i], others[i])."""
        return (self.user[users] * self.user[others]).sum(-1) + self.bias[others]

    def pair_logits(self, users: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """D's logits of every (users[i], candidates[j]) pair, shape [len(users), len(candidates)]."""
        return self.user[users] @ self.user[candidates].T + self.bias[candidates]


class AdversarialSocialRegularizer(Hook):
    """Hook: adds lam * E_{v ~ P_G(.|u)}[-log D(u, v)] to the recommender's batch loss and trains the
    social discriminator D on weighted observed links against the recommender's proposals.

    social: user x user links (stored entries; made symmetric by the caller if wanted); train: the user x
    item training matrix, for the contextual weights (`weighting="uniform"` gives every link weight 1).
    representation: how to read interest vectors off the model (`embedding_representation`,
    `vae_representation`, or any callable). Only batch users with at least one link are regularised, and
    the candidates of P_G are the batch's users with a representation (the user itself excluded).
    Per epoch, `history` (a GANHistory) records the regulariser's mean value (g_loss), D's mean weighted
    BCE (d_loss) and the fit's validation logs.
    """

    def __init__(
        self, social: sp.spmatrix, train: sp.spmatrix,
        representation: Representation = embedding_representation, *, lam: float = 0.1, dim: int = 16,
        temperature: float = 1.0, lr: float = 0.01, d_steps: int = 1,
        weighting: str = "context", floor: float = 0.1, seed: int = 0,
    ) -> None:
        if weighting not in ("context", "uniform"):
            raise ValueError(f"weighting must be 'context' or 'uniform', got {weighting!r}")
        if not lam >= 0 or not temperature > 0 or not lr > 0:
            raise ValueError(f"expected lam >= 0, temperature > 0 and lr > 0, got {lam}, {temperature}, {lr}")
        if isinstance(d_steps, bool) or not isinstance(d_steps, int) or d_steps < 0:
            raise ValueError(f"d_steps must be a non-negative integer, got {d_steps!r}")
        links = sp.csr_matrix(social, dtype=np.float32, copy=True)
        links.eliminate_zeros()
        if weighting == "context":
            links = contextual_weights(links, train, floor)
        else:
            links.data[:] = 1.0
        self.links = links
        self.representation = representation
        self.lam, self.temperature, self.lr, self.d_steps = float(lam), float(temperature), float(lr), d_steps
        self.discriminator = SocialDiscriminator(links.shape[0], dim, seed=seed)
        self.optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=self.lr)
        self.rng = np.random.default_rng(seed)
        self.generator = torch_generator(seed, torch.device("cpu"))
        self.history = GANHistory()
        self._has_link = torch.as_tensor(np.diff(links.indptr) > 0)
        self._g: list[float] = []
        self._d: list[float] = []
        self._start = time.perf_counter()

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if self.links.shape[0] != model.n_users:
            raise ValueError(f"social has {self.links.shape[0]} users, the model {model.n_users}")
        self.discriminator.to(model.device)
        if self.generator.device != model.device:
            self.generator = torch_generator(int(self.rng.integers(2**31)), model.device)
        self._g, self._d, self._start = [], [], time.perf_counter()

    def _friends(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One observed friend per user, drawn proportionally to the link weights, and that link's weight."""
        lo, hi = self.links.indptr[users], self.links.indptr[users + 1]
        cumulative = np.concatenate([[0.0], np.cumsum(self.links.data, dtype=np.float64)])
        target = cumulative[lo] + self.rng.random(len(users)) * (cumulative[hi] - cumulative[lo])
        pick = np.clip(np.searchsorted(cumulative, target, side="right") - 1, lo, hi - 1)
        return self.links.indices[pick].astype(np.int64), self.links.data[pick]

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        z, users = self.representation(model, batch)
        linked = self._has_link.to(users.device)[users]
        if len(users) < 2 or not bool(linked.any()):
            return None
        d = self.discriminator
        rows = torch.nonzero(linked).squeeze(1)
        own = torch.zeros(len(rows), len(users), dtype=torch.bool, device=z.device)
        own[torch.arange(len(rows), device=z.device), rows] = True
        p_g = torch.softmax(((z[rows] @ z.T) / self.temperature).masked_fill(own, float("-inf")), dim=1)
        anchors = users[rows]
        friends, weights = self._friends(anchors.cpu().numpy())
        friends_t = torch.as_tensor(friends, device=users.device)
        weights_t = torch.as_tensor(weights, device=users.device)
        for _ in range(self.d_steps):
            cdf = p_g.detach().cumsum(1)
            draw = torch.rand(len(rows), 1, generator=self.generator, device=z.device) * cdf[:, -1:]
            fake = torch.searchsorted(cdf, draw).squeeze(1).clamp_max(len(users) - 1)
            real_loss = F.binary_cross_entropy_with_logits(d.logits(anchors, friends_t),
                                                           torch.ones_like(weights_t), weight=weights_t)
            fake_loss = F.binary_cross_entropy_with_logits(d.logits(anchors, users[fake]),
                                                           torch.zeros_like(weights_t))
            loss_d = real_loss + fake_loss
            epoch = len(self.history) + 1
            self._d.append(check_finite(float(loss_d.detach()), "Asr discriminator loss", epoch))
            self.optimizer.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizer.step()
        with torch.no_grad():
            reward = F.logsigmoid(d.pair_logits(anchors, users))
        reg = -(p_g * reward.masked_fill(own, 0.0)).sum(1).mean()
        self._g.append(check_finite(float(reg.detach()), "Asr regulariser", len(self.history) + 1))
        return self.lam * reg

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        metrics = {k: v for k, v in logs.items() if k not in ("epoch", "loss", "time")}
        seconds = time.perf_counter() - self._start
        self.history.record(mean_or_nan(self._g), mean_or_nan(self._d), metrics, seconds)
        self._g, self._d, self._start = [], [], time.perf_counter()
