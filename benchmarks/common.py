"""What the benchmark scripts share: result records, their atomic JSON file and table, timing, and the
conversions that hand our matrices to the peer libraries."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

FIELDS = ("benchmark", "dataset", "metric", "ours", "peer", "peer_value", "ratio", "unit")


def record(
    benchmark: str,
    dataset: str,
    metric: str,
    ours: float | None,
    peer: str,
    peer_value: float | None,
    unit: str,
    **extra: Any,
) -> dict[str, Any]:
    """One result: our value beside a peer's (ratio = ours / peer_value when both exist); `extra` adds
    fields such as confidence intervals or a note."""
    ratio = None if ours is None or not peer_value else ours / peer_value
    return {
        "benchmark": benchmark,
        "dataset": dataset,
        "metric": metric,
        "ours": ours,
        "peer": peer,
        "peer_value": peer_value,
        "ratio": ratio,
        "unit": unit,
        **extra,
    }


def write_json_atomic(data: Any, path: Path) -> None:
    """Write `data` as JSON to `path` through a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(records: Sequence[dict[str, Any]]) -> str:
    """The records as a fixed-width text table (one row each, notes after a '#')."""
    cols = list(FIELDS)
    rows = [[_fmt(r.get(c)) for c in cols] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row, r in zip(rows, records, strict=True):
        line = "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
        lines.append(line + (f"  # {r['note']}" if r.get("note") else ""))
    return "\n".join(lines)


def seconds(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def epoch_seconds(
    trainers: Mapping[str, Callable[[int], Any]], extra: int = 10, repeats: int = 3
) -> dict[str, float]:
    """Seconds per epoch of each trainer (a function of the number of epochs), without set-up costs:
    (time of 1 + extra epochs - time of 1 epoch) / extra. The trainers are measured in alternation and
    the best of `repeats` rounds is kept, so load from other processes hits every library alike."""
    best = dict.fromkeys(trainers, math.inf)
    for _ in range(repeats):
        for name, train_for in trainers.items():
            one = seconds(lambda f=train_for: f(1))
            more = seconds(lambda f=train_for: f(1 + extra))
            best[name] = min(best[name], max(more - one, 0.0) / extra)
    return best


def cornac_dataset(train: sp.csr_matrix, seed: int | None = None) -> Any:
    """A Cornac training Dataset whose internal user and item indices are our dense ids."""
    import cornac

    coo = train.tocoo()
    uid_map = {str(u): u for u in range(train.shape[0])}
    iid_map = {str(i): i for i in range(train.shape[1])}
    uir = (coo.row.astype(np.int64), coo.col.astype(np.int64), np.ones(coo.nnz, dtype=np.float64))
    return cornac.data.Dataset(train.shape[0], train.shape[1], uid_map, iid_map, uir, seed=seed)


def load_avg() -> str:
    """The 1-minute load average: timings on a shared machine are only as quiet as this."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
