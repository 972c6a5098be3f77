"""Every metric of advrec.metrics against tiny cases computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from advrec import metrics as M

NAN = float("nan")


def csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    """A user-by-item 0/1 matrix with the listed items per row."""
    r = [u for u, items in enumerate(rows) for _ in items]
    c = [i for items in rows for i in items]
    return sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), n_items))


def assert_values(got: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               rtol=0, atol=1e-12, equal_nan=True)


# Four users, 8 items, top-4 lists:
#   u0: [3, 1, 4, 0], test {0, 1, 7} -> hits [0, 1, 0, 1]
#   u1: [5, 6, 2, -1], test {5}      -> hits [1, 0, 0, 0] (-1: an empty slot)
#   u2: [0, 1, 2, 3], no test item   -> NaN everywhere
#   u3: [2, 3, 4, 5], test {6}       -> no hit (item 5 is u1's test item, not u3's)
TOPK = np.array([[3, 1, 4, 0], [5, 6, 2, -1], [0, 1, 2, 3], [2, 3, 4, 5]])
TEST = csr([[1, 0, 7], [5], [], [6]], 8)


@pytest.fixture
def hits() -> np.ndarray:
    return M.hit_matrix(TOPK, TEST)


def test_hit_matrix_is_row_aligned_and_ignores_padding(hits: np.ndarray) -> None:
    expected = [[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(hits, np.array(expected, dtype=bool))
    np.testing.assert_array_equal(M.n_relevant(TEST), [3, 1, 0, 1])


def test_hit_matrix_with_empty_test_and_bad_shapes() -> None:
    assert not M.hit_matrix(TOPK, sp.csr_matrix((4, 8))).any()
    with pytest.raises(ValueError, match="row-aligned"):
        M.hit_matrix(TOPK[:2], TEST)
    with pytest.raises(ValueError, match="item id 9"):
        M.hit_matrix(np.array([[9]]), csr([[0]], 8))
    with pytest.raises(TypeError, match="test must be a scipy.sparse"):
        M.hit_matrix(TOPK, np.zeros((4, 8)))


def test_hr(hits: np.ndarray) -> None:
    n = M.n_relevant(TEST)
    assert_values(M.hr_at_k(hits, n), [1, 1, NAN, 0])
    assert_values(M.hr_at_k(hits, n, k=1), [0, 1, NAN, 0])  # u0's first hit is at rank 2


def test_precision_recall_f1(hits: np.ndarray) -> None:
    n = M.n_relevant(TEST)
    # u0: 2 hits of 4 slots, 2 of 3 test items; u1: 1 hit of 4 slots (the empty slot counts), 1 of 1.
    assert_values(M.precision_at_k(hits, n), [2 / 4, 1 / 4, NAN, 0])
    assert_values(M.recall_at_k(hits, n), [2 / 3, 1, NAN, 0])
    # F1 = 2PR/(P+R): u0 2*(1/2)(2/3)/(1/2+2/3) = (2/3)/(7/6) = 4/7; u1 2*(1/4)*1/(5/4) = 2/5.
    assert_values(M.f1_at_k(hits, n), [4 / 7, 2 / 5, NAN, 0])
    # At k=2: u0 P = 1/2, R = 1/3; u1 P = 1/2, R = 1.
    assert_values(M.precision_at_k(hits, n, 2), [1 / 2, 1 / 2, NAN, 0])
    assert_values(M.recall_at_k(hits, n, 2), [1 / 3, 1, NAN, 0])


def test_ndcg(hits: np.ndarray) -> None:
    n = M.n_relevant(TEST)
    # u0: DCG = 1/log2(3) + 1/log2(5); ideal for min(3, 4) = 3 hits: 1 + 1/log2(3) + 1/log2(4).
    u0 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 0.5)
    assert_values(M.ndcg_at_k(hits, n), [u0, 1, NAN, 0])
    # k=2: DCG = 1/log2(3); ideal for min(3, 2) = 2 hits: 1 + 1/log2(3).
    assert_values(M.ndcg_at_k(hits, n, 2), [(1 / math.log2(3)) / (1 + 1 / math.log2(3)), 1, NAN, 0])


def test_map_and_mrr(hits: np.ndarray) -> None:
    n = M.n_relevant(TEST)
    # u0: hits at ranks 2 and 4 -> (P@2 + P@4) / min(3, 4) = (1/2 + 2/4) / 3 = 1/3; u1: P@1 / 1 = 1.
    assert_values(M.map_at_k(hits, n), [1 / 3, 1, NAN, 0])
    # k=2: u0 (1/2) / min(3, 2) = 1/4.
    assert_values(M.map_at_k(hits, n, 2), [1 / 4, 1, NAN, 0])
    assert_values(M.mrr_at_k(hits, n), [1 / 2, 1, NAN, 0])
    assert_values(M.mrr_at_k(hits, n, 1), [0, 1, NAN, 0])


def test_ranking_metric_rejects_bad_k(hits: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"k must be in \[1, 4\]"):
        M.ndcg_at_k(hits, M.n_relevant(TEST), 5)
    with pytest.raises(ValueError, match="n_relevant must have shape"):
        M.hr_at_k(hits, [1, 2])


def test_auc_with_ties_exclusions_and_empty_users() -> None:
    scores = np.array([[0.9, 0.5, 0.5, 0.1, 0.3],
                       [0.1, 0.2, 0.3, 0.4, 0.5],
                       [0.5, 0.4, 0.3, 0.2, 0.1]])
    test = csr([[1, 3], [], [0]], 5)
    exclude = csr([[0], [], [1, 2, 3, 4]], 5)
    # u0: candidates 1..4 (item 0 excluded); positives 1 (0.5), 3 (0.1); negatives 2 (0.5), 4 (0.3).
    #   pairs: 1~2 tie 1/2, 1>4 1, 3<2 0, 3<4 0 -> 1.5 / 4 = 0.375.
    # u1: no test item -> NaN. u2: every other item excluded -> no negative -> NaN.
    assert_values(M.auc(scores, test, exclude), [0.375, NAN, NAN])
    masked = scores.copy()
    masked[0, 0] = -np.inf  # -inf marks a non-candidate, like exclude
    assert_values(M.auc(masked, test)[:1], [0.375])
    # Without exclusions u0 also has negative 0 (0.9) above both positives: 1.5 / 6 = 0.25.
    # u2: item 0 scores 0.5, above all four negatives -> 1.
    assert_values(M.auc(scores, test), [0.25, NAN, 1.0])


def test_auc_rejects_excluded_positive_and_nan() -> None:
    with pytest.raises(ValueError, match="test item is excluded"):
        M.auc(np.array([[1.0, 2.0]]), csr([[0]], 2), csr([[0]], 2))
    with pytest.raises(ValueError, match="NaN"):
        M.auc(np.array([[np.nan, 2.0]]), csr([[0]], 2))


def test_rmse_and_mae() -> None:
    # errors 1, 0, 2: RMSE = sqrt((1 + 0 + 4) / 3) = sqrt(5/3); MAE = 3 / 3 = 1.
    assert M.rmse([3, 4, 5], [2, 4, 3]) == pytest.approx(math.sqrt(5 / 3))
    assert M.mae([3, 4, 5], [2, 4, 3]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        M.rmse([1, 2], [1])


# Attack case: 4 users, 6 items, targets 2 and 5; u0 has interacted with 2, u1 with 5.
INTERACTED = csr([[2], [5], [], []], 6)
AFTER = np.array([[2, 1], [5, 2], [5, 2], [0, -1]])
BEFORE = np.array([[1, 0], [2, 0], [0, 1], [0, 1]])


def test_target_hit_ratio() -> None:
    # target 2: eligible u1, u2, u3; in top-k for u1, u2 -> 2/3 (u0 has it in top-k but had it already).
    # target 5: eligible u0, u2, u3; in top-k for u2 -> 1/3.
    assert_values(M.target_hit_ratio(AFTER, [2, 5], INTERACTED), [2 / 3, 1 / 3])
    # item 0: no user has interacted with it, only u3 gets it -> 1/4; a single ineligible user -> NaN.
    assert_values(M.target_hit_ratio(AFTER, [0], INTERACTED), [1 / 4])
    assert_values(M.target_hit_ratio(AFTER[:1], [2], INTERACTED[:1]), [NAN])
    with pytest.raises(ValueError, match="must not repeat"):
        M.target_hit_ratio(AFTER, [2, 2], INTERACTED)


def test_success_rate() -> None:
    # Eligible pairs: (u1,2) (u2,2) (u3,2) (u0,5) (u2,5) (u3,5); promoted: (u1,2) (u2,2) (u2,5) -> 3/6.
    assert M.success_rate(AFTER, [2, 5], INTERACTED) == pytest.approx(0.5)
    # With the lists before: (u1,2) was already in the top-k, 5 pairs left, promoted (u2,2) (u2,5) -> 2/5.
    assert M.success_rate(AFTER, [2, 5], INTERACTED, topk_before=BEFORE) == pytest.approx(0.4)
    # Demotion from AFTER to BEFORE: eligible (in top-k first) (u1,2) (u2,2) (u2,5); left the top-k:
    # (u2,2) and (u2,5); (u1,2) is still there -> 2/3.
    demoted = M.success_rate(BEFORE, [2, 5], INTERACTED, topk_before=AFTER, goal="demote")
    assert demoted == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="needs topk_before"):
        M.success_rate(AFTER, [2], INTERACTED, goal="demote")


def test_prediction_shift() -> None:
    before = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    after = np.array([[2.0, 2.0], [3.0, 6.0], [1.0, -1.0]])
    # all users: target 0 (1 + 0 + 1)/3 = 2/3; target 1 (0 + 2 - 1)/3 = 1/3.
    assert_values(M.prediction_shift(before, after), [2 / 3, 1 / 3])
    mask = np.array([[True, True], [True, False], [False, True]])
    # masked: target 0 users 0, 1 -> (1 + 0)/2; target 1 users 0, 2 -> (0 - 1)/2.
    assert_values(M.prediction_shift(before, after, mask), [0.5, -0.5])
    assert M.prediction_shift([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.5)  # (1 + 2) / 2


def test_relative_drop() -> None:
    assert M.relative_drop(0.5, 0.4) == pytest.approx(0.2)  # (0.5 - 0.4) / 0.5
    assert_values(M.relative_drop([0.2, 0.0], [0.3, 0.1]), [-0.5, NAN])


# Fairness case: 3 users, 6 items; group 0 = items 0-2, group 1 = items 3-5.
GROUPS = np.array([0, 0, 0, 1, 1, 1])
F_TRAIN = csr([[0, 3], [1], []], 6)
F_TEST = csr([[1, 5], [2, 4], []], 6)
F_TOPK = np.array([[1, 4], [0, 2], [3, 0]])


def test_rsp() -> None:
    # g0 recommended: u0 {1}, u1 {0, 2}, u2 {0} = 4; available: u0 3-1, u1 3-1, u2 3 = 7 -> 4/7.
    # g1 recommended: u0 {4}, u2 {3} = 2; available: u0 3-1, u1 3, u2 3 = 8 -> 1/4.
    assert_values(M.rsp_probabilities(F_TOPK, F_TRAIN, GROUPS), [4 / 7, 1 / 4])
    # mean 23/56, population std |4/7 - 1/4| / 2 = 9/56 -> RSP = 9/23.
    assert M.rsp(F_TOPK, F_TRAIN, GROUPS) == pytest.approx(9 / 23)
    membership = np.stack([GROUPS == 0, GROUPS == 1], axis=1)
    assert M.rsp(F_TOPK, F_TRAIN, membership) == pytest.approx(9 / 23)


def test_reo() -> None:
    # Recommended test items: u0 {1} (g0), u1 {2} (g0). Test items: g0 {1, 2}, g1 {5, 4}.
    # P(g0) = 2/2 = 1, P(g1) = 0/2 = 0 -> mean 1/2, std 1/2 -> REO = 1.
    assert_values(M.reo_probabilities(F_TOPK, F_TEST, GROUPS), [1, 0])
    assert M.reo(F_TOPK, F_TEST, GROUPS) == pytest.approx(1.0)
    # Item 5 alone in group 2 and without test item: its probability is NaN and REO leaves it out;
    # item 3 in no group (-1) is ignored. g0 test {1, 2} both recommended -> 1; g1 test {4} -> 0.
    groups = np.array([0, 0, 0, -1, 1, 2])
    test = csr([[1], [2, 4], []], 6)
    assert_values(M.reo_probabilities(F_TOPK, test, groups), [1, 0, NAN])
    assert M.reo(F_TOPK, test, groups) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="item_groups"):
        M.rsp(F_TOPK, F_TRAIN, GROUPS[:4])


def test_attribute_inference_auc() -> None:
    # positives {0.9, 0.3, 0.6}, negatives {0.3, 0.8}: 0.9 beats both (2), 0.3 ties 0.3 (1/2),
    # 0.6 beats 0.3 (1) -> 3.5 / 6.
    y = np.array([1, 0, 1, 0, 1])
    assert M.attribute_inference_auc(y, [0.9, 0.3, 0.3, 0.8, 0.6]) == pytest.approx(3.5 / 6)
    # One-vs-rest: class 0 pos {0.8, 0.2} vs {0.1, 0.3} -> 3/4; classes 1 and 2 perfectly ranked -> 1.
    scores = np.array([[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.3, 0.2, 0.5], [0.2, 0.5, 0.3]])
    assert M.attribute_inference_auc(np.array([0, 1, 2, 0]), scores) == pytest.approx((0.75 + 1 + 1) / 3)
    with pytest.raises(ValueError, match="single class"):
        M.attribute_inference_auc(np.array([1, 1]), [0.1, 0.2])


def test_attribute_inference_f1() -> None:
    y, p = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    # class 1: TP 2, FP 1, FN 1 -> 4/6; class 0: TP 1, FP 1, FN 1 -> 2/4; micro = accuracy 3/5.
    assert M.attribute_inference_f1(y, p, "binary") == pytest.approx(2 / 3)
    assert M.attribute_inference_f1(y, p, "macro") == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert M.attribute_inference_f1(y, p, "micro") == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="average must be"):
        M.attribute_inference_f1(y, p, "weighted")


def test_coverage_popularity_novelty() -> None:
    assert M.coverage(np.array([[0, 1], [1, 2], [-1, -1]]), 5) == pytest.approx(3 / 5)  # {0, 1, 2}
    inter = csr([[0, 1], [0, 1], [1], [1]], 3)
    # degrees 2, 4, 0 of 4 users; with pseudo-count 1: (2+1)/5, (4+1)/5, (0+1)/5.
    assert_values(M.item_popularity(inter), [0.5, 1.0, 0.0])
    assert_values(M.item_popularity(inter, pseudo_count=1), [3 / 5, 1.0, 1 / 5])
    pop = M.item_popularity(inter)
    # u0: (-log2 0.5 - log2 1) / 2 = 1/2; u1: -log2 0.5 = 1; u2: empty list -> NaN.
    assert_values(M.novelty(np.array([[0, 1], [0, -1], [-1, -1]]), pop), [0.5, 1.0, NAN])
    with pytest.raises(ValueError, match="pseudo_count"):
        M.novelty(np.array([[2]]), pop)


def test_intra_list_diversity() -> None:
    features = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    # u0 {0, 1, 2}: distances 1 - 0 = 1, 1 - 1/sqrt2 (twice) -> (1 + 2 (1 - 1/sqrt2)) / 3.
    # u1 {0, 3}: same direction -> 0; u2 a single item -> NaN.
    topk = np.array([[0, 1, 2], [0, 3, -1], [1, -1, -1]])
    u0 = (1 + 2 * (1 - 1 / math.sqrt(2))) / 3
    assert_values(M.intra_list_diversity(topk, features), [u0, 0.0, NAN])
    with pytest.raises(ValueError, match="all-zero"):
        M.intra_list_diversity(np.array([[0, 1]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
