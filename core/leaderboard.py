"""The robustness leaderboard: every embedding model, trained the same way, under the same attacks.

Each model is trained on one split per seed, then (1) attacked on all its embedding tables (user and item
tables of every branch) with FGSM and BIM at each L2 budget, and (2) retrained on the training data
poisoned by fake profiles (random and bandwagon shilling) at each share of fake users, pushing a few target
items. The rows hold the metric's mean and 95% CI over seeds (ranking metrics and their relative drop for
perturbations, the target items' hit ratio for poisoning) in the format the book reads
(`advrec.site_records`: {model, attack, strength, metric, mean, ci_low, ci_high, n}). Strength 0 is the
clean model. The record is written atomically to results/leaderboard/record.json with its provenance.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from advrec.attacks.fgsm import FGSM
from advrec.attacks.iterative import BIM
from advrec.attacks.perturbation import PerturbationAttack
from advrec.attacks.poisoning import BandwagonAttack, ProfileAttack, RandomAttack, inject
from advrec.data.interactions import Split
from advrec.evaluation import mean_ci, rank
from advrec.metrics import target_hit_ratio
from advrec.models.base import EmbeddingRecommender
from advrec.models.lightgcn import LightGCN
from advrec.models.matrix_factorization import MatrixFactorization
from advrec.models.ncf import GMF, NeuMF
from advrec.results import environment, git_state, jsonable, now_iso, repo_root, write_bytes_atomic
from advrec.robustness import robustness_curve
from advrec.training import fit

SCHEMA = "advrec-leaderboard/1"
DEFAULT_EPSILONS = (0.25, 0.5, 1.0)
DEFAULT_BUDGETS = (0.01, 0.05)
ModelFactory = Callable[[int, int, int], EmbeddingRecommender]
PoisoningFactory = Callable[..., ProfileAttack]


@dataclass(frozen=True)
class ModelSpec:
    """A leaderboard entry: how to build the model (n_users, n_items, seed) and its training stages.

    `stages` are `fit` keyword arguments run in order on the same model (e.g. BPR pre-training, then APR);
    `seed` is set per stage from the run's seed.
    """

    name: str
    build: ModelFactory
    stages: tuple[Mapping[str, Any], ...]
    note: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("ModelSpec.name must be a non-empty string")
        if not self.stages:
            raise ValueError(f"model {self.name!r}: stages is empty; give at least one fit(...) config")

    def train(self, n_users: int, n_items: int, train: Any, seed: int) -> EmbeddingRecommender:
        """A fresh model trained through every stage on `train` with `seed`."""
        model = self.build(n_users, n_items, seed)
        if not isinstance(model, EmbeddingRecommender):
            raise TypeError(f"model {self.name!r}: build returned {type(model).__name__}, expected an "
                            "EmbeddingRecommender (the attacks perturb its embedding tables)")
        for index, stage in enumerate(self.stages):
            fit(model, train, **{**stage, "seed": seed * 1000 + index})
        return model


def default_models(scale: float = 1.0) -> list[ModelSpec]:
    """BPR-MF, APR-trained MF (AMF), GMF, NeuMF and LightGCN with CPU-friendly settings; `scale` multiplies
    every epoch count (e.g. 0.05 for tests). Hyperparameters are reasonable defaults, not tuned per model."""
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")

    def epochs(n: int) -> int:
        return max(1, round(n * scale))

    bpr = {"engine": "fast", "epochs": epochs(100), "lr": 0.05, "reg": 0.003}
    more = {**bpr, "lr": 0.01}
    return [
        ModelSpec("BPR-MF", functools.partial(_mf, dim=64), (bpr, more),
                  "MF trained with BPR (per-sample SGD), then continued with BPR at a lower rate"),
        ModelSpec("APR-MF", functools.partial(_mf, dim=64),
                  (bpr, {**more, "apr_epsilon": 0.5, "apr_lambda": 1.0}),
                  "the same BPR-MF pre-training, then continued with APR (eps 0.5, lambda 1)"),
        ModelSpec("GMF", functools.partial(_build, GMF, dim=32),
                  ({"epochs": epochs(10), "lr": 1e-3, "batch_size": 1024, "neg_ratio": 4},),
                  "GMF with BCE, 4 negatives per positive"),
        ModelSpec("NeuMF", functools.partial(_build, NeuMF, dim=32, layers=(64, 32, 16)),
                  ({"epochs": epochs(10), "lr": 1e-3, "batch_size": 1024, "neg_ratio": 4},),
                  "NeuMF without GMF/MLP pre-training, BCE, 4 negatives per positive"),
        ModelSpec("LightGCN", functools.partial(_build, LightGCN, dim=64, layers=3),
                  ({"epochs": epochs(15), "lr": 1e-2, "batch_size": 4096, "reg": 1e-4},),
                  "LightGCN, 3 layers, BPR, a short schedule (15 epochs of 4096-triple batches)"),
    ]


def _mf(n_users: int, n_items: int, seed: int, dim: int) -> MatrixFactorization:
    return MatrixFactorization(n_users, n_items, dim, seed=seed)


def _build(cls: type, n_users: int, n_items: int, seed: int, **kwargs: Any) -> EmbeddingRecommender:
    return cls(n_users, n_items, seed=seed, **kwargs)


def default_attacks() -> dict[str, Callable[..., PerturbationAttack]]:
    """FGSM and BIM (10 steps, step 2.5 * eps / 10), both L2 per embedding row."""
    return {"FGSM": FGSM, "BIM": functools.partial(BIM, steps=10)}


def default_poisoning() -> dict[str, PoisoningFactory]:
    """Random and bandwagon shilling (filler 5% of the items, bandwagon on the 5 most popular items)."""
    return {"Random poisoning": RandomAttack, "Bandwagon poisoning": BandwagonAttack}


def draw_targets(train: Any, n_targets: int, seed: int) -> list[int]:
    """`n_targets` distinct items drawn uniformly among those with at least one training interaction."""
    counts = np.asarray(train.getnnz(axis=0)).ravel()
    seen = np.flatnonzero(counts > 0)
    if len(seen) < n_targets:
        raise ValueError(f"n_targets={n_targets} exceeds the {len(seen)} items with training interactions")
    return sorted(int(i) for i in np.random.default_rng(seed).choice(seen, n_targets, replace=False))


def _target_hr(model: EmbeddingRecommender, train: Any, targets: list[int], k: int) -> float:
    """Mean over `targets` of their hit ratio at k among the real users who have not interacted with them."""
    users = np.arange(train.shape[0])
    top = rank(model, train, users, k)
    return float(np.nanmean(target_hit_ratio(top, targets, train)))


def _row(model: str, attack: str, strength: float, metric: str, values: Sequence[float]) -> dict[str, Any]:
    mean, low, high = mean_ci(values)
    return {"model": model, "attack": attack, "strength": strength, "metric": metric, "mean": mean,
            "ci_low": low if math.isfinite(low) else None, "ci_high": high if math.isfinite(high) else None,
            "n": len(values)}


def build_leaderboard(
    split: Split,
    *,
    models: Sequence[ModelSpec] | None = None,
    attacks: Mapping[str, Callable[..., PerturbationAttack]] | None = None,
    epsilons: Sequence[float] = DEFAULT_EPSILONS,
    poisoning: Mapping[str, PoisoningFactory] | None = None,
    budgets: Sequence[float] = DEFAULT_BUDGETS,
    n_targets: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
    metrics: Sequence[str] = ("HR", "NDCG"),
    ks: Sequence[int] = (10,),
    path: str | Path | None = None,
    threads: int | None = 1,
) -> dict[str, Any]:
    """Train every model of `models` (default `default_models()`) on `split` for each seed, attack it with
    each of `attacks` (name -> factory(epsilon, targets=...), default FGSM and BIM) at each epsilon and
    with each of `poisoning` (name -> factory(target_items, n_fake=..., seed=...), default random and
    bandwagon shilling; `{}` for none) at each budget (share of fake users, the model retrained on the
    poisoned data), and return the leaderboard document, also written atomically to `path` (default:
    results/leaderboard/record.json of the checkout). `threads`: torch threads during the run.

    Rows: metric values ("HR@10") and relative drops ("HR@10 drop") per (model, attack, strength) for the
    perturbations, "target HR@k" (k = the first of `ks`) of `n_targets` random target items per seed for
    poisoning; mean and 95% Student-t CI over seeds; strength 0 is the clean model. Full ranking over
    non-training items.
    """
    specs = list(default_models() if models is None else models)
    factories = dict(default_attacks() if attacks is None else attacks)
    poisoners = dict(default_poisoning() if poisoning is None else poisoning)
    if not specs or not factories:
        raise ValueError("models and attacks must each name at least one entry")
    shares = sorted({float(b) for b in budgets})
    if poisoners and (not shares or not all(0.0 < b < 1.0 for b in shares)):
        raise ValueError(f"budgets must be shares of fake users in (0, 1), got {list(budgets)}")
    if not isinstance(n_targets, int) or n_targets < 1:
        raise ValueError(f"n_targets must be a positive integer, got {n_targets!r}")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty; the leaderboard reports a mean and CI over seeds")
    strengths = sorted({0.0, *(float(e) for e in epsilons)})
    start_time, t0 = now_iso(), time.perf_counter()
    train, test = split.train.to_csr(), split.test.to_csr()
    n_users, n_items = train.shape
    cells: dict[tuple[str, str, float, str], list[float]] = {}
    norms: dict[str, list[float]] = {}
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for spec in specs:
            for seed in seeds:
                model = spec.train(n_users, n_items, train, seed)
                tables = tuple(model.embeddings())
                row_norms = [t.detach().norm(dim=1).mean().item() for t in model.embeddings().values()]
                norms.setdefault(spec.name, []).append(float(np.mean(row_norms)))
                per_model = {name: functools.partial(f, targets=tables) for name, f in factories.items()}
                curve = robustness_curve(model, train, test, per_model, strengths, metrics=metrics, ks=ks,
                                         seed=seed)
                for row in curve.rows():
                    pairs = ((row["metric"], row["value"]), (row["metric"] + " drop", row["drop"]))
                    for metric, value in pairs:
                        key = (spec.name, row["attack"], row["epsilon"], metric)
                        cells.setdefault(key, []).append(float(value))
                if poisoners:
                    for key, value in _poisoning_cells(spec, model, train, poisoners, shares, n_targets,
                                                       ks[0], seed):
                        cells.setdefault(key, []).append(value)
    finally:
        torch.set_num_threads(previous)
    # A drop is undefined (NaN) where the clean metric is 0; such seeds are left out of that row.
    finite = {key: [v for v in values if math.isfinite(v)] for key, values in cells.items()}
    rows = [_row(*key, values) for key, values in finite.items() if values]
    target = Path(path) if path is not None else repo_root() / "results" / "leaderboard" / "record.json"
    provenance = environment(start_time, time.perf_counter() - t0)
    outputs = [repo_root() / "results", repo_root() / "runs", target.parent]  # run outputs are not changes
    provenance["git"] = git_state(repo_root(), exclude=outputs)
    document = {
        "schema": SCHEMA,
        "dataset": split.name,
        "protocol": (f"{split.protocol}; full ranking over items not in training; perturbations of every "
                     "embedding table, L2 budget per row (strength = epsilon)"
                     + (f"; poisoning: fake users at a share of the real ones (strength = share), pushing "
                        f"{n_targets} random target items, the model retrained on the poisoned data"
                        if poisoners else "")
                     + f"; mean and 95% CI over {len(seeds)} seeds"),
        "rows": rows,
        "models": [{"name": s.name, "note": s.note, "stages": [_jsonable_stage(st) for st in s.stages],
                    "mean_embedding_norm": float(np.mean(norms[s.name]))} for s in specs],
        "attacks": {name: repr(f) for name, f in factories.items()},
        "poisoning": {name: repr(f) for name, f in poisoners.items()},
        "poisoning_budgets": shares,
        "n_targets": n_targets,
        "epsilons": strengths,
        "seeds": seeds,
        "provenance": {**provenance, "dataset": {"name": split.name, "checksum": split.checksum,
                                                 "split_fingerprint": split.fingerprint}},
    }
    document = jsonable(document, "leaderboard")
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_bytes_atomic(target, (text + "\n").encode("utf-8"))
    return document


def _poisoning_cells(
    spec: ModelSpec, clean: EmbeddingRecommender, train: Any, poisoners: Mapping[str, PoisoningFactory],
    shares: Sequence[float], n_targets: int, k: int, seed: int,
) -> list[tuple[tuple[str, str, float, str], float]]:
    """(row key, value) pairs of one seed's poisoning experiments: the clean model at strength 0, then the
    model retrained on the data with each attack's fake profiles at each share, measured on real users."""
    targets = draw_targets(train, n_targets, seed)
    metric = f"target HR@{k}"
    clean_hr = _target_hr(clean, train, targets, k)
    out = []
    for name, factory in poisoners.items():
        out.append(((spec.name, name, 0.0, metric), clean_hr))
        for share in shares:
            fakes = factory(targets, n_fake=share, seed=seed)(train)
            poisoned = inject(train, fakes)
            model = spec.train(poisoned.shape[0], poisoned.shape[1], poisoned, seed)
            # ranks are computed for the real users only, masking their own (unpoisoned) training items
            out.append(((spec.name, name, share, metric), _target_hr(model, train, targets, k)))
    return out


def _jsonable_stage(stage: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool, type(None))) else repr(v) for k, v in stage.items()}
