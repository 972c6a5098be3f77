"""AdvIR (Park & Chang, "Adversarial Sampling and Training for Semi-Supervised Information Retrieval",
WWW 2019): IRGAN's adversarial sampling plus adversarial training of the discriminator.

The generator samples informative unobserved items as D's negatives (adversarial sampling, as in IRGAN);
D is then trained on those examples and on their adversarial versions: for every batch the FGSM
perturbation of D's user and item embeddings (L2 norm `epsilon` per row, from the gradient of the batch
loss) is held fixed, and D minimises loss(D) + adv_lambda * loss(D + Delta), which makes the examples
still harder and D robust to them (the paper's AdvIR; its virtual-adversarial variants VAT/SVAT, which
need no labels, are not implemented). Everything else is `advrec.gan.IRGAN`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from advrec.attacks.fgsm import FGSM
from advrec.gan.irgan import IRGAN, pair_loss, point_loss
from advrec.models.base import Recommender


class AdvIR(IRGAN):
    """IRGAN whose discriminator adds adv_lambda * its loss under the batch's FGSM perturbation of its
    user and item embeddings (`epsilon`: L2 budget per row); `adv_lambda=0` is IRGAN exactly."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 5, mode: str = "point", *, epsilon: float = 0.5,
        adv_lambda: float = 1.0, g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, **kwargs: object,
    ) -> None:
        super().__init__(n_users, n_items, dim, mode, g_init=g_init, d_init=d_init, **kwargs)
        if not adv_lambda >= 0:
            raise ValueError(f"adv_lambda must be >= 0, got {adv_lambda}")
        self.attack = FGSM(epsilon, "l2", ("user", "item"))
        self.adv_lambda = float(adv_lambda)

    def _d_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        loss = super()._d_loss(batch)
        if self.adv_lambda == 0:
            return loss
        loss_fn = point_loss if self.mode == "point" else pair_loss
        deltas = self.attack(self.discriminator, loss_fn, batch)
        with self.discriminator.perturbed(deltas):
            return loss + self.adv_lambda * loss_fn(self.discriminator, batch)
