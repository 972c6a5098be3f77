"""Claim verdicts on constructed metrics, and the status rule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from scipy import stats

from advrec.claims import Directional, NotChecked, Numeric, Verdict, derive_status, evaluate, parse_reported


@dataclass
class Metrics:
    per_seed: dict[int, dict[str, float]] = field(default_factory=dict)
    per_user: dict[int, dict[str, Any]] = field(default_factory=dict)


def seeds(better: list[float], worse: list[float]) -> Metrics:
    pairs = enumerate(zip(better, worse, strict=True))
    return Metrics({s: {"A/NDCG@10": a, "B/NDCG@10": b} for s, (a, b) in pairs})


# A beats B by 0.15, 0.14, 0.13: mean diff 0.14, sd 0.01, t = 0.14 / (0.01 / sqrt 3) = 24.2487 with 2 df.
CLEAR = seeds([0.35, 0.36, 0.37], [0.20, 0.22, 0.24])


def test_directional_holds_with_the_paired_t_test() -> None:
    v = Directional("c1", better="A/NDCG@10", worse="B/NDCG@10").evaluate(CLEAR)
    t = 0.14 / (0.01 / math.sqrt(3))
    assert v.verdict == "holds"
    assert v.numbers["statistic"] == pytest.approx(t)
    assert v.numbers["p_value"] == pytest.approx(2 * stats.t.sf(t, 2))
    assert v.numbers["diff"] == pytest.approx(0.14)
    assert (v.numbers["mean_better"], v.numbers["mean_worse"], v.numbers["n"]) == (
        pytest.approx(0.36), pytest.approx(0.22), 3)
    assert "significantly higher" in v.explanation and "n=3 seeds" in v.explanation


def test_directional_fails_when_significant_the_other_way() -> None:
    v = Directional("c1", better="B/NDCG@10", worse="A/NDCG@10").evaluate(CLEAR)
    assert v.verdict == "fails" and v.numbers["diff"] == pytest.approx(-0.14)


def test_directional_lower_is_better() -> None:
    # an error metric: the claimed-better model has the lower values
    v = Directional("c1", better="B/NDCG@10", worse="A/NDCG@10", lower_is_better=True).evaluate(CLEAR)
    assert v.verdict == "holds"


def test_directional_inconclusive_cases() -> None:
    noisy = seeds([0.30, 0.25, 0.32], [0.20, 0.35, 0.31])  # diffs 0.10, -0.10, 0.01
    v = Directional("c1", better="A/NDCG@10", worse="B/NDCG@10").evaluate(noisy)
    assert v.verdict == "inconclusive" and v.numbers["p_value"] > 0.05
    one = seeds([0.9], [0.1])
    v = Directional("c1", better="A/NDCG@10", worse="B/NDCG@10").evaluate(one)
    assert v.verdict == "inconclusive" and "at least 2" in v.explanation
    same = seeds([0.3, 0.4], [0.3, 0.4])
    assert Directional("c1", better="A/NDCG@10", worse="B/NDCG@10").evaluate(same).verdict == "inconclusive"


def test_directional_over_users_averages_seeds_and_drops_nan() -> None:
    a0, a1 = np.array([0.5, 0.6, np.nan, 0.8, 0.4, 0.7]), np.array([0.7, 0.6, 0.3, 0.6, 0.6, 0.7])
    b0, b1 = np.array([0.2, 0.4, 0.1, 0.5, 0.3, 0.3]), np.array([0.4, 0.2, 0.1, 0.5, 0.3, 0.5])
    m = Metrics(per_user={0: {"A/HR@10": a0, "B/HR@10": b0}, 1: {"A/HR@10": a1, "B/HR@10": b1}})
    v = Directional("c1", better="A/HR@10", worse="B/HR@10", paired_over="users").evaluate(m)
    a = np.array([0.6, 0.6, 0.3, 0.7, 0.5, 0.7])  # per-user means over seeds (NaN ignored)
    b = np.array([0.3, 0.3, 0.1, 0.5, 0.3, 0.4])
    expected = stats.ttest_rel(a, b)
    assert v.numbers["n"] == 6
    assert v.numbers["p_value"] == pytest.approx(expected.pvalue)
    assert v.verdict == "holds"


def test_directional_wilcoxon() -> None:
    a = np.linspace(0.5, 0.9, 12)
    b = a - np.linspace(0.01, 0.12, 12)
    m = Metrics(per_user={0: {"A": a, "B": b}})
    v = Directional("c1", better="A", worse="B", paired_over="users", method="wilcoxon").evaluate(m)
    assert v.numbers["p_value"] == pytest.approx(stats.wilcoxon(a, b).pvalue)
    assert v.verdict == "holds"


def test_missing_metric_names_what_is_available() -> None:
    with pytest.raises(KeyError, match=r"claim c1: metric 'C/NDCG@10' not in the per-seed metrics; "
                                       r"available: A/NDCG@10, B/NDCG@10"):
        Directional("c1", better="C/NDCG@10", worse="B/NDCG@10").evaluate(CLEAR)
    with pytest.raises(ValueError, match="paired_over"):
        Directional("c1", better="A", worse="B", paired_over="items")  # type: ignore[arg-type]


def test_numeric_tolerances() -> None:
    m = Metrics({0: {"AMF/HR@100": 0.19}, 1: {"AMF/HR@100": 0.19}})
    v = Numeric("c2", metric="AMF/HR@100", reported="0.1881", tolerance=0.05).evaluate(m)
    assert v.verdict == "holds"  # |0.19 - 0.1881| / 0.1881 = 1.0% <= 5%
    assert v.numbers["rel_diff"] == pytest.approx((0.19 - 0.1881) / 0.1881)
    v = Numeric("c2", metric="AMF/HR@100", reported="0.1881", tolerance=0.005).evaluate(m)
    assert v.verdict == "fails" and "outside tolerance" in v.explanation
    v = Numeric("c2", metric="AMF/HR@100", reported=0.17, tolerance=0.02, relative=False).evaluate(m)
    assert v.verdict == "holds"  # |0.19 - 0.17| = 0.02 <= 0.02 absolute
    v = Numeric("c2", metric="AMF/HR@100", reported=0.17, tolerance=0.019, relative=False).evaluate(m)
    assert v.verdict == "fails"


def test_numeric_not_comparable_says_why() -> None:
    m = Metrics({0: {"HR@10": 0.5}})
    v = Numeric("c2", metric="HR@10", reported="0.5", tolerance=0.05, protocol_matches=False,
                why="the paper samples 100 negatives; we rank all items").evaluate(m)
    assert v.verdict == "not-comparable" and "we rank all items" in v.explanation
    with pytest.raises(ValueError, match="needs `why`"):
        Numeric("c2", metric="HR@10", reported="0.5", tolerance=0.05, protocol_matches=False)


def test_parse_reported() -> None:
    assert parse_reported("0.1881") == 0.1881
    assert parse_reported("11.2%") == 11.2
    assert parse_reported("1,024") == 1024.0
    assert parse_reported("\u22120.5") == -0.5
    with pytest.raises(ValueError, match="claim c9: reported value 'n/a'"):
        parse_reported("n/a", "c9")


def test_evaluate_fills_unchecked_claims_and_rejects_unknown_ids() -> None:
    claims = [{"id": "c1", "kind": "directional"}, {"id": "c2", "kind": "qualitative"},
              {"id": "c3", "kind": "numeric"}]
    verdicts = evaluate([Directional("c1", better="A/NDCG@10", worse="B/NDCG@10"),
                         NotChecked("c3", why="the paper's data is not public")], CLEAR, claims=claims)
    assert [(v.claim_id, v.verdict) for v in verdicts] == [("c1", "holds"), ("c3", "not-checked"),
                                                            ("c2", "not-checked")]
    assert "qualitative" in verdicts[2].explanation
    with pytest.raises(ValueError, match="unknown claim id"):
        evaluate([NotChecked("c7", why="-")], CLEAR, claims=claims)
    with pytest.raises(ValueError, match="more than once: c1"):
        evaluate([NotChecked("c1", why="-"), NotChecked("c1", why="-")], CLEAR)


def _v(verdict: str, numeric: bool = False) -> Verdict:
    return Verdict("c", verdict, "x", {"reported": 0.1} if numeric else {})  # type: ignore[arg-type]


@pytest.mark.parametrize(("verdicts", "kwargs", "expected"), [
    ([_v("holds")], {"executable": False, "deviations": []}, "not-executable"),
    ([_v("holds"), _v("fails")], {"deviations": ["d"]}, "claims-fail"),
    ([_v("holds", numeric=True)], {"deviations": [], "same_data_and_protocol": True}, "reproduced"),
    ([_v("holds", numeric=True), _v("inconclusive", numeric=True)],
     {"deviations": [], "same_data_and_protocol": True}, "claims-hold"),
    ([_v("holds", numeric=True)], {"deviations": ["other data"]}, "claims-hold"),
    ([_v("holds")], {"deviations": [], "same_data_and_protocol": True}, "claims-hold"),
    ([_v("inconclusive"), _v("not-comparable", numeric=True), _v("not-checked")], {"deviations": ["d"]},
     "approximated"),
    ([], {"deviations": ["d"]}, "approximated"),
])
def test_derive_status(verdicts: list[Verdict], kwargs: dict[str, Any], expected: str) -> None:
    assert derive_status(verdicts, **kwargs) == expected
    assert derive_status([v.to_dict() for v in verdicts], **kwargs) == expected


def test_derive_status_requires_stated_deviations_off_protocol() -> None:
    with pytest.raises(ValueError, match="must state its deviations"):
        derive_status([_v("holds")], deviations=[], same_data_and_protocol=False)
