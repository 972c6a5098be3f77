"""Attacks on recommenders: perturbations of embeddings or input features, and poisoning by fake profiles.

Perturbation attacks are called as `attack(model, loss_fn, batch) -> {table: delta}` and applied with
`model.perturbed(deltas)`; poisoning attacks as `attack(ratings) -> fake profiles`, added with `inject`.
Every attack declares its `threat_model`.
"""

from advrec.attacks.aush import AUSH
from advrec.attacks.carlini_wagner import CarliniWagner
from advrec.attacks.fgsm import FGSM
from advrec.attacks.gan_attack import GANAttack
from advrec.attacks.iterative import BIM, MSAP, PGD
from advrec.attacks.optimized_poisoning import OptimizedAttack, fit_surrogate
from advrec.attacks.perturbation import PerturbationAttack
from advrec.attacks.poisoning import (
    AverageAttack,
    BandwagonAttack,
    LoveHateAttack,
    ProfileAttack,
    RandomAttack,
    SegmentAttack,
    inject,
)
from advrec.attacks.random_noise import RandomNoise
from advrec.attacks.threat_model import ThreatModel

__all__ = [
    "AUSH",
    "AverageAttack",
    "BIM",
    "BandwagonAttack",
    "CarliniWagner",
    "FGSM",
    "GANAttack",
    "LoveHateAttack",
    "MSAP",
    "OptimizedAttack",
    "PGD",
    "PerturbationAttack",
    "ProfileAttack",
    "RandomAttack",
    "RandomNoise",
    "SegmentAttack",
    "ThreatModel",
    "fit_surrogate",
    "inject",
]
