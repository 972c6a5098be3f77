"""Evaluation protocols (full ranking, sampled negatives) and multi-seed statistics (CIs, paired tests).

Full ranking ranks every item outside the user's training set; the sampled protocol ranks the user's
test item(s) among `candidates` items drawn uniformly, without replacement, from the items the user has
no training or test interaction with (the NCF/IRGAN protocol when each user has one test item). Both
score users in chunks with the model's `full_scores`, mask the non-candidates to -inf and take
`torch.topk`; ties are broken by item id ascending (the smaller id ranks first).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
import torch
from scipy import stats

from . import metrics as M


class SupportsFullScores(Protocol):
    """Anything with the model contract's `full_scores(users) -> [len(users), n_items]`.

    Evaluation masks the returned tensor in place, so return a fresh tensor (views and tensors that
    require grad are copied first).
    """

    def full_scores(self, users: torch.Tensor) -> torch.Tensor: ...


Scorer = SupportsFullScores | Callable[[torch.Tensor], torch.Tensor]

_RANKING: dict[str, Callable[..., np.ndarray]] = {
    "HR": M.hr_at_k,
    "NDCG": M.ndcg_at_k,
    "PRECISION": M.precision_at_k,
    "RECALL": M.recall_at_k,
    "MAP": M.map_at_k,
    "MRR": M.mrr_at_k,
    "F1": M.f1_at_k,
}
VALID_METRICS = (*_RANKING, "AUC")


# ------------------------------------------------------------------------------------------ scoring


@contextmanager
def _scoring(scorer: Scorer) -> Iterator[tuple[Callable[[torch.Tensor], torch.Tensor], torch.device]]:
    """The scoring function and its device; a torch module is put in eval mode for the block."""
    fn = getattr(scorer, "full_scores", None)
    if fn is None:
        if not callable(scorer):
            raise TypeError(f"scorer must have full_scores(users) or be callable, "
                            f"got {type(scorer).__name__}")
        fn = scorer
    device = getattr(scorer, "device", None)
    device = device if isinstance(device, torch.device) else torch.device("cpu")
    module = scorer if isinstance(scorer, torch.nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    try:
        with torch.no_grad():
            yield fn, device
    finally:
        if module is not None:
            module.train(was_training)


def _chunk_scores(fn: Callable[[torch.Tensor], torch.Tensor], device: torch.device, users: np.ndarray,
                  n_items: int) -> torch.Tensor:
    scores = fn(torch.as_tensor(users, dtype=torch.long, device=device))
    if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (len(users), n_items):
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"scorer returned {shape} for {len(users)} users, expected a tensor of shape "
                         f"({len(users)}, {n_items})")
    if not scores.is_floating_point():
        scores = scores.float()
    # A finite sum proves every score finite at the cost of one reduction; only an overflowing or
    # non-finite sum pays for the elementwise check.
    if not torch.isfinite(scores.sum()) and not torch.isfinite(scores).all():
        raise ValueError("scorer returned NaN or infinite scores")
    # Scores are masked in place: copy what may belong to the scorer (views, tensors with gradients).
    return scores.clone() if scores.requires_grad or scores._base is not None else scores


def _mask_rows(scores: torch.Tensor, rows: sp.csr_matrix) -> None:
    """Set scores[r, i] = -inf for every stored entry (r, i) of `rows` (row-aligned with `scores`)."""
    if rows.nnz:
        r = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
        scores[torch.as_tensor(r, device=scores.device), torch.as_tensor(rows.indices, device=scores.device,
                                                                          dtype=torch.long)] = -math.inf


def topk_ids(scores: torch.Tensor, k: int) -> np.ndarray:
    """Top-k item ids per row of `scores` (-inf = not a candidate), ties by item id ascending, -1 padded."""
    n_items = scores.shape[1]
    kk = min(k, n_items)
    vals, idx = torch.topk(scores, min(kk + 1, n_items), dim=1)
    # torch.topk breaks ties arbitrarily: a row whose k-th and (k+1)-th scores are equal may have left
    # out a smaller-id item of that score, so it is re-ranked with a stable sort (smaller id first).
    cut_tie = torch.isfinite(vals[:, kk - 1]) & (vals[:, kk - 1] == vals[:, kk]) if kk < n_items else None
    vals, idx = vals[:, :kk], idx[:, :kk]
    if cut_tie is not None and cut_tie.any():
        rows = cut_tie.nonzero().squeeze(1)
        v, i = torch.sort(scores[rows], dim=1, descending=True, stable=True)
        vals[rows], idx[rows] = v[:, :kk], i[:, :kk]
    idx, order = torch.sort(idx, dim=1)
    vals = vals.gather(1, order)
    vals, order = torch.sort(vals, dim=1, descending=True, stable=True)
    idx = idx.gather(1, order)
    idx[torch.isneginf(vals)] = -1
    out = idx.cpu().numpy()
    if kk < k:
        out = np.concatenate([out, np.full((out.shape[0], k - kk), -1, dtype=out.dtype)], axis=1)
    return out


def _users(users: object, n_users: int) -> np.ndarray:
    u = np.asarray(users)
    if u.ndim != 1 or (u.size and not np.issubdtype(u.dtype, np.integer)):
        raise ValueError(f"users must be a 1-D array of integer user ids, got shape {u.shape}, "
                         f"dtype {u.dtype}")
    if u.size and (u.min() < 0 or u.max() >= n_users):
        raise ValueError(f"users must be ids in [0, {n_users}), got {u.min()}..{u.max()}")
    return u.astype(np.int64)


def _check_chunk_k(chunk: int, k: int) -> None:
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def rank(
    scorer: Scorer,
    train: sp.spmatrix,
    users: np.ndarray,
    k: int,
    chunk: int = 1024,
    exclude: sp.spmatrix | None = None,
) -> np.ndarray:
    """Top-k item ids [len(users), k] for `users`, leaving out their training items (and `exclude`'s).

    Ties are broken by item id ascending; -1 fills the slots of a user with fewer than k candidates.
    """
    train = M.as_csr(train, "train")
    masked = train if exclude is None else _union(train, M.as_csr(exclude, "exclude", train.shape))
    u = _users(users, train.shape[0])
    _check_chunk_k(chunk, k)
    out = np.empty((len(u), k), dtype=np.int64)
    with _scoring(scorer) as (fn, device):
        for start in range(0, len(u), chunk):
            batch = u[start:start + chunk]
            scores = _chunk_scores(fn, device, batch, train.shape[1])
            _mask_rows(scores, masked[batch])
            out[start:start + chunk] = topk_ids(scores, k)
    return out


def _pattern(m: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)


def _union(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    return M.as_csr((_pattern(a) + _pattern(b)).tocsr(), "union")


# --------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EvalResult:
    """Per-user metric values (keys like "NDCG@10", aligned with `users`) and the top-k lists behind them."""

    users: np.ndarray
    values: dict[str, np.ndarray]
    topk: np.ndarray
    protocol: str
    seed: int

    def __getitem__(self, key: str) -> np.ndarray:
        name = key.upper()
        if name not in self.values:
            raise KeyError(f"no metric {key!r} in this result; it has {sorted(self.values)}")
        return self.values[name]

    def summary(self) -> dict[str, float]:
        """Mean of each metric over the users that have a value (users without test items are NaN)."""
        out = {}
        for key, v in self.values.items():
            finite = v[~np.isnan(v)]
            out[key] = float(finite.mean()) if finite.size else float("nan")
        return out


def parse_metrics(metrics: Sequence[str] | str, ks: Sequence[int] | int) -> list[tuple[str, str, int]]:
    """(key, name, k) per requested metric: "NDCG" expands over `ks`, "ndcg@20" keeps its own cut-off."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    cutoffs = [ks] if isinstance(ks, int) else list(ks)
    if not names:
        raise ValueError(f"metrics is empty; valid metrics: {', '.join(VALID_METRICS)}")
    for k in cutoffs:
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"ks must be positive integers, got {k!r}")
    out: dict[str, tuple[str, str, int]] = {}
    for raw in names:
        name, _, cut = str(raw).strip().upper().partition("@")
        if name not in VALID_METRICS:
            raise ValueError(f"unknown metric {raw!r}; valid metrics: {', '.join(VALID_METRICS)} "
                             "(case-insensitive, optionally with @k)")
        if name == "AUC":
            if cut:
                raise ValueError(f"metric {raw!r}: AUC has no cut-off, write 'AUC'")
            out["AUC"] = ("AUC", "AUC", 0)
            continue
        if cut:
            if not cut.isdigit() or int(cut) < 1:
                raise ValueError(f"metric {raw!r}: the cut-off after '@' must be a positive integer")
            these = [int(cut)]
        else:
            if not cutoffs:
                raise ValueError(f"metric {raw!r} needs a cut-off: give ks or write {name}@k")
            these = [int(k) for k in cutoffs]
        for k in these:
            out[f"{name}@{k}"] = (f"{name}@{k}", name, k)
    return list(out.values())


def _sampled_candidates(rng: np.random.Generator, forbidden: np.ndarray, positives: np.ndarray,
                        n: int) -> np.ndarray:
    """Boolean [c, n_items]: the positives plus n items per row drawn uniformly from the allowed ones."""
    keys = rng.random(forbidden.shape)
    if n == 0:
        return positives
    keys[forbidden] = np.inf
    m = min(n, forbidden.shape[1])
    threshold = np.partition(keys, m - 1, axis=1)[:, m - 1:m]
    return positives | ((keys <= threshold) & ~forbidden)


def _dense_rows(m: sp.csr_matrix) -> np.ndarray:
    out = np.zeros(m.shape, dtype=bool)
    out[np.repeat(np.arange(m.shape[0]), np.diff(m.indptr)), m.indices] = True
    return out


def evaluate(
    scorer: Scorer,
    train: sp.spmatrix,
    test: sp.spmatrix,
    metrics: Sequence[str] = ("HR", "NDCG"),
    ks: Sequence[int] = (10,),
    candidates: int | None = None,
    seed: int = 0,
    *,
    users: np.ndarray | None = None,
    exclude: sp.spmatrix | None = None,
    chunk: int = 1024,
) -> EvalResult:
    """Per-user ranking metrics of `scorer` on `test` under full ranking or, with `candidates=N`, sampled.

    `train`/`test`/`exclude` are [n_users, n_items]; train and exclude items are never candidates and must
    not overlap test. `users` defaults to every user with a test item. In the sampled protocol the
    negatives depend on `seed` and `users` only (not on `chunk`), so two models evaluated with the same
    seed see the same candidates.
    """
    train = M.as_csr(train, "train")
    test = M.as_csr(test, "test", train.shape)
    masked = train if exclude is None else _union(train, M.as_csr(exclude, "exclude", train.shape))
    overlap = _pattern(masked).multiply(_pattern(test)).tocoo()
    if overlap.nnz:
        raise ValueError(f"test shares {overlap.nnz} (user, item) pairs with train/exclude, e.g. user "
                         f"{overlap.row[0]} item {overlap.col[0]}; test items must not be training items")
    requested = parse_metrics(metrics, ks)
    if candidates is not None and candidates < 0:
        raise ValueError(f"candidates must be None (full ranking) or >= 0, got {candidates}")
    n_test = np.diff(test.indptr)
    u = np.flatnonzero(n_test > 0) if users is None else _users(users, train.shape[0])
    kmax = max((k for _, _, k in requested), default=0)
    _check_chunk_k(chunk, max(kmax, 1))
    want_auc = any(name == "AUC" for _, name, _ in requested)
    rng = np.random.default_rng(seed)
    topk = np.full((len(u), kmax), -1, dtype=np.int64)
    auc = np.full(len(u), np.nan)
    with _scoring(scorer) as (fn, device):
        for start in range(0, len(u), chunk):
            batch = u[start:start + chunk]
            scores = _chunk_scores(fn, device, batch, train.shape[1])
            if candidates is None:
                _mask_rows(scores, masked[batch])
            else:
                positives = _dense_rows(test[batch])
                allowed = _sampled_candidates(rng, positives | _dense_rows(masked[batch]), positives,
                                              candidates)
                scores.masked_fill_(torch.as_tensor(~allowed, device=scores.device), -math.inf)
            if kmax:
                topk[start:start + chunk] = topk_ids(scores, kmax)
            if want_auc:
                auc[start:start + chunk] = M.auc(scores.cpu().numpy(), test[batch])
    values: dict[str, np.ndarray] = {}
    hits = M.hit_matrix(topk, test[u]) if kmax else None
    for key, name, k in requested:
        values[key] = auc if name == "AUC" else _RANKING[name](hits, n_test[u], k)
    protocol = "full" if candidates is None else f"sampled-{candidates}"
    return EvalResult(users=u, values=values, topk=topk, protocol=protocol, seed=seed)


# ------------------------------------------------------------------------------------------ seeds


def _finite_1d(values: object, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(v).any():
        raise ValueError(f"{name} contains NaN")
    return v


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t confidence interval of the mean; NaN bounds for a single value."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    v = _finite_1d(values, "values")
    mean = float(v.mean())
    if v.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf((1 + confidence) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


def paired_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                method: str = "t") -> dict[str, float]:
    """Paired two-sided test of a vs b (same users/seeds, same order): Student t or Wilcoxon signed-rank.

    Pairs where either side is NaN (users without test items) are dropped; `n` is the number kept.
    Wilcoxon follows scipy's defaults (zero differences dropped). Identical samples give statistic 0 and
    p-value 1.
    """
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same number of values, got {x.size} and {y.size}")
    if method not in ("t", "wilcoxon"):
        raise ValueError(f"method must be 't' or 'wilcoxon', got {method!r}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 2:
        raise ValueError(f"a paired test needs at least 2 pairs without NaN, got {x.size}")
    diff = x - y
    result = {"mean_diff": float(diff.mean()), "n": int(x.size)}
    if np.all(diff == 0):
        return {"statistic": 0.0, "p_value": 1.0, **result}
    res = stats.ttest_rel(x, y) if method == "t" else stats.wilcoxon(x, y)
    return {"statistic": float(res.statistic), "p_value": float(res.pvalue), **result}


def aggregate(
    per_seed: Mapping[int, Mapping[str, float]], confidence: float = 0.95
) -> dict[str, dict[str, Any]]:
    """Per metric over seeds: mean, Student-t CI bounds, sample std, n and the values in seed order."""
    if not per_seed:
        raise ValueError("per_seed is empty; expected {seed: {metric: value}}")
    seeds = sorted(per_seed)
    keys = list(per_seed[seeds[0]])
    for s in seeds:
        if set(per_seed[s]) != set(keys):
            raise ValueError(f"seed {s} has metrics {sorted(per_seed[s])}, seed {seeds[0]} has "
                             f"{sorted(keys)}; every seed must report the same metrics")
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        values = [float(per_seed[s][key]) for s in seeds]
        if any(math.isnan(v) for v in values):
            raise ValueError(f"metric {key!r} is NaN for seed(s) "
                             f"{[s for s, v in zip(seeds, values, strict=True) if math.isnan(v)]}")
        mean, low, high = mean_ci(values, confidence)
        std = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        out[key] = {"mean": mean, "ci_low": low, "ci_high": high, "std": std, "n": len(values),
                    "values": values}
    return out
