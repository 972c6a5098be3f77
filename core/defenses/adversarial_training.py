"""Adversarial training of any embedding recommender as a training hook (APR, AMR).

He et al., "Adversarial Personalized Ranking for Recommendation", SIGIR 2018 (APR: user and item
embeddings); Tang et al., "Adversarial Training Towards Robust Multimedia Recommender System", IEEE TKDE
2019 (AMR: image-feature embeddings). Per batch, the FGSM perturbation Delta of the chosen tables is
computed from the batch loss and held constant; the hook adds lam * loss(model perturbed by Delta).
As in the APR paper, start from a model already trained with plain BPR (fit it once without the hook,
then again with it, or set `warmup_epochs`): APR initialises from BPR's parameters because perturbations
of an untrained model are close to noise. Keep the L2 regulariser (`fit(..., reg=...)`) when fine-tuning:
without it both BPR and APR mostly grow the embeddings' norms and the robustness gain is unreliable.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from advrec.attacks.fgsm import FGSM
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.training import Batch, Hook, LossFn, Trainer


class AdversarialTraining(Hook):
    """APR/AMR hook: extra_loss = lam * loss_fn(model + Delta_FGSM(epsilon) on `granularity` tables).

    granularity: the embedding tables perturbed ("user", "item", or e.g. "feature" for AMR on a visual
    model); norm: "l2" (APR's per-row normalised gradient) or "linf" (sign); warmup_epochs: epochs of
    the same fit with no adversarial term (an in-loop stand-in for BPR pre-training).
    """

    def __init__(
        self,
        epsilon: float = 0.5,
        lam: float = 1.0,
        granularity: str | Iterable[str] = ("user", "item"),
        norm: str = "l2",
        warmup_epochs: int = 0,
    ) -> None:
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) or warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be a non-negative integer, got {warmup_epochs!r}")
        self.attack = FGSM(epsilon, norm, granularity)
        self.lam = float(lam)
        self.warmup_epochs = warmup_epochs
        self._epoch = 0

    @property
    def epsilon(self) -> float:
        """Per-row budget of the training perturbation."""
        return self.attack.epsilon

    @property
    def granularity(self) -> tuple[str, ...]:
        """The perturbed embedding tables."""
        return self.attack.targets

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        if not isinstance(model, EmbeddingRecommender):
            raise TypeError(f"adversarial training needs an EmbeddingRecommender, got {type(model).__name__}")
        self.attack.tables(model)
        self._epoch = 0

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        """lam * loss of the batch under this batch's FGSM perturbation (None during warm-up)."""
        if self._epoch < self.warmup_epochs or self.lam == 0:
            return None
        deltas = self.attack(model, loss_fn, batch)
        with model.perturbed(deltas):
            return self.lam * loss_fn(model, batch)

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        self._epoch = epoch + 1

    def __repr__(self) -> str:
        return (
            f"AdversarialTraining(epsilon={self.epsilon}, lam={self.lam}, granularity={self.granularity}, "
            f"norm={self.attack.norm!r}, warmup_epochs={self.warmup_epochs})"
        )
