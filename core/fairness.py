"""Fairness and privacy training schemes built on adversaries: DPR's debiased personalised ranking, FAN's
decomposed user model, and the post-hoc attribute-inference attacker that measures what they hide.

Zhu, Wang, Caverlee, "Measuring and Mitigating Item Under-Recommendation Bias in Personalized Ranking
Systems", SIGIR 2020 (DPR: an adversary recovers an item's group from its predicted score, BPR is trained
to defeat it, and a KL-loss pulls each user's score distribution towards N(0, 1)); Wu et al., "FairRec:
Fairness-aware News Recommendation with Decomposed Adversarial Learning", 2020 (FAN: a bias-aware user part
that predicts the sensitive attribute, a bias-free part trained against an adversary, kept orthogonal, and
only the bias-free part used to rank).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from advrec.defenses import AdversaryHead, grad_reverse
from advrec.metrics import attribute_inference_auc, attribute_inference_f1
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.matrix_factorization import MatrixFactorization
from advrec.models.seeding import normal_table, seeded
from advrec.training import Batch, Hook, LossFn, Trainer

DPR_MODES = ("rsp", "reo")
SERVING = ("full", "bias-free")


def f1_from_means(precision: Sequence[float] | np.ndarray, recall: Sequence[float] | np.ndarray) -> float:
    """DPR's F1@k: 2PR/(P+R) of the precision and recall averaged over users (not a per-user F1 mean).

    This is how the DPR code (`utility.test_model_all`) computes the F1 its tables report; users without
    a value (NaN) are left out of both means.
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if p.shape != r.shape or p.ndim != 1 or p.size == 0:
        raise ValueError(f"precision and recall must be non-empty 1-D arrays of one shape, got {p.shape} "
                         f"and {r.shape}")
    mp, mr = float(np.nanmean(p)), float(np.nanmean(r))
    return 2 * mp * mr / (mp + mr) if mp + mr > 0 else 0.0


def score_moments(model: Recommender) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and population variance of each user's scores over every item, differentiable.

    For a bias-free MatrixFactorization they are exact in closed form (mean p_u.q_bar, variance
    p_u' Cov(Q) p_u), without building the users x items score matrix; other models score every item.
    """
    if isinstance(model, MatrixFactorization) and model.item_bias is None:
        users, items = model.table("user"), model.table("item")
        centred = items - items.mean(0)
        cov = centred.T @ centred / items.shape[0]
        return users @ items.mean(0), ((users @ cov) * users).sum(1)
    scores = model.full_scores(torch.arange(model.n_users, device=model.device))
    return scores.mean(1), scores.var(1, unbiased=False)


def kl_score_loss(model: Recommender, eps: float = 1e-8) -> torch.Tensor:
    """DPR's KL-loss: sum over users of mean^2 + std^2 - 2 log std - 1, i.e. twice
    KL(N(mean, std^2) || N(0, 1)) of each user's scores over every item."""
    mean, var = score_moments(model)
    var = var.clamp_min(eps)
    return (mean.pow(2) + var - var.log() - 1).sum()


def _group_matrix(item_groups: object) -> torch.Tensor:
    g = np.asarray(item_groups)
    if g.ndim == 1:
        if not np.issubdtype(g.dtype, np.integer) or g.min() < 0:
            raise ValueError("item_groups given as ids must be non-negative integers, one per item")
        m = np.zeros((g.size, int(g.max()) + 1), dtype=bool)
        m[np.arange(g.size), g] = True
        g = m
    if g.ndim != 2 or g.shape[1] < 2:
        raise ValueError(f"item_groups must be [n_items] group ids or an [n_items, n_groups >= 2] membership "
                         f"matrix, got shape {g.shape}")
    if not g.astype(bool).sum(0).all():
        raise ValueError("item_groups: every group needs at least one item")
    return torch.as_tensor(g.astype(np.float32))


class DPRRegularizer(Hook):
    """DPR's adversarial term and KL-loss as a training hook on a pairwise (BPR) fit.

    extra_loss = (beta / 2 * KL-loss + alpha * A) / B, with B the batch's triples, which keeps the code's
    relative weights (it sums the BPR loss over the batch; `fit` averages it). A is the adversary's
    error, sum over the batch of w_i * ||sigmoid(MLP(s_ui)) - g_i||^2 with g_i the item's multi-hot groups
    and w_i = sum over its groups of 1 / (group size), read through a gradient-reversal layer, so BPR
    maximises it. mode "rsp" feeds the scores of positive and negative pairs (statistical parity), "reo"
    only the positive pairs (equal opportunity). Before returning, the adversary (MLP on the scalar
    score, `hidden` ReLU layers, one sigmoid per group) takes `adversary_steps` Adam steps on the batch's
    detached scores; the DPR code instead passes over the whole data set for every BPR batch. Per-epoch
    adversary error (per scored pair) and KL-loss (per batch) are kept in `history`.
    """

    def __init__(
        self,
        item_groups: object,
        mode: str = "rsp",
        alpha: float = 5000.0,
        beta: float = 30.0,
        hidden: Sequence[int] = (50, 50, 50, 50),
        lr: float = 0.005,
        adversary_steps: int = 1,
        seed: int = 0,
    ) -> None:
        if mode not in DPR_MODES:
            raise ValueError(f"mode must be one of {DPR_MODES}, got {mode!r}")
        if not alpha >= 0 or not beta >= 0 or not lr > 0:
            raise ValueError(f"expected alpha >= 0, beta >= 0 and lr > 0, got {alpha}, {beta} and {lr}")
        if isinstance(adversary_steps, bool) or not isinstance(adversary_steps, int) or adversary_steps < 0:
            raise ValueError(f"adversary_steps must be a non-negative integer, got {adversary_steps!r}")
        self.groups = _group_matrix(item_groups)
        self.weights = self.groups @ (1.0 / self.groups.sum(0))
        self.mode = mode
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.hidden = tuple(hidden)
        self.lr = float(lr)
        self.adversary_steps = adversary_steps
        self.seed = seed
        with seeded(seed):
            self.adversary = AdversaryHead(1, self.groups.shape[1], self.hidden)
        self.optimizer = torch.optim.Adam(self.adversary.parameters(), lr=self.lr)
        self.history: list[dict[str, float]] = []
        self._sums = [0.0, 0.0, 0, 0]

    def adversary_error(self, scores: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """A: sum over pairs of w_i * squared error of the adversary's sigmoid outputs against g_i."""
        target = self.groups.to(scores.device)[items]
        weight = self.weights.to(scores.device)[items]
        out = torch.sigmoid(self.adversary(scores.unsqueeze(1)))
        return ((out - target).pow(2).sum(1) * weight).sum()

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if model.n_items != self.groups.shape[0]:
            raise ValueError(f"item_groups has {self.groups.shape[0]} rows, the model {model.n_items} items")
        self.adversary.to(model.device)
        self._sums = [0.0, 0.0, 0, 0]

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        if "pos_items" not in batch or "neg_items" not in batch:
            raise KeyError(f"DPR needs pairwise batches (users, pos_items, neg_items), got {sorted(batch)}")
        users, pos, neg = batch["users"], batch["pos_items"], batch["neg_items"]
        n = len(users)
        if self.mode == "rsp":
            scores = torch.cat([model.score(users, pos), model.score(users, neg)])
            items = torch.cat([pos, neg])
        else:
            scores, items = model.score(users, pos), pos
        detached = scores.detach()
        for _ in range(self.adversary_steps):
            self.optimizer.zero_grad(set_to_none=True)
            self.adversary_error(detached, items).backward()
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        adversarial = self.adversary_error(grad_reverse(scores), items)
        kl = kl_score_loss(model) if self.beta else torch.zeros((), device=scores.device)
        self._sums[0] += float(adversarial.detach())
        self._sums[1] += float(kl.detach())
        self._sums[2] += len(items)
        self._sums[3] += 1
        return (0.5 * self.beta * kl + self.alpha * adversarial) / n

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        error, kl, pairs, batches = self._sums
        if batches:
            self.history.append({"epoch": epoch, "adversary_error": error / pairs, "kl_loss": kl / batches})
        self._sums = [0.0, 0.0, 0, 0]


def score_vectors(model: Recommender, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Adversary input of RAP (Beigi et al., WSDM 2020): each distinct batch user's predicted scores over
    every item, i.e. the recommendations an attacker observes; a `source` for `AdversarialRegularizer`."""
    users = batch["users"].unique()
    return model.full_scores(users), users


def _stratified_test(labels: np.ndarray, test_size: float, rng: np.random.Generator) -> np.ndarray:
    test = np.zeros(labels.size, dtype=bool)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test[idx[: int(round(test_size * idx.size))]] = True
    return test


def attribute_attack(
    features: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    *,
    test_size: float = 0.3,
    hidden: Sequence[int] = (64,),
    epochs: int = 300,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> dict[str, float]:
    """Post-hoc attribute-inference attacker: an MLP trained on a stratified share of the users' features
    (embeddings, score vectors, top-k lists), scored on the held-out rest.

    Features are z-scored with the training users' statistics; full-batch Adam for `epochs` steps.
    Returns auc (binary, or mean one-vs-rest), f1 (macro), accuracy, and majority (the accuracy of always
    guessing the training majority class): an AUC near 0.5 means the attribute is not recoverable.
    """
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    y = np.asarray(labels)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.size:
        raise ValueError(f"features must be [n, d] and labels [n], got {tuple(x.shape)} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or np.unique(y).size < 2:
        raise ValueError("labels must be non-negative integer classes, at least two of them")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(seed)
    test = _stratified_test(y, test_size, rng)
    mu, sd = x[~test].mean(0), x[~test].std(0).clamp_min(1e-6)
    x = (x - mu) / sd
    n_classes = int(y.max()) + 1
    target = torch.as_tensor(y, dtype=torch.long)
    with seeded(seed):
        head = AdversaryHead(x.shape[1], n_classes, hidden)
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
    train_x, train_y = x[~test], target[~test]
    for _ in range(epochs):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(head(train_x), train_y).backward()
        opt.step()
    with torch.no_grad():
        prob = torch.softmax(head(x[test]), 1).numpy()
    y_test = y[test]
    score = prob[:, 1] if n_classes == 2 else prob
    majority = np.bincount(y[~test], minlength=n_classes).argmax()
    return {
        "auc": attribute_inference_auc(y_test, score),
        "f1": attribute_inference_f1(y_test, prob.argmax(1), "macro"),
        "accuracy": float((prob.argmax(1) == y_test).mean()),
        "majority": float((y_test == majority).mean()),
    }


class DecomposedMF(EmbeddingRecommender):
    """FAN's decomposed user model on a BPR-MF backbone: user vector = bias-free part + bias-aware part.

    Tables: "user" (bias-free), "bias" (bias-aware), "item". `attribute_head` (linear) predicts the
    sensitive attribute from the bias-aware part. With `serving = "full"` (training) a score is
    (bias-free + bias-aware) . item; with "bias-free" (ranking, as FAN serves) only bias-free . item.
    """

    default_loss = "bpr"

    def __init__(
        self, n_users: int, n_items: int, n_classes: int, dim: int = 64, *, init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if dim <= 0 or n_classes < 2:
            raise ValueError(f"dim must be positive and n_classes >= 2, got {dim} and {n_classes}")
        with seeded(seed):
            self.user = normal_table(n_users, dim, init_std)
            self.bias = normal_table(n_users, dim, init_std)
            self.item = normal_table(n_items, dim, init_std)
            self.attribute_head = nn.Linear(dim, n_classes)
        self.serving = "full"

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "bias": self.bias, "item": self.item}

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """The user vectors scores are made of, under the current `serving` mode."""
        if self.serving not in SERVING:
            raise ValueError(f"serving must be one of {SERVING}, got {self.serving!r}")
        free = self.table("user")[users]
        return free if self.serving == "bias-free" else free + self.table("bias")[users]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.user_vectors(users) * self.table("item")[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.user_vectors(users) @ self.table("item").T


class DecompositionLoss(Hook):
    """FAN's two decomposition terms for a `DecomposedMF`, on the batch's distinct users:
    attribute_weight * CE(attribute_head(bias-aware), label) + orthogonality_weight * mean |cos(bias-aware,
    bias-free)|. Pair it with `AdversarialRegularizer(labels, source="user")` on the bias-free part.
    Negative labels mark unknown attributes and are left out of the CE term.
    """

    def __init__(
        self,
        labels: Sequence[int] | np.ndarray,
        attribute_weight: float = 1.0,
        orthogonality_weight: float = 1.0,
    ) -> None:
        y = torch.as_tensor(np.asarray(labels)).long()
        if y.dim() != 1 or len(y) == 0:
            raise ValueError(f"labels must be a 1-D sequence of class ids, got shape {tuple(y.shape)}")
        if not attribute_weight >= 0 or not orthogonality_weight >= 0:
            raise ValueError("attribute_weight and orthogonality_weight must be >= 0, got "
                             f"{attribute_weight} and {orthogonality_weight}")
        self.labels = y
        self.attribute_weight = float(attribute_weight)
        self.orthogonality_weight = float(orthogonality_weight)

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if not isinstance(model, DecomposedMF):
            raise TypeError(f"DecompositionLoss needs a DecomposedMF, got {type(model).__name__}")
        if len(self.labels) != model.n_users:
            raise ValueError(f"labels has {len(self.labels)} entries, the model {model.n_users} users")

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        assert isinstance(model, DecomposedMF)
        users = batch["users"].unique()
        aware, free = model.table("bias")[users], model.table("user")[users]
        y = self.labels.to(users.device)[users]
        known = y >= 0
        total = self.orthogonality_weight * F.cosine_similarity(aware, free, dim=1).abs().mean()
        if bool(known.any()):
            logits = model.attribute_head(aware[known])
            total = total + self.attribute_weight * F.cross_entropy(logits, y[known])
        return total
