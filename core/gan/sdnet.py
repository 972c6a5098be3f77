"""SDNet-style adversarial distillation (Chen, Zhang, Xu, Qin, Zha; "Adversarial Distillation for Efficient
Recommendation with External Knowledge", ACM TOIS 2019).

A heavy teacher reads external knowledge (the paper: user reviews) besides the ids; a light latent factor
student (`advrec.models.BiasedMF`, ids only) is trained on the ratings, to imitate the teacher's predicted
ratings (generalised distillation) and, adversarially, to make its user-item interaction vector
p_u * q_i indistinguishable from the teacher's knowledge-aware interaction vector to a discriminator
(the paper's adversarial adaption). At test time the teacher is dropped: predictions cost one dot product.

`KnowledgeTeacher` is a deep interaction model: r = mu + b_u + b_i + w . h(u, i) with h an MLP over
[user embedding, user knowledge, item embedding, item knowledge] (non-factorised, so scoring a catalogue
costs one MLP pass per pair). `AdversarialDistillation` is a training hook for `advrec.training.fit` on
the student. The review encoder, the selective shared/private split and the orthogonality constraint of
the paper are not reproduced; the architecture sizes are ours.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.networks import MLPNet
from advrec.gan.side_information import feature_matrix
from advrec.gan.trainer import GANHistory, check_finite, mean_or_nan
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.biased_mf import BiasedMF
from advrec.models.seeding import seeded
from advrec.training import Batch, Hook, LossFn, Trainer


class KnowledgeTeacher(BiasedMF):
    """r(u, i) = mu + b_u + b_i + w . h(u, i), h = MLP([p_u, x_u, q_i, y_i]) with `dim` outputs, where x_u and
    y_i are fixed knowledge vectors of the user and the item (rows of `user_knowledge`, `item_knowledge`).

    Trained with loss "mse"; `interaction(users, items)` is h, the vector the student is adapted to. It is a
    BiasedMF (ids' tables, biases, global mean, L2) whose dot product is replaced by the knowledge tower.
    """

    def __init__(
        self, n_users: int, n_items: int, user_knowledge: object, item_knowledge: object, *, dim: int = 16,
        embed: int = 32, hidden: Sequence[int] = (64,), init_std: float = 0.01, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, embed, init_std=init_std, seed=seed)
        self.register_buffer("user_knowledge", feature_matrix(user_knowledge, "user_knowledge", n_users))
        self.register_buffer("item_knowledge", feature_matrix(item_knowledge, "item_knowledge", n_items))
        width = 2 * embed + self.user_knowledge.shape[1] + self.item_knowledge.shape[1]
        with seeded(seed + 1):
            self.tower = MLPNet(width, dim, hidden=hidden, activation="relu")
            self.out = nn.Linear(dim, 1)

    def interaction(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """h(u, i) for the pairs (users[n], items[n]): [n, dim]."""
        x = torch.cat([self.table("user")[users], self.user_knowledge[users], self.table("item")[items],
                       self.item_knowledge[items]], dim=-1)
        return self.tower(x)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        head = self.out(self.interaction(users, items))[..., 0]
        return self.mean + self.user_bias[users] + self.item_bias[items] + head

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        items = torch.arange(self.n_items, device=users.device)
        return torch.stack([self.score(u.expand(self.n_items), items) for u in users])


def student_interaction(student: Recommender, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """The latent factor student's interaction vector p_u * q_i (element-wise), [n, dim]."""
    if not isinstance(student, EmbeddingRecommender) or not {"user", "item"} <= set(student.embeddings()):
        raise TypeError("the student must be an EmbeddingRecommender with 'user' and 'item' tables, "
                        f"got {type(student).__name__}")
    return student.table("user")[users] * student.table("item")[items]


class AdversarialDistillation(Hook):
    """Hook for fitting a latent factor student on ratings (loss "mse"): adds
    alpha * mean (r_student - r_teacher)^2 + beta * BCE(D(p_u * q_i), "teacher")
    over the batch's pairs, after training the discriminator D (an MLP) for `d_steps` Adam steps to tell
    the teacher's interaction vectors h(u, i) (label 1) from the student's (label 0). beta = 0 is plain
    generalised distillation (no adversary). The teacher is only read. Per epoch, `history` records the
    student's adversarial loss (g_loss), D's BCE (d_loss) and the fit's validation logs.
    """

    def __init__(self, teacher: KnowledgeTeacher, *, alpha: float = 1.0, beta: float = 0.1,
                 hidden: Sequence[int] = (32,), lr: float = 1e-3, d_steps: int = 1, seed: int = 0) -> None:
        if not isinstance(teacher, KnowledgeTeacher):
            raise TypeError(f"teacher must be a KnowledgeTeacher, got {type(teacher).__name__}")
        if not alpha >= 0 or not beta >= 0 or not lr > 0:
            raise ValueError(f"expected alpha >= 0, beta >= 0 and lr > 0, got {alpha}, {beta} and {lr}")
        if isinstance(d_steps, bool) or not isinstance(d_steps, int) or d_steps < 0:
            raise ValueError(f"d_steps must be a non-negative integer, got {d_steps!r}")
        self.teacher = teacher
        self.alpha, self.beta, self.d_steps = float(alpha), float(beta), d_steps
        dim = teacher.out.in_features
        with seeded(seed):
            self.discriminator = MLPNet(dim, 1, hidden=hidden, activation="relu")
        self.optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=lr)
        self.history = GANHistory()
        self._g: list[float] = []
        self._d: list[float] = []
        self._start = time.perf_counter()

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if (model.n_users, model.n_items) != (self.teacher.n_users, self.teacher.n_items):
            raise ValueError(f"student has {model.n_users} users x {model.n_items} items, "
                             f"teacher {self.teacher.n_users} x {self.teacher.n_items}")
        dim = student_interaction(model, torch.zeros(1, dtype=torch.long, device=model.device),
                                  torch.zeros(1, dtype=torch.long, device=model.device)).shape[1]
        if self.beta > 0 and dim != self.teacher.out.in_features:
            raise ValueError(f"the student's dimension {dim} must equal the teacher's interaction dimension "
                             f"{self.teacher.out.in_features} for the adversarial term")
        self.teacher.eval()
        self.discriminator.to(model.device)
        self._g, self._d, self._start = [], [], time.perf_counter()

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        users, items = batch["users"], batch["items"]
        with torch.no_grad():
            target = self.teacher.score(users, items)
            teacher_h = self.teacher.interaction(users, items)
        extra = self.alpha * F.mse_loss(model.score(users, items), target)
        if self.beta == 0:
            return extra
        student_h = student_interaction(model, users, items)
        ones = torch.ones(len(users), device=users.device)
        zeros = torch.zeros(len(users), device=users.device)
        detached = student_h.detach()
        for _ in range(self.d_steps):
            loss_d = (F.binary_cross_entropy_with_logits(self.discriminator(teacher_h)[:, 0], ones)
                      + F.binary_cross_entropy_with_logits(self.discriminator(detached)[:, 0], zeros))
            self._d.append(check_finite(float(loss_d.detach()), "SDNet discriminator loss",
                                        len(self.history) + 1))
            self.optimizer.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizer.step()
        adversarial = F.binary_cross_entropy_with_logits(self.discriminator(student_h)[:, 0], ones)
        self._g.append(check_finite(float(adversarial.detach()), "SDNet student adversarial loss",
                                    len(self.history) + 1))
        return extra + self.beta * adversarial

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        metrics = {k: v for k, v in logs.items() if k not in ("epoch", "loss", "time")}
        seconds = time.perf_counter() - self._start
        self.history.record(mean_or_nan(self._g), mean_or_nan(self._d), metrics, seconds)
        self._g, self._d, self._start = [], [], time.perf_counter()


def rating_predictions(model: Recommender, test: sp.spmatrix, batch: int = 8192,
                       repeats: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(users, true ratings, predictions, seconds) for the stored pairs of `test`, ordered by (user, item);
    seconds is the prediction time alone, the fastest of `repeats` passes (the inference cost)."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    coo = sp.coo_matrix(test)
    order = np.lexsort((coo.col, coo.row))
    rows, cols = coo.row[order].astype(np.int64), coo.col[order].astype(np.int64)
    users, items = torch.as_tensor(rows, device=model.device), torch.as_tensor(cols, device=model.device)
    model.eval()
    timings = []
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            out = torch.cat([model.score(users[s:s + batch], items[s:s + batch])
                             for s in range(0, len(users), batch)])
            timings.append(time.perf_counter() - start)
    return rows, coo.data[order].astype(np.float64), out.cpu().numpy().astype(np.float64), min(timings)


def per_user_rmse(users: np.ndarray, truth: np.ndarray, pred: np.ndarray, n_users: int) -> np.ndarray:
    """RMSE of each user's predictions ([n_users], NaN for users without a test rating)."""
    users = np.asarray(users, dtype=np.int64)
    sq = np.bincount(users, weights=(np.asarray(pred) - np.asarray(truth)) ** 2, minlength=n_users)
    n = np.bincount(users, minlength=n_users)
    return np.sqrt(np.divide(sq, n, out=np.full(n_users, np.nan), where=n > 0))


def parameter_count(model: nn.Module) -> int:
    """Number of trainable parameters the model needs at inference (buffers such as knowledge excluded)."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


__all__ = ["AdversarialDistillation", "KnowledgeTeacher", "parameter_count", "per_user_rmse",
           "rating_predictions", "student_interaction"]
