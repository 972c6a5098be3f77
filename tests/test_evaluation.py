"""Protocols of advrec.evaluation on scorers whose rankings are known, and the multi-seed statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy import stats

from advrec import evaluation as E
from advrec.models.base import Recommender


def csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    r = [u for u, items in enumerate(rows) for _ in items]
    c = [i for items in rows for i in items]
    return sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), n_items))


def table_scorer(scores: list[list[float]]):
    """A scorer returning fixed rows of a score table."""
    table = torch.tensor(scores, dtype=torch.float32)
    return lambda users: table[users]


def by_id_scorer(n_items: int, descending: bool = True):
    """Every user scores item i as -i (smaller ids first) or +i."""
    row = torch.arange(n_items, dtype=torch.float32)
    row = -row if descending else row
    return lambda users: row.expand(len(users), n_items).clone()


# ------------------------------------------------------------------------------------------- rank


def test_rank_masks_training_items_and_orders_by_score() -> None:
    scorer = table_scorer([[0.1, 0.9, 0.5, 0.7, 0.3], [0.5, 0.4, 0.3, 0.2, 0.1]])
    train = csr([[1], [0, 1]], 5)
    # u0: item 1 (0.9) is a training item -> 3 (0.7), 2 (0.5), 4 (0.3); u1: 2, 3, 4.
    np.testing.assert_array_equal(E.rank(scorer, train, np.array([0, 1]), 3), [[3, 2, 4], [2, 3, 4]])
    # Users in any order, and an extra exclusion matrix.
    top = E.rank(scorer, train, np.array([1]), 2, exclude=csr([[], [2]], 5))
    np.testing.assert_array_equal(top, [[3, 4]])


def test_rank_breaks_ties_by_item_id_ascending() -> None:
    # Constant scores over 50 items: torch.topk alone returns tied items in no promised order.
    constant = lambda users: torch.zeros(len(users), 50)  # noqa: E731
    train = csr([[0, 3]], 50)
    np.testing.assert_array_equal(E.rank(constant, train, np.array([0]), 5), [[1, 2, 4, 5, 6]])
    # Ties inside the top-k and across the cut: scores 3, 5, 5, 1, 5, 1 -> 1, 2, 4 (the 5s by id), 0, 3, 5.
    scorer = table_scorer([[3, 5, 5, 1, 5, 1]])
    empty = csr([[]], 6)
    np.testing.assert_array_equal(E.rank(scorer, empty, np.array([0]), 6), [[1, 2, 4, 0, 3, 5]])
    np.testing.assert_array_equal(E.rank(scorer, empty, np.array([0]), 2), [[1, 2]])
    np.testing.assert_array_equal(E.rank(scorer, empty, np.array([0]), 5), [[1, 2, 4, 0, 3]])


def test_rank_and_auc_match_a_naive_reference_on_heavily_tied_scores() -> None:
    # Scores in {0, 1, 2, 3}: most rows have ties across the cut. Reference: sort candidates by
    # (-score, id); AUC by counting every positive/negative pair (ties 1/2).
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 4, (13, 23)).astype(np.float32)
    train = sp.csr_matrix(rng.random(scores.shape) < 0.3)
    test = sp.csr_matrix((rng.random(scores.shape) < 0.2) & ~train.toarray())
    seen, relevant = train.toarray(), test.toarray()
    top = E.rank(table_scorer(scores.tolist()), train, np.arange(13), 6, chunk=4)
    auc = E.evaluate(table_scorer(scores.tolist()), train, test, ("AUC",), users=np.arange(13))["AUC"]
    for u in range(13):
        candidates = [i for i in range(23) if not seen[u, i]]
        assert list(top[u]) == sorted(candidates, key=lambda i: (-scores[u, i], i))[:6]
        pos = [i for i in candidates if relevant[u, i]]
        neg = [i for i in candidates if not relevant[u, i]]
        if not pos:
            assert np.isnan(auc[u])
            continue
        pairs = [1.0 if scores[u, p] > scores[u, n] else 0.5 if scores[u, p] == scores[u, n] else 0.0
                 for p in pos for n in neg]
        assert auc[u] == pytest.approx(sum(pairs) / len(pairs))


def test_rank_pads_with_minus_one_and_chunk_does_not_matter() -> None:
    scorer = by_id_scorer(4)
    train = csr([[0, 1, 2], [], [3]], 4)
    users = np.array([0, 1, 2])
    expected = [[3, -1, -1, -1, -1], [0, 1, 2, 3, -1], [0, 1, 2, -1, -1]]
    np.testing.assert_array_equal(E.rank(scorer, train, users, 5), expected)
    np.testing.assert_array_equal(E.rank(scorer, train, users, 5, chunk=1), expected)


def test_rank_does_not_modify_a_view_returned_by_the_scorer() -> None:
    stored = torch.arange(4, dtype=torch.float32)
    E.rank(lambda users: stored.expand(len(users), 4), csr([[0]], 4), np.array([0]), 2)
    assert torch.equal(stored, torch.arange(4, dtype=torch.float32))


def test_rank_rejects_bad_scores_and_inputs() -> None:
    train = csr([[0]], 3)
    with pytest.raises(ValueError, match="NaN or infinite"):
        E.rank(table_scorer([[0.0, float("nan"), 1.0]]), train, np.array([0]), 1)
    with pytest.raises(ValueError, match=r"expected a tensor of shape \(1, 3\)"):
        E.rank(table_scorer([[0.0, 1.0]]), train, np.array([0]), 1)
    with pytest.raises(ValueError, match=r"users must be ids in \[0, 1\)"):
        E.rank(table_scorer([[0.0, 1.0, 2.0]]), train, np.array([1]), 1)
    with pytest.raises(TypeError, match="full_scores"):
        E.rank(object(), train, np.array([0]), 1)


class _DropoutModel(Recommender):
    """Scores item i as i; records whether it was in training mode when asked."""

    def __init__(self) -> None:
        super().__init__(n_users=2, n_items=4)
        self.weight = torch.nn.Parameter(torch.arange(4, dtype=torch.float32))
        self.seen_training: list[bool] = []

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        self.seen_training.append(self.training)
        return self.weight.expand(len(users), 4)


def test_a_model_is_scored_in_eval_mode_and_its_mode_restored() -> None:
    model = _DropoutModel()
    model.train()
    top = E.rank(model, csr([[3], []], 4), np.array([0, 1]), 2)
    np.testing.assert_array_equal(top, [[2, 1], [3, 2]])
    assert model.seen_training == [False]
    assert model.training
    assert torch.equal(model.weight.detach(), torch.arange(4, dtype=torch.float32))


# -------------------------------------------------------------------------------------- evaluate


def test_evaluate_full_ranking_by_hand() -> None:
    scorer = table_scorer([[0.9, 0.8, 0.7, 0.6, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5], [1, 1, 1, 1, 1]])
    train = csr([[0], [4], []], 5)
    test = csr([[2, 4], [0], []], 5)
    result = E.evaluate(scorer, train, test, ("hr", "NDCG", "recall", "auc"), ks=(1, 3))
    # Only users with test items: u0 ranks 1, 2, 3, 4 -> test items 2 and 4 at ranks 2 and 4.
    # u1 ranks 3, 2, 1, 0 -> test item 0 at rank 4. u2 has no test item and is not evaluated.
    np.testing.assert_array_equal(result.users, [0, 1])
    np.testing.assert_array_equal(result.topk, [[1, 2, 3], [3, 2, 1]])
    np.testing.assert_allclose(result["HR@1"], [0, 0])
    np.testing.assert_allclose(result["hr@3"], [1, 0])
    # u0 NDCG@3: DCG 1/log2(3); ideal for min(2, 3) hits 1 + 1/log2(3).
    np.testing.assert_allclose(result["NDCG@3"], [(1 / math.log2(3)) / (1 + 1 / math.log2(3)), 0])
    np.testing.assert_allclose(result["RECALL@3"], [1 / 2, 0])
    # AUC: u0 negatives 1 (0.8), 3 (0.6); positive 2 (0.7) beats 3, positive 4 (0.5) beats none -> 1/4.
    # u1: positive 0 scores lowest -> 0.
    np.testing.assert_allclose(result["AUC"], [0.25, 0.0])
    assert list(result.values) == ["HR@1", "HR@3", "NDCG@1", "NDCG@3", "RECALL@1", "RECALL@3", "AUC"]
    assert result.summary()["HR@3"] == pytest.approx(0.5)
    assert result.protocol == "full"


def test_evaluate_gives_nan_to_users_without_test_items_and_summary_ignores_them() -> None:
    scorer = by_id_scorer(4)
    train, test = csr([[], []], 4), csr([[0], []], 4)
    result = E.evaluate(scorer, train, test, ("HR", "MRR@2"), ks=(1,), users=np.array([0, 1]))
    np.testing.assert_array_equal(result["HR@1"], [1.0, np.nan])
    assert result.summary() == {"HR@1": 1.0, "MRR@2": 1.0}


def test_evaluate_metric_names_are_checked() -> None:
    scorer, train, test = by_id_scorer(3), csr([[]], 3), csr([[0]], 3)
    valid = "HR, NDCG, PRECISION, RECALL, MAP, MRR, F1, AUC"
    with pytest.raises(ValueError, match=f"unknown metric 'hitrate'; valid metrics: {valid}"):
        E.evaluate(scorer, train, test, ("hitrate",))
    with pytest.raises(ValueError, match="AUC has no cut-off"):
        E.evaluate(scorer, train, test, ("AUC@10",))
    with pytest.raises(ValueError, match="cut-off after '@'"):
        E.evaluate(scorer, train, test, ("NDCG@x",))
    with pytest.raises(ValueError, match="shares 1 .* user 0 item 0"):
        E.evaluate(scorer, csr([[0]], 3), test)
    with pytest.raises(KeyError, match="no metric 'MAP@10'"):
        E.evaluate(scorer, train, test)["MAP@10"]


def _sampled_case(n_users: int = 40, n_items: int = 30) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """User u trains on items u % 5 .. u % 5 + 4 and has test item 20 + u % 10."""
    train = csr([[u % 5 + j for j in range(5)] for u in range(n_users)], n_items)
    test = csr([[20 + u % 10] for u in range(n_users)], n_items)
    return train, test


def test_sampled_protocol_ranks_each_test_item_among_exactly_n_negatives() -> None:
    train, test = _sampled_case()
    n = 7

    def test_item_last(users: torch.Tensor) -> torch.Tensor:
        # Items 0-9 (every training item among them) score highest, the test item lowest.
        s = torch.zeros(len(users), 30)
        s[:, :10] = 100.0
        s[torch.arange(len(users)), 20 + users % 10] = -1.0
        return s

    result = E.evaluate(test_item_last, train, test, ("HR", "NDCG", "AUC"), ks=(n, n + 1), candidates=n)
    # With exactly n negatives above it, the test item is at rank n + 1 for every user.
    np.testing.assert_array_equal(result["HR@7"], np.zeros(40))
    np.testing.assert_array_equal(result["HR@8"], np.ones(40))
    np.testing.assert_allclose(result["NDCG@8"], np.full(40, 1 / math.log2(n + 2)))
    np.testing.assert_array_equal(result["AUC"], np.zeros(40))
    assert result.protocol == "sampled-7"
    # The lists hold n negatives, never a training item, then the test item.
    np.testing.assert_array_equal(result.topk[:, n], 20 + np.arange(40) % 10)
    for u, row in enumerate(result.topk):
        assert not set(row[:n]) & set(range(u % 5, u % 5 + 5))


def test_sampled_protocol_uses_every_item_left_when_fewer_than_n() -> None:
    # u0 trains on 0-2, tests on 5: the only other items are 3, 4, 6, 7, 8, 9, all drawn.
    # Scored by -id, the test item comes after 3 and 4 -> rank 3: HR@2 = 0, HR@3 = 1, NDCG@3 = 1/log2(4).
    train, test = csr([[0, 1, 2]], 10), csr([[5]], 10)
    for n in (6, 100):
        result = E.evaluate(by_id_scorer(10), train, test, ("HR", "NDCG"), ks=(2, 3), candidates=n, seed=3)
        assert result.summary() == {"HR@2": 0.0, "HR@3": 1.0, "NDCG@2": 0.0, "NDCG@3": 0.5}
        np.testing.assert_array_equal(result.topk[0], [3, 4, 5])


def test_sampled_protocol_is_fixed_by_seed_not_by_chunk() -> None:
    train, test = _sampled_case()
    scorer = by_id_scorer(30)
    runs = [E.evaluate(scorer, train, test, ("NDCG",), (10,), candidates=5, seed=s, chunk=c)
            for s, c in ((0, 1024), (0, 3), (1, 1024))]
    np.testing.assert_array_equal(runs[0].topk, runs[1].topk)
    np.testing.assert_array_equal(runs[0]["NDCG@10"], runs[1]["NDCG@10"])
    assert not np.array_equal(runs[0].topk, runs[2].topk)
    # Each list: 5 sampled negatives (never a training or test item of its user) and the test item.
    for u, row in enumerate(runs[0].topk):
        assert (row[6:] == -1).all()
        negatives = set(row[:6]) - {20 + u % 10}
        assert len(negatives) == 5 and not negatives & set(range(u % 5, u % 5 + 5))


def test_sampled_negatives_are_uniform() -> None:
    # 1000 users, 10 free items each, 2 negatives: each free item is drawn with probability 2/10.
    n_users = 1000
    train, test = csr([[0]] * n_users, 12), csr([[1]] * n_users, 12)
    result = E.evaluate(by_id_scorer(12), train, test, ("HR",), (3,), candidates=2, seed=0)
    counts = np.bincount(result.topk[result.topk > 1], minlength=12)[2:]
    # Binomial(1000, 0.2): mean 200, sd 12.6; 5 sd either side.
    assert counts.sum() == 2 * n_users and counts.min() > 137 and counts.max() < 263


# ------------------------------------------------------------------------------------------ seeds


def test_mean_ci_by_hand_for_three_values() -> None:
    # [1, 2, 3]: mean 2, s = 1; t(0.975, df=2) = 0.95 / sqrt(2 * 0.975 * 0.025) = 4.302653 (closed form for
    # df=2); half width 4.302653 / sqrt(3) = 2.484138.
    mean, low, high = E.mean_ci([1.0, 2.0, 3.0])
    half = 0.95 / math.sqrt(2 * 0.975 * 0.025) / math.sqrt(3)
    assert mean == 2.0
    assert low == pytest.approx(2 - half, abs=1e-9) and high == pytest.approx(2 + half, abs=1e-9)
    assert half == pytest.approx(2.484138, abs=1e-6)
    assert E.mean_ci([5.0]) == (5.0, pytest.approx(float("nan"), nan_ok=True), pytest.approx(float("nan"),
                                                                                                nan_ok=True))
    with pytest.raises(ValueError, match="NaN"):
        E.mean_ci([1.0, float("nan")])


def test_paired_tests_match_scipy_and_hand_values() -> None:
    a = np.array([0.30, 0.25, 0.40, 0.35, 0.20, 0.50])
    d = np.array([0.05, 0.02, 0.07, -0.01, 0.03, 0.04])
    b = a - d
    t = E.paired_test(a, b, "t")
    ref = stats.ttest_rel(a, b)
    assert t["statistic"] == pytest.approx(ref.statistic) and t["p_value"] == pytest.approx(ref.pvalue)
    assert t["mean_diff"] == pytest.approx(0.2 / 6) and t["n"] == 6
    # t by hand: mean 1/30, sample sd of d = sqrt(sum((d - mean)^2) / 5).
    sd = math.sqrt(sum((x - 0.2 / 6) ** 2 for x in d) / 5)
    assert t["statistic"] == pytest.approx((0.2 / 6) / (sd / math.sqrt(6)))
    w = E.paired_test(a, b, "wilcoxon")
    # |d| ranks 5, 2, 6, 1, 3, 4; the only negative difference has rank 1 -> W = 1. Exact two-sided p:
    # sign patterns with negative-rank sum <= 1 are {} and {1}: 2 of 64, doubled -> 4/64.
    assert w["statistic"] == pytest.approx(1.0) and w["p_value"] == pytest.approx(4 / 64)
    ref_w = stats.wilcoxon(a, b)
    assert w["p_value"] == pytest.approx(ref_w.pvalue)


def test_paired_test_drops_nan_pairs_and_handles_identical_samples() -> None:
    a = np.array([1.0, 2.0, np.nan, 4.0])
    b = np.array([0.5, 1.0, 3.0, 2.0])
    res = E.paired_test(a, b)
    assert res["n"] == 3 and res["mean_diff"] == pytest.approx((0.5 + 1 + 2) / 3)
    assert res["p_value"] == pytest.approx(stats.ttest_rel(a[[0, 1, 3]], b[[0, 1, 3]]).pvalue)
    same = E.paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], "wilcoxon")
    assert same == {"statistic": 0.0, "p_value": 1.0, "mean_diff": 0.0, "n": 3}
    with pytest.raises(ValueError, match="method must be"):
        E.paired_test(a, b, "sign")


def test_aggregate_over_seeds() -> None:
    per_seed = {2: {"HR@10": 3.0, "NDCG@10": 0.5}, 0: {"HR@10": 1.0, "NDCG@10": 0.5},
                1: {"HR@10": 2.0, "NDCG@10": 0.5}}
    agg = E.aggregate(per_seed)
    assert agg["HR@10"]["values"] == [1.0, 2.0, 3.0]  # seed order
    assert agg["HR@10"]["mean"] == 2.0 and agg["HR@10"]["std"] == 1.0 and agg["HR@10"]["n"] == 3
    mean, low, high = E.mean_ci([1.0, 2.0, 3.0])
    assert (agg["HR@10"]["ci_low"], agg["HR@10"]["ci_high"]) == (low, high)
    assert agg["NDCG@10"]["ci_low"] == agg["NDCG@10"]["ci_high"] == 0.5  # no spread
    with pytest.raises(ValueError, match="every seed must report the same metrics"):
        E.aggregate({0: {"HR@10": 1.0}, 1: {"NDCG@10": 1.0}})
