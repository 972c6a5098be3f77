"""Multi-step perturbation attacks: BIM/MSAP (from zero) and PGD (from a random point in the ball).

Kurakin et al., "Adversarial examples in the physical world", ICLR-W 2017 (BIM); Anelli et al.,
"Multi-Step Adversarial Perturbations on Recommender Systems Embeddings", FLAIRS 2021 (MSAP, BIM on
recommender embeddings); Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks",
ICLR 2018 (PGD with random start). Each step moves every row by `step_size` along its normalised gradient
and projects it back onto its epsilon-ball.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

from advrec.attacks.perturbation import (
    Deltas,
    Objective,
    PerturbationAttack,
    active_rows,
    direction,
    gradients,
    project,
    random_rows,
)


class BIM(PerturbationAttack):
    """Basic Iterative Method (MSAP on embeddings): `steps` projected steps of size `step_size` from zero.

    `step_size` defaults to 2.5 * epsilon / steps (Madry et al.'s rule), so the iterates can reach the
    ball's surface and move along it.
    """

    def __init__(
        self,
        epsilon: float,
        norm: str = "l2",
        targets: str | Iterable[str] = ("user", "item"),
        steps: int = 10,
        step_size: float | None = None,
    ) -> None:
        super().__init__(epsilon, norm, targets)
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        if step_size is not None and not step_size > 0:
            raise ValueError(f"step_size must be > 0 (or None for 2.5*epsilon/steps), got {step_size!r}")
        self.steps = steps
        self.step_size = 2.5 * self.epsilon / steps if step_size is None else float(step_size)

    def start(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """Initial perturbation: zero for BIM."""
        return {k: torch.zeros_like(v) for k, v in like.items()}

    def perturb(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """The last iterate of projected normalised-gradient ascent on `objective`."""
        delta = self.start(objective, like)
        for _ in range(self.steps):
            _, grads = gradients(objective, delta)
            step = {k: self.step_size * direction(g, self.norm) for k, g in grads.items()}
            delta = {k: project(delta[k] + step[k], self.norm, self.epsilon) for k in delta}
        return delta


MSAP = BIM


class PGD(BIM):
    """Projected Gradient Descent: BIM from a uniform random point of the ball (rows the loss reads)."""

    def __init__(
        self,
        epsilon: float,
        norm: str = "l2",
        targets: str | Iterable[str] = ("user", "item"),
        steps: int = 10,
        step_size: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(epsilon, norm, targets, steps, step_size)
        self.seed = seed

    def start(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """Uniform random start in the epsilon-ball, on the rows the loss reads (others stay unperturbed)."""
        masks = active_rows(gradients(objective, {k: torch.zeros_like(v) for k, v in like.items()})[1])
        out = {}
        for i, (k, v) in enumerate(like.items()):
            gen = torch.Generator(device=v.device).manual_seed(self.seed + i)
            out[k] = random_rows(v, self.norm, self.epsilon, gen, inside=True) * masks[k]
        return out
