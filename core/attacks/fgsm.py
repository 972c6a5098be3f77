"""Fast Gradient Sign/Norm Method on embeddings (Goodfellow et al., ICLR 2015; as used by APR).

He et al., "Adversarial Personalized Ranking for Recommendation", SIGIR 2018: the perturbation of an
embedding table is Delta = epsilon * Gamma / ||Gamma||, Gamma the gradient of the loss wrt the table,
L2-normalised per row (per embedding vector); `norm="linf"` gives Goodfellow's sign variant
epsilon * sign(Gamma).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from advrec.attacks.perturbation import Deltas, Objective, PerturbationAttack, direction, gradients


class FGSM(PerturbationAttack):
    """One gradient step of size `epsilon` per row: the linear approximation's worst case in the ball."""

    def perturb(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """epsilon * (normalised gradient of `objective` at zero perturbation); rows not read stay zero."""
        _, grads = gradients(objective, {k: torch.zeros_like(v) for k, v in like.items()})
        return {k: self.epsilon * direction(g, self.norm) for k, g in grads.items()}
