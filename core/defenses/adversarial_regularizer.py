"""Adversarial regulariser for privacy and fairness: an adversary head learns to recover a protected
label from the recommender's representations, and a gradient-reversal layer makes the recommender erase it.

Resheff et al., "Privacy-Adversarial User Representations in Recommender Systems", 2018 (user attribute
from user embeddings); Beigi et al., "Privacy-Aware Recommendation with Private-Attribute Protection
using Adversarial Learning", WSDM 2020; Zhu et al., "Measuring and Mitigating Item Under-Recommendation
Bias in Personalized Ranking Systems", SIGIR 2020 (item group from predicted scores).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from advrec.defenses.gradient_reversal import grad_reverse
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.training import Batch, Hook, LossFn, Trainer

Features = Callable[[Recommender, Batch], tuple[torch.Tensor, torch.Tensor]]
SOURCES = ("user", "item", "score")


class AdversaryHead(nn.Module):
    """MLP classifier: representation [n, in_dim] -> class logits [n, n_classes]."""

    def __init__(self, in_dim: int, n_classes: int, hidden: Sequence[int] = (32,)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _batch_items(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(users, items) pairs of a pairwise (pos and neg) or pointwise batch."""
    if "pos_items" in batch and "neg_items" in batch:
        return batch["users"].repeat(2), torch.cat([batch["pos_items"], batch["neg_items"]])
    if "items" in batch:
        return batch["users"], batch["items"]
    raise KeyError(f"item-side adversaries need pos_items/neg_items or items in the batch: {sorted(batch)}")


def _user_embeddings(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    users = batch["users"].unique()
    return model.table("user")[users], users


def _item_embeddings(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    items = _batch_items(batch)[1].unique()
    return model.table("item")[items], items


def _pair_scores(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    users, items = _batch_items(batch)
    return model.score(users, items).unsqueeze(1), items


class AdversarialRegularizer(Hook):
    """Hook: extra_loss = lam * CE(adversary(grad_reverse(features)), protected labels).

    labels: one class id per user (source "user") or per item (sources "item", "score"); a negative id
    marks an unknown label, left out. source: "user" (batch users' embeddings), "item" (batch items'
    embeddings), "score" (each batch pair's predicted score, labelled with its item's group), or a
    callable (model, batch) -> (features [n, d], entity ids [n]). Before returning its term, the hook
    trains the adversary for `adversary_steps` Adam steps on the batch's detached features; the reversed
    gradient then pushes the recommender to make the label unrecoverable. Per-epoch adversary loss and
    accuracy (before its update, on the batches seen) are kept in `history`.
    """

    def __init__(
        self,
        labels: Sequence[int] | np.ndarray | torch.Tensor,
        source: str | Features = "user",
        lam: float = 1.0,
        hidden: Sequence[int] = (32,),
        lr: float = 1e-2,
        adversary_steps: int = 1,
        seed: int = 0,
    ) -> None:
        y = torch.as_tensor(np.asarray(labels)).long()
        if y.dim() != 1 or len(y) == 0:
            raise ValueError(f"labels must be a 1-D sequence of class ids, got shape {tuple(y.shape)}")
        if int(y.max()) < 1:
            raise ValueError("labels must hold at least two classes (ids 0 and 1 or more)")
        if not callable(source) and source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES} or a callable, got {source!r}")
        if not lam >= 0 or not lr > 0:
            raise ValueError(f"expected lam >= 0 and lr > 0, got {lam} and {lr}")
        if isinstance(adversary_steps, bool) or not isinstance(adversary_steps, int) or adversary_steps < 0:
            raise ValueError(f"adversary_steps must be a non-negative integer, got {adversary_steps!r}")
        self.labels = y
        self.n_classes = int(y.max()) + 1
        self.source = source
        self.lam = float(lam)
        self.hidden = tuple(hidden)
        self.lr = float(lr)
        self.adversary_steps = adversary_steps
        self.seed = seed
        self.adversary: AdversaryHead | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.history: list[dict[str, float]] = []
        self._sums = [0.0, 0.0, 0]

    def features(self, model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The adversary's inputs for this batch (with gradient to the model) and their entity ids."""
        if callable(self.source):
            return self.source(model, batch)
        if self.source in ("user", "item") and not isinstance(model, EmbeddingRecommender):
            raise TypeError(f"source={self.source!r} needs an EmbeddingRecommender: {type(model).__name__}")
        fn = {"user": _user_embeddings, "item": _item_embeddings, "score": _pair_scores}[self.source]
        return fn(model, batch)

    def _build(self, in_dim: int, device: torch.device) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.adversary = AdversaryHead(in_dim, self.n_classes, self.hidden)
        self.adversary.to(device)
        self.optimizer = torch.optim.Adam(self.adversary.parameters(), lr=self.lr)

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        expected = model.n_users if self.source == "user" else model.n_items
        if not callable(self.source) and len(self.labels) != expected:
            raise ValueError(f"labels has {len(self.labels)} entries, the model {expected} {self.source}s")
        self._sums = [0.0, 0.0, 0]

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        x, ids = self.features(model, batch)
        y = self.labels.to(ids.device)[ids]
        known = y >= 0
        if not bool(known.any()):
            return None
        x, y = x[known], y[known]
        if self.adversary is None:
            self._build(x.shape[1], x.device)
        head, opt = self.adversary, self.optimizer
        detached = x.detach()
        with torch.no_grad():
            logits = head(detached)
            self._sums[0] += float(F.cross_entropy(logits, y, reduction="sum"))
            self._sums[1] += float((logits.argmax(1) == y).sum())
            self._sums[2] += len(y)
        for _ in range(self.adversary_steps):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(head(detached), y).backward()
            opt.step()
        opt.zero_grad(set_to_none=True)
        return self.lam * F.cross_entropy(head(grad_reverse(x)), y)

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        loss, correct, n = self._sums
        if n:
            self.history.append({"epoch": epoch,
                                 "adversary_loss": loss / n, "adversary_accuracy": correct / n})
        self._sums = [0.0, 0.0, 0]
