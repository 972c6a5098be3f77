"""A paper's claims checked against reproduced metrics, and the work status that follows from them.

A notebook declares one check per claim (`Directional`, `Numeric`, or `NotChecked` with the reason) and
`evaluate` turns them into `Verdict`s against a `Recorder`'s per-seed (or per-user) metrics: holds,
fails, inconclusive, not-comparable or not-checked, each with its numbers and a one-line explanation.
`derive_status` maps the verdicts to the work's reproduction status.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one claim, with the numbers behind it."""

    claim_id: str
    verdict: Literal["holds", "fails", "inconclusive", "not-comparable", "not-checked"]
    explanation: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "verdict": self.verdict, "explanation": self.explanation,
                "numbers": dict(self.numbers)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(data["claim_id"], data["verdict"], data["explanation"], dict(data.get("numbers", {})))


class Metrics(Protocol):
    """What checks read: a `Recorder`, or anything with the same two mappings."""

    @property
    def per_seed(self) -> Mapping[int, Mapping[str, float | None]]: ...

    @property
    def per_user(self) -> Mapping[int, Mapping[str, Any]]: ...


@dataclass(frozen=True)
class Directional:
    """Claim "`better` beats `worse`" (two metric keys, e.g. "APR/NDCG@100" vs "BPR-MF/NDCG@100").

    Holds when the paired difference (over seeds, or over users averaged across seeds) is significant at
    `alpha` in the claimed direction, fails when significant the other way, else is inconclusive.
    `lower_is_better` flips the direction for error-like metrics (RMSE, attack success on a defense).
    """

    claim_id: str
    better: str
    worse: str
    paired_over: Literal["seeds", "users"] = "seeds"
    method: Literal["t", "wilcoxon"] = "t"
    alpha: float = ALPHA
    lower_is_better: bool = False

    def __post_init__(self) -> None:
        if self.paired_over not in ("seeds", "users"):
            raise ValueError(f"claim {self.claim_id}: paired_over must be 'seeds' or 'users', "
                             f"got {self.paired_over!r}")
        if self.method not in ("t", "wilcoxon"):
            raise ValueError(f"claim {self.claim_id}: method must be 't' or 'wilcoxon', got {self.method!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"claim {self.claim_id}: alpha must be in (0, 1), got {self.alpha!r}")

    def evaluate(self, metrics: Metrics) -> Verdict:
        """The verdict of this claim on `metrics`."""
        from advrec.evaluation import paired_test

        a, b = self._pairs(metrics)
        word = "lower" if self.lower_is_better else "higher"
        numbers: dict[str, Any] = {
            "mean_better": _num(np.mean(a)) if len(a) else None,
            "mean_worse": _num(np.mean(b)) if len(b) else None,
            "n": len(a), "paired_over": self.paired_over, "method": self.method, "alpha": self.alpha,
        }
        if len(a) < 2:
            return Verdict(self.claim_id, "inconclusive",
                           f"{self.better} vs {self.worse}: {len(a)} paired {self.paired_over}, "
                           "a paired test needs at least 2", numbers)
        test = paired_test(a, b, method=self.method)
        diff, p = float(test["mean_diff"]), float(test["p_value"])
        numbers.update(diff=_num(diff), p_value=_num(p), statistic=_num(test["statistic"]))
        summary = (f"{self.better} {numbers['mean_better']:.4g} vs {self.worse} {numbers['mean_worse']:.4g} "
                   f"(diff {diff:+.4g}, p={p:.3g}, n={len(a)} {self.paired_over})")
        if not math.isfinite(p):
            return Verdict(self.claim_id, "inconclusive", f"{summary}: the test gave no p-value", numbers)
        if p >= self.alpha or diff == 0:
            return Verdict(self.claim_id, "inconclusive", f"{summary}: not significant at {self.alpha}",
                           numbers)
        claimed_way = diff < 0 if self.lower_is_better else diff > 0
        if claimed_way:
            return Verdict(self.claim_id, "holds", f"{summary}: significantly {word}, as claimed", numbers)
        return Verdict(self.claim_id, "fails", f"{summary}: significantly the other way", numbers)

    def _pairs(self, metrics: Metrics) -> tuple[np.ndarray, np.ndarray]:
        if self.paired_over == "seeds":
            per_seed = metrics.per_seed
            _require_key(self.claim_id, per_seed, (self.better, self.worse), "per-seed metrics")
            pairs = [(v[self.better], v[self.worse]) for _, v in sorted(per_seed.items())
                     if v.get(self.better) is not None and v.get(self.worse) is not None]
            a = np.array([p[0] for p in pairs], dtype=float)
            b = np.array([p[1] for p in pairs], dtype=float)
        else:
            per_user = metrics.per_user
            _require_key(self.claim_id, per_user, (self.better, self.worse), "per-user metrics")
            a, b = (self._user_means(per_user, key) for key in (self.better, self.worse))
            if a.shape != b.shape:
                raise ValueError(f"claim {self.claim_id}: {self.better} has {a.size} users but "
                                 f"{self.worse} has {b.size}; per-user arrays must be aligned")
        keep = np.isfinite(a) & np.isfinite(b)
        return a[keep], b[keep]

    def _user_means(self, per_user: Mapping[int, Mapping[str, Any]], key: str) -> np.ndarray:
        arrays = [np.asarray(v[key], dtype=float) for _, v in sorted(per_user.items()) if key in v]
        if len({a.shape for a in arrays}) > 1:
            raise ValueError(f"claim {self.claim_id}: {key} has different user counts across seeds "
                             f"({sorted({a.size for a in arrays})}); log the same users for every seed")
        with warnings.catch_warnings():  # a user without a value in any seed stays NaN, then is dropped
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.vstack(arrays), axis=0)


@dataclass(frozen=True)
class Numeric:
    """Claim "the paper reports `reported` for `metric`": holds when the mean over seeds lies within
    `tolerance` of it (a fraction of the reported value if `relative`, else absolute), and only when the
    protocol matches; otherwise not-comparable, with `why`.
    """

    claim_id: str
    metric: str
    reported: float | str
    tolerance: float
    relative: bool = True
    protocol_matches: bool = True
    why: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.tolerance, (int, float)) and self.tolerance >= 0):
            raise ValueError(f"claim {self.claim_id}: tolerance must be a non-negative number, "
                             f"got {self.tolerance!r}")
        if not self.protocol_matches and not self.why:
            raise ValueError(f"claim {self.claim_id}: protocol_matches=False needs `why` (what differs: "
                             "dataset, split, protocol, ...)")
        parse_reported(self.reported, self.claim_id)

    def evaluate(self, metrics: Metrics) -> Verdict:
        """The verdict of this claim on `metrics`."""
        reported = parse_reported(self.reported, self.claim_id)
        _require_key(self.claim_id, metrics.per_seed, (self.metric,), "per-seed metrics")
        values = [float(v[self.metric]) for v in metrics.per_seed.values() if v.get(self.metric) is not None]
        mean = float(np.mean(values)) if values else math.nan
        allowed = self.tolerance * abs(reported) if self.relative else self.tolerance
        numbers: dict[str, Any] = {
            "reproduced": _num(mean), "reported": reported, "diff": _num(mean - reported),
            "rel_diff": _num((mean - reported) / reported) if reported else None,
            "tolerance": self.tolerance, "relative": self.relative, "n": len(values),
        }
        tol = f"{self.tolerance:.0%} relative" if self.relative else f"{self.tolerance:g} absolute"
        if not self.protocol_matches:
            return Verdict(self.claim_id, "not-comparable",
                           f"{self.metric}: reproduced {mean:.4g} vs reported {reported:.4g} not comparable: "
                           f"{self.why}", numbers)
        if not values:
            return Verdict(self.claim_id, "inconclusive", f"{self.metric}: no reproduced value", numbers)
        summary = f"{self.metric}: reproduced {mean:.4g} vs reported {reported:.4g} (tolerance {tol})"
        if abs(mean - reported) <= allowed:
            return Verdict(self.claim_id, "holds", f"{summary}: within tolerance", numbers)
        return Verdict(self.claim_id, "fails", f"{summary}: outside tolerance", numbers)


@dataclass(frozen=True)
class NotChecked:
    """A claim this notebook does not test (e.g. a qualitative one), with the reason."""

    claim_id: str
    why: str

    def evaluate(self, metrics: Metrics) -> Verdict:
        return Verdict(self.claim_id, "not-checked", self.why)


Check = Directional | Numeric | NotChecked


def evaluate(checks: Iterable[Check], metrics: Metrics,
             claims: Sequence[Mapping[str, Any]] | None = None) -> list[Verdict]:
    """Verdicts of `checks` on `metrics` (a `Recorder`); with the catalog's `claims`, every claim without
    a check gets a not-checked verdict, and a check for an unknown claim id is an error.
    """
    checks = list(checks)
    ids = [c.claim_id for c in checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"claims checked more than once: {', '.join(duplicates)}")
    verdicts = [check.evaluate(metrics) for check in checks]
    if claims is not None:
        known = [str(c["id"]) for c in claims]
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"checks for unknown claim id(s) {', '.join(unknown)}; the work's claims: "
                             f"{', '.join(known) or 'none'}")
        for claim in claims:
            if claim["id"] not in ids:
                kind = claim.get("kind", "unknown")
                verdicts.append(Verdict(str(claim["id"]), "not-checked",
                                        f"no check declared in the notebook ({kind} claim)"))
    return verdicts


def derive_status(verdicts: Iterable[Verdict | Mapping[str, Any]], deviations: Sequence[str],
                  executable: bool = True, same_data_and_protocol: bool = False) -> str:
    """The work's status from its claim verdicts (the design's rule, first match wins):

    1. not `executable` -> "not-executable";
    2. a run off the paper's data or protocol must state its `deviations` (else ValueError);
    3. any claim fails -> "claims-fail" (a failure is never hidden behind a success);
    4. on the paper's own data and protocol, at least one numeric claim checked and every numeric claim
       within tolerance -> "reproduced";
    5. any claim holds -> "claims-hold";
    6. otherwise (inconclusive, not comparable or not checked) -> "approximated": the method runs, but
       the run neither confirms nor refutes the paper.
    Numeric verdicts are those whose numbers carry a "reported" value.
    """
    found = [v if isinstance(v, Verdict) else Verdict.from_dict(v) for v in verdicts]
    if not executable:
        return "not-executable"
    if not same_data_and_protocol and not deviations:
        raise ValueError("a run that is not on the paper's data and protocol must state its deviations")
    kinds = [v.verdict for v in found]
    if "fails" in kinds:
        return "claims-fail"
    numeric = [v for v in found if "reported" in v.numbers]
    if same_data_and_protocol and numeric and all(v.verdict == "holds" for v in numeric):
        return "reproduced"
    if "holds" in kinds:
        return "claims-hold"
    return "approximated"


def parse_reported(value: float | str, claim_id: str = "?") -> float:
    """A reported number as printed ("0.1881", "11.2%", "1,024") as a float; percentages stay in percent."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().rstrip("%").replace(",", "").replace("\u2212", "-")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"claim {claim_id}: reported value {value!r} is not a number as printed "
                         "(e.g. '0.1881' or '11.2%')") from None


def _require_key(claim_id: str, table: Mapping[int, Mapping[str, Any]], keys: Sequence[str],
                 what: str) -> None:
    available = sorted({k for values in table.values() for k in values})
    for key in keys:
        if key not in available:
            raise KeyError(f"claim {claim_id}: metric {key!r} not in the {what}; available: "
                           f"{', '.join(available) or 'none logged'}")


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
