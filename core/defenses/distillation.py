"""Knowledge distillation as a training hook: a student matches a teacher's softened scores.

Hinton et al., "Distilling the Knowledge in a Neural Network", NIPS-W 2015; as a defense, Papernot et al.,
"Distillation as a Defense to Adversarial Perturbations against Deep Neural Networks", IEEE S&P 2016
(training on soft labels at a high temperature smooths the model the attacker differentiates).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrec.models.base import Recommender
from advrec.training import Batch, Hook, LossFn, Trainer

CANDIDATES = ("full", "batch")


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """T^2 * KL(softmax(teacher / T) || softmax(student / T)) per row, averaged over rows.

    Both inputs are score matrices [rows, candidates]; T^2 keeps gradient sizes comparable across T.
    """
    if student.shape != teacher.shape or student.dim() != 2:
        raise ValueError(
            f"student and teacher scores must be equal-shaped [rows, candidates], got "
            f"{tuple(student.shape)} and {tuple(teacher.shape)}"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    log_p_student = F.log_softmax(student / temperature, dim=1)
    log_p_teacher = F.log_softmax(teacher / temperature, dim=1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)
    return temperature**2 * kl.mean()


def _batch_scores(model: Recommender, batch: Batch) -> torch.Tensor:
    """Scores of the batch's candidates: [pos, neg] per triple, or [score, 0] (a logit) per labelled pair."""
    users = batch["users"]
    if "pos_items" in batch and "neg_items" in batch:
        pos, neg = model.score(users, batch["pos_items"]), model.score(users, batch["neg_items"])
        return torch.stack([pos, neg], dim=1)
    if "items" in batch:
        s = model.score(users, batch["items"])
        return torch.stack([s, torch.zeros_like(s)], 1)
    raise KeyError(f"candidates='batch' needs pos_items/neg_items or items in the batch, got {sorted(batch)}")


class Distillation(Hook):
    """extra_loss = weight * distillation_loss(student, teacher, temperature) on the batch's users.

    candidates="full": softmax over every item for each distinct batch user (catalogue-sized, exact);
    "batch": over each example's own items (pos vs neg of a triple, or a pair's score as a logit).
    The teacher is only read (eval mode, no gradient).
    """

    def __init__(
        self, teacher: Recommender, weight: float = 1.0, temperature: float = 1.0, candidates: str = "full"
    ) -> None:
        if not isinstance(teacher, Recommender):
            raise TypeError(f"teacher must be a Recommender, got {type(teacher).__name__}")
        if not weight >= 0 or not temperature > 0:
            raise ValueError(f"expected weight >= 0 and temperature > 0, got {weight} and {temperature}")
        if candidates not in CANDIDATES:
            raise ValueError(f"candidates must be one of {CANDIDATES}, got {candidates!r}")
        self.teacher = teacher
        self.weight = float(weight)
        self.temperature = float(temperature)
        self.candidates = candidates

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if (model.n_users, model.n_items) != (self.teacher.n_users, self.teacher.n_items):
            raise ValueError(
                f"student has {model.n_users} users x {model.n_items} items, "
                f"teacher {self.teacher.n_users} x {self.teacher.n_items}"
            )
        self.teacher.eval()

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        device = self.teacher.device
        if self.candidates == "full":
            users = batch["users"].unique()
            student = model.full_scores(users)
            with torch.no_grad():
                teacher = self.teacher.full_scores(users.to(device))
        else:
            student = _batch_scores(model, batch)
            with torch.no_grad():
                teacher = _batch_scores(self.teacher, {k: v.to(device) for k, v in batch.items()})
        return self.weight * distillation_loss(student, teacher.to(student.device), self.temperature)
