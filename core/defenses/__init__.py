"""Defenses as training hooks: adversarial training (APR/AMR), distillation, and adversarial regularisers
for privacy and fairness (an adversary head behind a gradient-reversal layer)."""

from advrec.defenses.adversarial_regularizer import AdversarialRegularizer, AdversaryHead
from advrec.defenses.adversarial_training import AdversarialTraining
from advrec.defenses.distillation import Distillation, distillation_loss
from advrec.defenses.gradient_reversal import GradientReversal, grad_reverse

__all__ = [
    "AdversarialRegularizer",
    "AdversarialTraining",
    "AdversaryHead",
    "Distillation",
    "GradientReversal",
    "distillation_loss",
    "grad_reverse",
]
