"""Robustness curves: a trained embedding model's ranking metrics under perturbation attacks of growing size.

He et al., "Adversarial Personalized Ranking for Recommendation", SIGIR 2018 (Fig. 1, Table 2: NDCG of
BPR-MF and AMF under FGSM and random noise of the same norm); Anelli et al., "Multi-Step Adversarial
Perturbations on Recommender Systems Embeddings", FLAIRS 2021 (FGSM vs iterative BIM/PGD at the same
budget). The attacker raises the model's training loss over the whole training set (every interaction
once, with freshly drawn negatives), the perturbation is applied to the model's embedding tables, and the
perturbed model is evaluated with `advrec.evaluation.evaluate` against the same test set as the clean one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from advrec.attacks.perturbation import PerturbationAttack
from advrec.evaluation import EvalResult, evaluate
from advrec.metrics import relative_drop
from advrec.models.base import EmbeddingRecommender
from advrec.training import LOSSES, Batch, LossFn, PairwiseSampler, PointwiseSampler

AttackFactory = Callable[[float], PerturbationAttack]


def attack_loss(model: EmbeddingRecommender, loss: str | LossFn | None = None) -> tuple[LossFn, str | None]:
    """The loss the attacker raises and the kind of batch it reads: `loss` by name or callable, default the
    model's `default_loss` (BPR for MF/LightGCN, BCE for the NCF family)."""
    if callable(loss):
        return loss, None
    name = loss or getattr(model, "default_loss", None) or "bpr"
    if name not in LOSSES:
        raise ValueError(f"loss must be a callable or one of {sorted(LOSSES)}, got {name!r}")
    return LOSSES[name]


def attack_batch(
    train: sp.spmatrix, kind: str | None = "pairwise", *, negatives: int = 1, seed: int = 0,
    max_samples: int | None = None,
) -> Batch:
    """One batch holding every training interaction (or a random `max_samples` of them) for the attacker's
    loss: BPR triples with one unseen negative each ("pairwise") or labelled pairs with `negatives` unseen
    items per positive ("pointwise"), drawn with `seed`."""
    if max_samples is not None and (not isinstance(max_samples, int) or max_samples < 1):
        raise ValueError(f"max_samples must be a positive integer or None, got {max_samples!r}")
    csr = sp.csr_matrix(train)
    if csr.nnz == 0:
        raise ValueError("train has no interactions: the attacker's loss needs at least one")
    rng = np.random.default_rng(seed)
    if kind in (None, "pairwise"):
        sampler: PairwiseSampler | PointwiseSampler = PairwiseSampler(csr)
    elif kind == "pointwise":
        sampler = PointwiseSampler(csr, negatives)
    else:
        raise ValueError(f"attack batches are built for 'pairwise' or 'pointwise' losses, not {kind!r}; "
                         "pass batch= explicitly")
    batch = next(sampler.batches(1 << 62, rng))
    if max_samples is not None and max_samples < len(batch["users"]):
        keep = torch.from_numpy(np.sort(rng.choice(len(batch["users"]), max_samples, replace=False)))
        batch = {k: v[keep] for k, v in batch.items()}
    return batch


def attack_name(factory: AttackFactory) -> str:
    """A readable name of an attack factory: the class or function name (through functools.partial)."""
    inner = factory.func if isinstance(factory, functools.partial) else factory
    return str(getattr(inner, "__name__", type(inner).__name__))


@dataclass(frozen=True)
class RobustnessCurve:
    """The clean evaluation and one evaluation per (attack, epsilon), all on the same users and test set.

    `results[(attack, epsilon)]` holds per-user metric values; `rows()` and `value`/`drop` summarise them.
    """

    clean: EvalResult
    results: dict[tuple[str, float], EvalResult]
    epsilons: tuple[float, ...]

    @property
    def attacks(self) -> tuple[str, ...]:
        """The attack names, in the order they were run."""
        return tuple(dict.fromkeys(name for name, _ in self.results))

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric keys (e.g. "NDCG@10")."""
        return tuple(self.clean.values)

    def result(self, attack: str, epsilon: float) -> EvalResult:
        """The evaluation under `attack` at `epsilon` (the clean one at epsilon 0)."""
        key = (attack, float(epsilon))
        if key not in self.results:
            raise KeyError(f"no result for attack {attack!r} at epsilon {epsilon}; attacks {self.attacks}, "
                           f"epsilons {self.epsilons}")
        return self.results[key]

    def value(self, attack: str, epsilon: float, metric: str) -> float:
        """Mean of `metric` over users under `attack` at `epsilon`."""
        return self.result(attack, epsilon).summary()[metric.upper()]

    def drop(self, attack: str, epsilon: float, metric: str) -> float:
        """Relative drop (clean - attacked) / clean of `metric`'s mean: 0.2 means 20% lower under attack."""
        return float(relative_drop(self.clean.summary()[metric.upper()], self.value(attack, epsilon, metric)))

    def curve(self, attack: str, metric: str) -> np.ndarray:
        """`metric`'s mean at each of `epsilons` under `attack`."""
        return np.array([self.value(attack, e, metric) for e in self.epsilons])

    def rows(self) -> list[dict[str, Any]]:
        """Tidy rows {attack, epsilon, metric, value, clean, drop}, one per (attack, epsilon, metric)."""
        clean = self.clean.summary()
        out = []
        for (attack, epsilon), result in self.results.items():
            for metric, value in result.summary().items():
                out.append({"attack": attack, "epsilon": epsilon, "metric": metric, "value": value,
                            "clean": clean[metric], "drop": float(relative_drop(clean[metric], value))})
        return out


def _epsilons(epsilons: Sequence[float]) -> tuple[float, ...]:
    values = tuple(epsilons)
    if not values:
        raise ValueError("epsilons is empty; expected one or more budgets >= 0")
    for e in values:
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e) or e < 0:
            raise ValueError(f"epsilons must be finite numbers >= 0, got {e!r}")
    return tuple(float(e) for e in values)


def robustness_curve(
    model: EmbeddingRecommender,
    train: sp.spmatrix,
    test: sp.spmatrix,
    attacks: AttackFactory | Mapping[str, AttackFactory],
    epsilons: Sequence[float],
    *,
    loss: str | LossFn | None = None,
    batch: Batch | None = None,
    metrics: Sequence[str] = ("HR", "NDCG"),
    ks: Sequence[int] = (10,),
    candidates: int | None = None,
    seed: int = 0,
    max_samples: int | None = None,
    exclude: sp.spmatrix | None = None,
) -> RobustnessCurve:
    """Evaluate `model` clean and under each attack at each epsilon (full ranking unless `candidates`).

    attacks: a factory `epsilon -> PerturbationAttack` (e.g. `FGSM`, `functools.partial(BIM, steps=10)`)
    or a mapping name -> factory to compare several on the same batch and users. The attacker's loss is
    `loss` (default: the model's own) over `batch` (default: `attack_batch` of `train` with `seed`, every
    interaction once); epsilon 0 reuses the clean evaluation. The model is not modified.
    """
    if not isinstance(model, EmbeddingRecommender):
        raise TypeError(f"model must be an EmbeddingRecommender (exposing embedding tables), "
                        f"got {type(model).__name__}")
    factories = dict(attacks) if isinstance(attacks, Mapping) else {attack_name(attacks): attacks}
    if not factories:
        raise ValueError("attacks is empty; expected a factory or a mapping name -> factory")
    for name, factory in factories.items():
        if not callable(factory):
            raise TypeError(f"attack {name!r}: expected a callable epsilon -> attack, got {factory!r}")
    budgets = _epsilons(epsilons)
    loss_fn, kind = attack_loss(model, loss)
    if batch is None:
        batch = attack_batch(train, kind, seed=seed, max_samples=max_samples)
    batch = {k: v.to(model.device) for k, v in batch.items()}

    def run(deltas: Mapping[str, torch.Tensor] | None) -> EvalResult:
        if deltas is None:
            return evaluate(model, train, test, metrics, ks, candidates, seed, exclude=exclude)
        with model.perturbed(deltas):
            return evaluate(model, train, test, metrics, ks, candidates, seed, exclude=exclude)

    was_training = model.training
    model.eval()
    try:
        clean = run(None)
        results: dict[tuple[str, float], EvalResult] = {}
        for name, factory in factories.items():
            for epsilon in budgets:
                if epsilon == 0:
                    results[(name, epsilon)] = clean
                    continue
                attack = factory(epsilon)
                if not isinstance(attack, PerturbationAttack):
                    raise TypeError(f"attack {name!r} at epsilon {epsilon}: the factory returned "
                                    f"{type(attack).__name__}, expected a PerturbationAttack")
                results[(name, epsilon)] = run(attack(model, loss_fn, batch))
    finally:
        model.train(was_training)
    return RobustnessCurve(clean, results, budgets)
