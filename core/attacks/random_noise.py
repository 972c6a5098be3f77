"""Random perturbation of the same norm as an adversarial one: the baseline adversarial attacks must beat.

He et al., "Adversarial Personalized Ranking for Recommendation", SIGIR 2018 (Fig. 2) contrast random noise
with FGSM of equal size to show that MF is fragile to adversarial, not to random, perturbations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

from advrec.attacks.perturbation import (
    Deltas,
    Objective,
    PerturbationAttack,
    active_rows,
    gradients,
    random_rows,
)


class RandomNoise(PerturbationAttack):
    """Every perturbed row gets random noise of norm exactly `epsilon` (L2 sphere, or +-epsilon entries).

    `scope="batch"` perturbs only the rows the attacked loss reads (found from one gradient probe, whose
    values are not used), matching FGSM's support; `scope="all"` perturbs every row of the tables.
    """

    knowledge = "black-box"
    goal = "baseline: random perturbation of the adversarial budget"

    def __init__(
        self,
        epsilon: float,
        norm: str = "l2",
        targets: str | Iterable[str] = ("user", "item"),
        scope: str = "batch",
        seed: int = 0,
    ) -> None:
        super().__init__(epsilon, norm, targets)
        if scope not in ("batch", "all"):
            raise ValueError(f"scope must be 'batch' or 'all', got {scope!r}")
        self.scope = scope
        self.seed = seed

    def perturb(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """Random perturbations of norm `epsilon` per row (only rows `objective` reads, for scope='batch')."""
        zeros = {k: torch.zeros_like(v) for k, v in like.items()}
        masks = active_rows(gradients(objective, zeros)[1]) if self.scope == "batch" else None
        out = {}
        for i, (k, v) in enumerate(like.items()):
            gen = torch.Generator(device=v.device).manual_seed(self.seed + i)
            noise = random_rows(v, self.norm, self.epsilon, gen, inside=False)
            out[k] = noise * masks[k] if masks is not None else noise
        return out
