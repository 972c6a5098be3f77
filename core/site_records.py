"""What the book reads from the results folder: canonical run records and the robustness leaderboard.

Canonical records are `results/<id>/record.json` (read and validated by `advrec.results.load`), with the
executed notebook and figures beside them. The leaderboard is `results/leaderboard/record.json`: a list
of rows `{model, attack, strength, metric, mean, ci_low, ci_high}` (optionally `n`), given as the whole
document, as its `rows`, or as `output.rows` of a result record; `dataset` and `protocol` sit beside it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advrec.results import Record, RecordError, load

DASH = "—"
LEADERBOARD_ID = "leaderboard"
LEADERBOARD_FIELDS = ("model", "attack", "strength", "metric", "mean", "ci_low", "ci_high")
FAILED = "run-failed"


@dataclass(frozen=True)
class RunRecord:
    """A canonical record with the folder it came from (for its notebook and figures)."""

    record: Record
    folder: Path

    @property
    def data(self) -> dict[str, Any]:
        return self.record.data

    @property
    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Claim id -> {verdict, explanation, numbers}."""
        return {claim["claim_id"]: claim for claim in self.record.claims}


@dataclass(frozen=True)
class LeaderboardRow:
    """One model under one attack at one strength: the metric's mean and 95% CI over seeds."""

    model: str
    attack: str
    strength: float
    metric: str
    mean: float
    ci_low: float | None
    ci_high: float | None
    n: int | None = None


@dataclass(frozen=True)
class Leaderboard:
    """The robustness leaderboard: its rows, with the dataset and protocol they share and the source."""

    rows: tuple[LeaderboardRow, ...]
    dataset: str | None
    protocol: str | None
    path: Path
    provenance: dict[str, Any] | None = None


def load_records(results_dir: str | os.PathLike[str], ids: list[str]) -> dict[str, RunRecord]:
    """The canonical record of every work in `ids` that has `results_dir/<id>/record.json`.

    A record whose `work_id` differs from its folder name is an error, as is an invalid record.
    """
    root = Path(results_dir)
    records: dict[str, RunRecord] = {}
    for work_id in ids:
        path = root / work_id / "record.json"
        if not path.is_file():
            continue
        record = load(path)
        if record.work_id != work_id:
            raise RecordError(f"record {path}: field work_id: {record.work_id!r} differs from its folder "
                              f"name {work_id!r}")
        records[work_id] = RunRecord(record, path.parent)
    return records


def load_leaderboard(results_dir: str | os.PathLike[str]) -> Leaderboard | None:
    """The leaderboard of `results_dir/leaderboard/record.json`, or None when it does not exist."""
    path = Path(results_dir) / LEADERBOARD_ID / "record.json"
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RecordError(f"leaderboard {path}: not valid JSON: {err}") from None
    provenance = None
    meta: Mapping[str, Any] = {}
    if isinstance(document, list):
        raw_rows: Any = document
    elif isinstance(document, dict) and "rows" in document:
        raw_rows, meta = document["rows"], document
    elif isinstance(document, dict) and "rows" in (document.get("output") or {}):
        raw_rows, meta = document["output"]["rows"], document["output"]
        provenance = document.get("provenance")
    else:
        raise RecordError(f"leaderboard {path}: expected a list of rows, a mapping with 'rows', or a result "
                          "record with 'output.rows'")
    if not isinstance(raw_rows, list):
        raise RecordError(f"leaderboard {path}: field rows: expected a list, got {type(raw_rows).__name__}")
    rows = tuple(_leaderboard_row(row, f"leaderboard {path}: rows[{i}]") for i, row in enumerate(raw_rows))
    return Leaderboard(rows, _opt_str(meta.get("dataset")), _opt_str(meta.get("protocol")), path, provenance)


def _leaderboard_row(row: Any, where: str) -> LeaderboardRow:
    if not isinstance(row, dict):
        raise RecordError(f"{where}: expected a mapping with {', '.join(LEADERBOARD_FIELDS)}")
    missing = [key for key in LEADERBOARD_FIELDS if key not in row]
    if missing:
        raise RecordError(f"{where}: missing field(s) {', '.join(missing)}")
    for key in ("model", "attack", "metric"):
        if not isinstance(row[key], str) or not row[key]:
            raise RecordError(f"{where}.{key}: expected a non-empty string, got {row[key]!r}")
    numbers = {}
    for key in ("strength", "mean", "ci_low", "ci_high"):
        value = row[key]
        if value is None and key in ("ci_low", "ci_high"):
            numbers[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RecordError(f"{where}.{key}: expected a finite number, got {value!r}")
        numbers[key] = float(value)
    n = row.get("n")
    return LeaderboardRow(row["model"], row["attack"], numbers["strength"], row["metric"], numbers["mean"],
                          numbers["ci_low"], numbers["ci_high"], int(n) if isinstance(n, int) else None)


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def status_of(work: Any, record: RunRecord | None) -> str:
    """A work's status: the canonical record's when there is one ("run-failed" when the run did not
    complete), else the catalog's (pending until a canonical run exists)."""
    if record is None:
        return str(work.status)
    if not record.record.ok:
        return FAILED
    return str(record.record.status or work.status)


def headline_key(record: RunRecord | None) -> str | None:
    """The metric shown in the survey tables: `output.headline` when it names an aggregated metric,
    else the first aggregated metric; None without a record or metrics."""
    if record is None:
        return None
    aggregate = record.record.aggregate
    chosen = record.data.get("output", {}).get("headline")
    if isinstance(chosen, str) and chosen in aggregate:
        return chosen
    return next(iter(aggregate), None)


def headline(record: RunRecord | None) -> str:
    """"<metric> = mean ± half-width" of the headline metric, or "—" without one."""
    key = headline_key(record)
    if key is None or record is None:
        return DASH
    return f"{key} = {estimate(record.record.aggregate[key])}"


def fmt(value: Any, digits: int = 4) -> str:
    """A number with `digits` significant digits ("—" for None); other values as text."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return DASH
        return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    return str(value)


def estimate(agg: Mapping[str, Any], digits: int = 4) -> str:
    """Mean ± 95% CI half-width (the Student-t interval is symmetric); the bounds when it is not, and
    the mean alone (with n=1) when a single seed gives no interval."""
    mean, lo, hi = agg.get("mean"), agg.get("lo"), agg.get("hi")
    if lo is None or hi is None:
        return f"{fmt(mean, digits)} (n={agg.get('n', 1)}, no CI)"
    up, down = hi - mean, mean - lo
    if math.isclose(up, down, rel_tol=1e-6, abs_tol=1e-12):
        return f"{fmt(mean, digits)} ± {fmt(up, 2)}"
    return f"{fmt(mean, digits)} [{fmt(lo, digits)}, {fmt(hi, digits)}]"


def verdict_counts(records: Mapping[str, RunRecord]) -> dict[str, int]:
    """How many claim verdicts of each kind the records hold."""
    counts: dict[str, int] = {}
    for record in records.values():
        for claim in record.record.claims:
            counts[claim["verdict"]] = counts.get(claim["verdict"], 0) + 1
    return counts
