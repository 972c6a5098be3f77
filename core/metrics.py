"""Ranking, rating, attack, fairness, privacy and beyond-accuracy metrics as pure numpy functions.

Conventions shared by every function here:

- Users are rows. A top-k array `topk_items[n_users, k]` holds item ids best first; `-1` marks an empty
  slot (a user with fewer than k candidate items). Sparse matrices passed beside it (`test`, `train`,
  `interacted`) are row-aligned with it: row `r` of the matrix belongs to row `r` of the top-k array, and
  every stored entry counts as an interaction whatever its value.
- Per-user ranking metrics take the boolean hit matrix of `hit_matrix` and the number of relevant (test)
  items per user, and return one float per user; users with no relevant item get NaN, and the
  aggregates (`nanmean`, `EvalResult.summary`) ignore them.
- Ties in a ranking are broken by item id ascending: among equally scored items the smaller id ranks
  first (`advrec.evaluation.rank` implements it). AUC is not a ranking cut-off metric and counts a tied
  positive/negative pair as one half (Mann-Whitney).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

# --------------------------------------------------------------------------------------- validation


def as_csr(matrix: object, name: str, shape: tuple[int, int] | None = None) -> sp.csr_matrix:
    """`matrix` as a canonical CSR matrix (sorted indices, no duplicates); raises naming `name`."""
    if not sp.issparse(matrix):
        raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(matrix).__name__}")
    csr = sp.csr_matrix(matrix)
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    if shape is not None and csr.shape != shape:
        raise ValueError(f"{name} has shape {csr.shape}, expected {shape}")
    return csr


def _as_topk(topk_items: object) -> np.ndarray:
    arr = np.asarray(topk_items)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"topk_items must be a 2-D integer array [n_users, k], got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    if arr.size and arr.min() < -1:
        raise ValueError("topk_items may hold item ids >= 0 and -1 for empty slots only")
    return arr


def _check_rows(topk: np.ndarray, matrix: sp.csr_matrix, name: str) -> None:
    if matrix.shape[0] != topk.shape[0]:
        raise ValueError(f"{name} has {matrix.shape[0]} rows but topk_items has {topk.shape[0]}; "
                         "they must be row-aligned (one row per evaluated user)")
    if topk.size and topk.max() >= matrix.shape[1]:
        raise ValueError(f"topk_items holds item id {topk.max()} but {name} has {matrix.shape[1]} items")


def _hits_and_k(hits: object, k: int | None) -> tuple[np.ndarray, int]:
    h = np.asarray(hits, dtype=bool)
    if h.ndim != 2:
        raise ValueError(f"hits must be a 2-D boolean array [n_users, k], got shape {h.shape}")
    k = h.shape[1] if k is None else int(k)
    if not 1 <= k <= h.shape[1]:
        raise ValueError(f"k must be in [1, {h.shape[1]}] (the hit matrix's width), got {k}")
    return h[:, :k], k


def _n_relevant(n_relevant: object, n_users: int) -> np.ndarray:
    n = np.asarray(n_relevant)
    if n.shape != (n_users,):
        raise ValueError(f"n_relevant must have shape ({n_users},), got {n.shape}")
    if n.size and n.min() < 0:
        raise ValueError("n_relevant must be >= 0")
    return n


def _nan_where_empty(values: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64, copy=True)
    out[n_relevant == 0] = np.nan
    return out


# ------------------------------------------------------------------------------------------ ranking


def hit_matrix(topk_items: np.ndarray, test: sp.spmatrix) -> np.ndarray:
    """Boolean [n_users, k]: whether `topk_items[u, j]` is one of user u's test items (row u of `test`)."""
    topk = _as_topk(topk_items)
    test = as_csr(test, "test")
    _check_rows(topk, test, "test")
    n_items = test.shape[1]
    rows = np.repeat(np.arange(test.shape[0], dtype=np.int64), np.diff(test.indptr))
    keys = rows * n_items + test.indices  # ascending: row-major order with sorted column indices
    query = np.arange(topk.shape[0], dtype=np.int64)[:, None] * n_items + topk
    if len(keys) == 0:
        return np.zeros(topk.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return (topk >= 0) & (keys[pos] == query)


def n_relevant(test: sp.spmatrix) -> np.ndarray:
    """Number of test items per row of `test` (the denominator of recall, nDCG's ideal, MAP)."""
    return np.diff(as_csr(test, "test").indptr)


def hr_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Hit ratio: 1 if any of the top-k is a test item, else 0; NaN for users without test items."""
    h, _ = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    return _nan_where_empty(h.any(axis=1), n)


def precision_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Precision: test items among the top-k divided by k (empty slots count as misses)."""
    h, k = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    return _nan_where_empty(h.sum(axis=1) / k, n)


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Recall: test items among the top-k divided by the user's number of test items."""
    h, _ = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return _nan_where_empty(h.sum(axis=1) / n, n)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """nDCG with binary gains: sum of 1/log2(rank+1) over hits, divided by the ideal for min(n, k) hits."""
    h, k = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    disc = _discounts(k)
    ideal = np.concatenate([[1.0], np.cumsum(disc)])[np.minimum(n, k)]  # ideal[0] unused (NaN below)
    return _nan_where_empty((h @ disc) / ideal, n)


def map_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Average precision at k: sum of precision@j at each hit rank j, divided by min(n_relevant, k)."""
    h, k = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    prec = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _nan_where_empty((prec * h).sum(axis=1) / np.minimum(n, k), n)


def mrr_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Reciprocal rank of the first test item within the top-k (0 if none)."""
    h, _ = _hits_and_k(hits, k)
    n = _n_relevant(n_relevant, h.shape[0])
    first = h.argmax(axis=1)
    return _nan_where_empty(np.where(h.any(axis=1), 1.0 / (first + 1), 0.0), n)


def f1_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int | None = None) -> np.ndarray:
    """Harmonic mean of precision@k and recall@k (0 when both are 0)."""
    p = precision_at_k(hits, n_relevant, k)
    r = recall_at_k(hits, n_relevant, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    f[np.isnan(p)] = np.nan
    return f


def auc(scores: np.ndarray, test: sp.spmatrix, exclude: sp.spmatrix | None = None) -> np.ndarray:
    """Per-user AUC of test items against the other candidate items; tied pairs count one half.

    Candidates are the items whose score is not -inf and which are not in `exclude`; `scores` is
    [n_users, n_items], row-aligned with `test` (and `exclude`). NaN for users with no test item or
    no negative candidate.
    """
    s = np.array(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"scores must be a 2-D array [n_users, n_items], got shape {s.shape}")
    test = as_csr(test, "test", s.shape)
    if np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("scores must not contain NaN or +inf (-inf marks a non-candidate item)")
    if exclude is not None:
        ex = as_csr(exclude, "exclude", s.shape)
        s[np.repeat(np.arange(s.shape[0]), np.diff(ex.indptr)), ex.indices] = -np.inf
    rows = np.repeat(np.arange(s.shape[0]), np.diff(test.indptr))
    pos_scores = s[rows, test.indices]
    if np.isneginf(pos_scores).any():
        raise ValueError("a test item is excluded (score -inf or listed in exclude); test items must be "
                         "candidates")
    n_items = s.shape[1]
    order = np.argsort(s, axis=1, kind="stable")
    srt = np.take_along_axis(s, order, axis=1)
    # For every sorted position: the first and one-past-last position of its block of equal scores.
    new_block = np.ones_like(srt, dtype=bool)
    new_block[:, 1:] = srt[:, 1:] != srt[:, :-1]
    idx = np.broadcast_to(np.arange(n_items), srt.shape)
    lo = np.maximum.accumulate(np.where(new_block, idx, 0), axis=1)
    ends = np.ones_like(srt, dtype=bool)
    ends[:, :-1] = new_block[:, 1:]
    hi = np.minimum.accumulate(np.where(ends, idx + 1, n_items)[:, ::-1], axis=1)[:, ::-1]
    where = np.empty_like(order)
    np.put_along_axis(where, order, idx, axis=1)
    j = where[rows, test.indices]
    n_excluded = np.isneginf(s).sum(axis=1)
    less = lo[rows, j] - n_excluded[rows]  # candidates scored strictly below the positive
    equal = hi[rows, j] - lo[rows, j]  # candidates tied with it, itself included
    n_pos = np.diff(test.indptr)
    n_neg = n_items - n_excluded - n_pos
    # Mann-Whitney U: each positive beats the candidates below it and half of its ties (minus itself);
    # pairs of positives contribute n_pos (n_pos - 1) / 2 in total and are removed.
    u_stat = np.bincount(rows, weights=less + 0.5 * (equal - 1), minlength=s.shape[0])
    u_stat -= n_pos * (n_pos - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = u_stat / (n_pos * n_neg)
    out[(n_pos == 0) | (n_neg <= 0)] = np.nan
    return out


# ------------------------------------------------------------------------------------------- rating


def _paired_arrays(pred: object, true: object, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"{a} and {b} must have the same shape, got {x.shape} and {y.shape}")
    if x.size == 0:
        raise ValueError(f"{a} and {b} are empty")
    return x, y


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    """Root mean squared error of predicted against true ratings."""
    x, y = _paired_arrays(pred, true, "pred", "true")
    return float(np.sqrt(np.mean((x - y) ** 2)))


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean absolute error of predicted against true ratings."""
    x, y = _paired_arrays(pred, true, "pred", "true")
    return float(np.mean(np.abs(x - y)))


# ------------------------------------------------------------------------------------------- attack


def _targets(targets: object, n_items: int) -> np.ndarray:
    t = np.atleast_1d(np.asarray(targets))
    if t.ndim != 1 or t.size == 0 or not np.issubdtype(t.dtype, np.integer):
        raise ValueError("targets must be a non-empty 1-D array of item ids")
    if t.min() < 0 or t.max() >= n_items:
        raise ValueError(f"targets must be item ids in [0, {n_items}), got {t.min()}..{t.max()}")
    if len(np.unique(t)) != len(t):
        raise ValueError("targets must not repeat an item")
    return t


def _stored(matrix: sp.csr_matrix, items: np.ndarray) -> np.ndarray:
    """Boolean [n_rows, len(items)]: whether each row stores an entry for each of `items`."""
    sub = matrix[:, items].tocsr()
    out = np.zeros(sub.shape, dtype=bool)
    out[np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr)), sub.indices] = True
    return out


def _in_topk(topk: np.ndarray, targets: np.ndarray, n_items: int) -> np.ndarray:
    """Boolean [n_users, len(targets)]: whether each target is in each user's top-k."""
    lookup = np.full(n_items + 1, -1, dtype=np.int64)  # the last slot absorbs the -1 padding
    lookup[targets] = np.arange(len(targets))
    col = lookup[np.where(topk >= 0, topk, n_items)]
    out = np.zeros((topk.shape[0], len(targets)), dtype=bool)
    r, c = np.nonzero(col >= 0)
    out[r, col[r, c]] = True
    return out


def target_hit_ratio(topk_items: np.ndarray, targets: Sequence[int], interacted: sp.spmatrix) -> np.ndarray:
    """Per target item: the share of users who have not interacted with it that get it in their top-k.

    One value per target (NaN where every user already has it); their mean is the usual "HR@k of the
    target items" of promotion attacks.
    """
    topk = _as_topk(topk_items)
    inter = as_csr(interacted, "interacted")
    _check_rows(topk, inter, "interacted")
    t = _targets(targets, inter.shape[1])
    eligible = ~_stored(inter, t)
    hits = _in_topk(topk, t, inter.shape[1]) & eligible
    n = eligible.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, hits.sum(axis=0) / n, np.nan)


def success_rate(
    topk_after: np.ndarray,
    targets: Sequence[int],
    interacted: sp.spmatrix,
    topk_before: np.ndarray | None = None,
    goal: str = "promote",
) -> float:
    """Share of eligible (user, target) pairs where the attack reached its goal.

    Eligible pairs are those whose user has not interacted with the target. `promote`: success when the
    target is in the top-k after the attack; with `topk_before`, only pairs where it was not in the top-k
    before count. `demote` (needs `topk_before`): pairs with the target in the top-k before; success when
    it has left the top-k after. NaN when no pair is eligible.
    """
    after = _as_topk(topk_after)
    inter = as_csr(interacted, "interacted")
    _check_rows(after, inter, "interacted")
    t = _targets(targets, inter.shape[1])
    eligible = ~_stored(inter, t)
    in_after = _in_topk(after, t, inter.shape[1])
    if goal not in ("promote", "demote"):
        raise ValueError(f"goal must be 'promote' or 'demote', got {goal!r}")
    if topk_before is None:
        if goal == "demote":
            raise ValueError("goal='demote' needs topk_before (the top-k lists before the attack)")
        in_before = np.zeros_like(in_after)
    else:
        before = _as_topk(topk_before)
        _check_rows(before, inter, "interacted")
        in_before = _in_topk(before, t, inter.shape[1])
    if goal == "promote":
        eligible &= ~in_before
        success = in_after
    else:
        eligible &= in_before
        success = ~in_after
    n = int(eligible.sum())
    return float((success & eligible).sum() / n) if n else float("nan")


def prediction_shift(
    before: np.ndarray, after: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray | float:
    """Mean change (after - before) of predicted scores over users (axis 0), e.g. per target item.

    `before`/`after` are [n_users] or [n_users, n_targets]; `mask` (same shape, boolean) keeps only the
    eligible entries, typically users who have not interacted with the target. NaN where none is kept;
    a float for 1-D input.
    """
    x, y = _paired_arrays(after, before, "after", "before")
    keep = np.ones(x.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if keep.shape != x.shape:
        raise ValueError(f"mask must have shape {x.shape}, got {keep.shape}")
    n = keep.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(n > 0, np.where(keep, x - y, 0.0).sum(axis=0) / n, np.nan)
    return float(out) if out.ndim == 0 else out


def relative_drop(before: np.ndarray | float, after: np.ndarray | float) -> np.ndarray | float:
    """Relative drop (before - after) / before of a metric, elementwise (float for scalars); NaN where 0."""
    b, a = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    if b.shape != a.shape:
        raise ValueError(f"before and after must have the same shape, got {b.shape} and {a.shape}")
    out = np.where(b != 0, (b - a) / np.where(b != 0, b, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


# ----------------------------------------------------------------------------------------- fairness


def _membership(item_groups: object, n_items: int) -> np.ndarray:
    """Item-by-group boolean matrix from group ids per item (-1: no group) or a membership matrix."""
    g = np.asarray(item_groups)
    if g.ndim == 1:
        if g.shape[0] != n_items or not np.issubdtype(g.dtype, np.integer) or (g.size and g.min() < -1):
            raise ValueError(f"item_groups must hold one integer group id (>= 0, or -1 for none) for each "
                             f"of the {n_items} items, got shape {g.shape} and dtype {g.dtype}")
        m = np.zeros((n_items, int(g.max()) + 1 if g.size else 0), dtype=bool)
        m[np.flatnonzero(g >= 0), g[g >= 0]] = True
        return m
    if g.ndim == 2 and g.shape[0] == n_items:
        return g.astype(bool)
    raise ValueError(f"item_groups must be [n_items] group ids or an [n_items, n_groups] membership matrix "
                     f"with n_items={n_items}, got shape {g.shape}")


def _group_counts(items: np.ndarray, members: np.ndarray) -> np.ndarray:
    """How many of `items` (-1 ignored) fall in each group."""
    valid = items[items >= 0]
    return members[valid].sum(axis=0).astype(np.float64)


def _std_over_mean(p: np.ndarray) -> float:
    p = p[~np.isnan(p)]
    if p.size == 0 or p.mean() == 0:
        return float("nan")
    return float(p.std() / p.mean())


def rsp_probabilities(topk_items: np.ndarray, train: sp.spmatrix, item_groups: np.ndarray) -> np.ndarray:
    """P(R@k | g) per group: recommended items of group g over group-g items not in the user's training set.

    Summed over users (Zhu, Wang, Caverlee, SIGIR 2020); NaN for a group with no such items.
    """
    topk = _as_topk(topk_items)
    train = as_csr(train, "train")
    _check_rows(topk, train, "train")
    members = _membership(item_groups, train.shape[1])
    recommended = _group_counts(topk.ravel(), members)
    available = train.shape[0] * members.sum(axis=0) - _group_counts(train.indices, members)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(available > 0, recommended / available, np.nan)


def reo_probabilities(topk_items: np.ndarray, test: sp.spmatrix, item_groups: np.ndarray) -> np.ndarray:
    """P(R@k | g, y=1) per group: recommended test items of group g over all test items of group g.

    Summed over users (Zhu, Wang, Caverlee, SIGIR 2020); NaN for a group with no test item.
    """
    topk = _as_topk(topk_items)
    test = as_csr(test, "test")
    members = _membership(item_groups, test.shape[1])
    hits = hit_matrix(topk, test)
    recommended = _group_counts(topk[hits], members)
    relevant = _group_counts(test.indices, members)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(relevant > 0, recommended / relevant, np.nan)


def rsp(topk_items: np.ndarray, train: sp.spmatrix, item_groups: np.ndarray) -> float:
    """Ranking-based statistical parity: std / mean over item groups of `rsp_probabilities` (0 = parity).

    The std is the population one (ddof=0); groups with an undefined probability are left out.
    """
    return _std_over_mean(rsp_probabilities(topk_items, train, item_groups))


def reo(topk_items: np.ndarray, test: sp.spmatrix, item_groups: np.ndarray) -> float:
    """Ranking-based equal opportunity: std / mean over item groups of `reo_probabilities` (0 = parity).

    The std is the population one (ddof=0); groups without test items are left out.
    """
    return _std_over_mean(reo_probabilities(topk_items, test, item_groups))


# ------------------------------------------------------------------------------------------ privacy


def _binary_auc(y: np.ndarray, score: np.ndarray) -> float:
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)  # midranks: a tied positive/negative pair counts one half
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def attribute_inference_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """AUC of an attacker inferring a user attribute from the recommender's representations.

    Binary: `y_true` in {0, 1}, `y_score` [n] the score of class 1. Multi-class: `y_score` [n, C] and
    `y_true` in 0..C-1, giving the mean one-vs-rest AUC over the classes present with both outcomes.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or y.size == 0:
        raise ValueError("y_true must be a non-empty 1-D array of integer labels")
    if s.shape[0] != y.shape[0] or s.ndim not in (1, 2):
        raise ValueError(f"y_score must be [{y.size}] or [{y.size}, n_classes], got shape {s.shape}")
    if s.ndim == 1:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("binary y_true must hold 0 and 1 only (pass [n, C] scores for more classes)")
        value = _binary_auc(y == 1, s)
        if np.isnan(value):
            raise ValueError("y_true holds a single class; AUC needs both")
        return value
    if y.min() < 0 or y.max() >= s.shape[1]:
        raise ValueError(f"y_true must be labels in [0, {s.shape[1]}) for {s.shape[1]} score columns")
    per_class = np.array([_binary_auc(y == c, s[:, c]) for c in range(s.shape[1])])
    if np.isnan(per_class).all():
        raise ValueError("y_true holds a single class; AUC needs at least two")
    return float(np.nanmean(per_class))


def attribute_inference_f1(y_true: np.ndarray, y_pred: np.ndarray, average: str = "macro") -> float:
    """F1 of an attacker's predicted attribute labels.

    `binary`: F1 of label 1; `macro`: mean F1 over the labels seen in y_true or y_pred; `micro`: pooled
    counts (equal to accuracy for single-label data). A class never predicted nor present scores 0.
    """
    y, p = np.asarray(y_true), np.asarray(y_pred)
    if y.shape != p.shape or y.ndim != 1 or y.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty 1-D arrays of one shape, got {y.shape} "
                         f"and {p.shape}")
    if average == "binary":
        labels = np.array([1])
    elif average in ("macro", "micro"):
        labels = np.union1d(y, p)
    else:
        raise ValueError(f"average must be 'binary', 'macro' or 'micro', got {average!r}")
    tp = np.array([np.sum((y == c) & (p == c)) for c in labels], dtype=np.float64)
    fp = np.array([np.sum((y != c) & (p == c)) for c in labels], dtype=np.float64)
    fn = np.array([np.sum((y == c) & (p != c)) for c in labels], dtype=np.float64)
    if average == "micro":
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1.mean())


# ---------------------------------------------------------------------------------- beyond accuracy


def coverage(topk_items: np.ndarray, n_items: int) -> float:
    """Catalogue coverage: share of the n_items that appear in at least one top-k list."""
    topk = _as_topk(topk_items)
    if n_items <= 0 or (topk.size and topk.max() >= n_items):
        raise ValueError(f"n_items must be positive and exceed every item id in topk_items, got {n_items}")
    return float(np.unique(topk[topk >= 0]).size / n_items)


def item_popularity(interactions: sp.spmatrix, pseudo_count: float = 0.0) -> np.ndarray:
    """Per item: share of users who interacted with it, (degree + c) / (n_users + c) with c = pseudo_count."""
    m = as_csr(interactions, "interactions")
    if pseudo_count < 0:
        raise ValueError(f"pseudo_count must be >= 0, got {pseudo_count}")
    degree = np.bincount(m.indices, minlength=m.shape[1]).astype(np.float64)
    return (degree + pseudo_count) / (m.shape[0] + pseudo_count)


def novelty(topk_items: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Per user: mean self-information -log2 p(i) of the recommended items (p from `item_popularity`).

    Raises if a recommended item has popularity 0 (give `item_popularity` a pseudo_count); NaN for a
    user with an empty list.
    """
    topk = _as_topk(topk_items)
    p = np.asarray(popularity, dtype=np.float64)
    if p.ndim != 1 or (topk.size and topk.max() >= p.size):
        raise ValueError(f"popularity must be a 1-D array covering every recommended item, got {p.shape}")
    valid = topk >= 0
    pi = p[np.where(valid, topk, 0)]
    if np.any(valid & ((pi <= 0) | (pi > 1))):
        raise ValueError("popularity of a recommended item is outside (0, 1]; use item_popularity(..., "
                         "pseudo_count=1) for items unseen in training")
    info = np.where(valid, -np.log2(np.where(valid, pi, 1.0)), 0.0)
    n = valid.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, info.sum(axis=1) / n, np.nan)


def intra_list_diversity(topk_items: np.ndarray, item_features: np.ndarray) -> np.ndarray:
    """Per user: mean cosine distance (1 - cosine similarity) over pairs of recommended items.

    `item_features` is [n_items, d]; NaN for a list with fewer than two items.
    """
    topk = _as_topk(topk_items)
    f = np.asarray(item_features, dtype=np.float64)
    if f.ndim != 2 or (topk.size and topk.max() >= f.shape[0]):
        raise ValueError(f"item_features must be [n_items, d] covering every recommended item, got {f.shape}")
    valid = topk >= 0
    x = f[np.where(valid, topk, 0)]
    norms = np.linalg.norm(x, axis=2)
    if np.any(valid & (norms == 0)):
        raise ValueError("a recommended item has an all-zero feature vector; cosine distance is undefined")
    x = np.where(valid[:, :, None], x / np.where(norms > 0, norms, 1.0)[:, :, None], 0.0)
    sim = x @ x.transpose(0, 2, 1)
    pair = valid[:, :, None] & valid[:, None, :] & ~np.eye(topk.shape[1], dtype=bool)
    n_pairs = pair.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_pairs > 0, np.where(pair, 1.0 - sim, 0.0).sum(axis=(1, 2)) / n_pairs, np.nan)
