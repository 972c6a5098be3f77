"""Shared machinery of the perturbation attacks: the base class, norms, projections and gradients.

An attack perturbs named tensors: the embedding tables of an `EmbeddingRecommender` (user, item, side,
image features when a model exposes them as a table) or any input tensors reached through `perturb`.
Perturbations are per row: each embedding vector (a table row) gets its own budget `epsilon`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping

import torch

from advrec.attacks.threat_model import NORMS, ThreatModel
from advrec.models.base import EmbeddingRecommender

Batch = dict[str, torch.Tensor]
LossFn = Callable[[EmbeddingRecommender, Batch], torch.Tensor]
Objective = Callable[[Mapping[str, torch.Tensor]], torch.Tensor]
Deltas = dict[str, torch.Tensor]


def _rows(x: torch.Tensor) -> torch.Tensor:
    """View of `x` as [rows, features]; a 1-D tensor (e.g. a bias table) has one feature per row."""
    if x.dim() == 0:
        raise ValueError("cannot perturb a 0-dimensional tensor: expected a table with one row per entity")
    return x.reshape(x.shape[0], -1)


def direction(grad: torch.Tensor, norm: str) -> torch.Tensor:
    """Steepest-ascent direction of unit norm per row: g/||g||_2 (L2) or sign(g) (L-inf); zero rows stay 0."""
    if norm == "linf":
        return grad.sign()
    r = _rows(grad)
    n = r.norm(dim=1, keepdim=True)
    unit = torch.where(n > 0, r / n.clamp_min(torch.finfo(r.dtype).tiny), torch.zeros_like(r))
    return unit.reshape(grad.shape)


def project(delta: torch.Tensor, norm: str, epsilon: float) -> torch.Tensor:
    """Projection of every row of `delta` onto the `norm` ball of radius `epsilon`."""
    if norm == "linf":
        return delta.clamp(-epsilon, epsilon)
    r = _rows(delta)
    n = r.norm(dim=1, keepdim=True)
    scale = torch.where(n > epsilon, epsilon / n.clamp_min(torch.finfo(r.dtype).tiny), torch.ones_like(n))
    return (r * scale).reshape(delta.shape)


def random_rows(
    like: torch.Tensor, norm: str, epsilon: float, generator: torch.Generator, *, inside: bool
) -> torch.Tensor:
    """Random rows on the sphere of radius `epsilon` (inside=False) or uniform in the ball (inside=True)."""
    r = _rows(like)
    if norm == "linf":
        if inside:
            u = torch.rand(r.shape, generator=generator, device=r.device, dtype=r.dtype)
            return ((2 * u - 1) * epsilon).reshape(like.shape)
        signs = torch.randint(0, 2, r.shape, generator=generator, device=r.device).to(r.dtype) * 2 - 1
        return (signs * epsilon).reshape(like.shape)
    g = torch.randn(r.shape, generator=generator, device=r.device, dtype=r.dtype)
    unit = direction(g, "l2").reshape(r.shape)
    radius = torch.full((r.shape[0], 1), epsilon, device=r.device, dtype=r.dtype)
    if inside:
        u = torch.rand((r.shape[0], 1), generator=generator, device=r.device, dtype=r.dtype)
        radius = radius * u.pow(1.0 / r.shape[1])
    return (unit * radius).reshape(like.shape)


def gradients(objective: Objective, deltas: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, Deltas]:
    """Value of the scalar `objective(deltas)` and its gradient wrt each delta (zeros where unused)."""
    leaves = {k: d.detach().requires_grad_(True) for k, d in deltas.items()}
    with torch.enable_grad():
        value = objective(leaves)
        if value.dim() != 0:
            raise ValueError(f"the attacked loss must be a scalar, got shape {tuple(value.shape)}")
        grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
    pairs = zip(leaves, grads, strict=True)
    return value.detach(), {k: torch.zeros_like(leaves[k]) if g is None else g.detach() for k, g in pairs}


def active_rows(grads: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Boolean mask per table of the rows the loss reads (non-zero gradient), broadcastable to the table."""
    out = {}
    for k, g in grads.items():
        mask = _rows(g).ne(0).any(dim=1)
        out[k] = mask.reshape((-1,) + (1,) * (g.dim() - 1))
    return out


def _check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


def _check_epsilon(epsilon: float) -> float:
    number = isinstance(epsilon, (int, float)) and not isinstance(epsilon, bool)
    if not number or not math.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon!r}")
    return float(epsilon)


def _check_targets(targets: str | Iterable[str]) -> tuple[str, ...]:
    names = (targets,) if isinstance(targets, str) else tuple(targets)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"targets must name one or more embedding tables, got {targets!r}")
    return tuple(dict.fromkeys(names))


class PerturbationAttack(ABC):
    """Base of attacks that return additive perturbations for named tensors, to use with `model.perturbed`.

    `attack(model, loss_fn, batch)` perturbs the tables `targets` of `model.embeddings()` so as to raise
    `loss_fn(model, batch)`; `attack.perturb(objective, like)` does the same for arbitrary input tensors
    (e.g. item features fed to a model), given `objective(deltas) -> scalar loss`.
    """

    knowledge = "white-box"
    goal = "degrade ranking quality by raising the model's training loss"

    def __init__(
        self, epsilon: float, norm: str = "l2", targets: str | Iterable[str] = ("user", "item")
    ) -> None:
        self.epsilon = _check_epsilon(epsilon)
        self.norm = _check_norm(norm)
        self.targets = _check_targets(targets)

    @property
    def threat_model(self) -> ThreatModel:
        """The adversary this attack assumes."""
        return ThreatModel(
            knowledge=self.knowledge,
            capability="perturb embeddings: " + ", ".join(self.targets),
            norm=self.norm,
            epsilon=self.epsilon,
            target="untargeted",
            goal=self.goal,
            iterations=getattr(self, "steps", 1),
        )

    def tables(self, model: EmbeddingRecommender) -> dict[str, torch.Tensor]:
        """The model's embedding tables named in `targets` (detached), checked to exist."""
        if not isinstance(model, EmbeddingRecommender):
            raise TypeError(f"model must be an EmbeddingRecommender, got {type(model).__name__}")
        available = model.embeddings()
        missing = [t for t in self.targets if t not in available]
        if missing:
            raise KeyError(f"targets {missing} are not embedding tables (the model has {sorted(available)})")
        return {t: available[t].detach() for t in self.targets}

    def __call__(self, model: EmbeddingRecommender, loss_fn: LossFn, batch: Batch) -> Deltas:
        """Perturbations of `model`'s target tables that raise `loss_fn(model, batch)`."""

        def objective(deltas: Mapping[str, torch.Tensor]) -> torch.Tensor:
            with model.perturbed(deltas):
                return loss_fn(model, batch)

        return self.perturb(objective, self.tables(model))

    @abstractmethod
    def perturb(self, objective: Objective, like: Mapping[str, torch.Tensor]) -> Deltas:
        """Perturbations shaped like the tensors in `like` that raise the scalar `objective(deltas)`."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"
