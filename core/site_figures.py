"""The book's plots, drawn with matplotlib's Agg canvas (no pyplot, no display) into PNG files.

Per work: the reproduced metrics with their 95% CI and per-seed values. Leaderboard: one plot per
(attack, metric) of the metric against attack strength, a line per model with its CI band.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from advrec.results import write_bytes_atomic
from advrec.site_records import Leaderboard, RunRecord

MAX_METRICS = 40


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Any, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    write_bytes_atomic(path, buffer.getvalue())


def metrics_figure(record: RunRecord, path: Path) -> str | None:
    """Plot a record's aggregated metrics (mean, 95% CI, per-seed dots) to `path`; returns the caption,
    or None when the record has no metric (nothing written)."""
    aggregate = record.record.aggregate
    if not aggregate:
        return None
    keys = list(aggregate)[:MAX_METRICS]
    per_seed = record.record.per_seed
    width, height = 7.5, 1.1 + 0.3 * len(keys)
    figure = _figure(width, height)
    # Margins from the longest metric key (8 pt labels take about 0.06 in a character), no tight-bbox pass.
    left = min(0.6, (0.2 + 0.06 * max(len(k) for k in keys)) / width)
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.2 / height, bottom=0.6 / height)
    axes = figure.add_subplot(1, 1, 1)
    ys = list(range(len(keys)))[::-1]
    for y, key in zip(ys, keys, strict=True):
        agg = aggregate[key]
        lo = agg["lo"] if agg["lo"] is not None else agg["mean"]
        hi = agg["hi"] if agg["hi"] is not None else agg["mean"]
        axes.barh(y, agg["mean"], color="#9ec5e8", height=0.6)
        below, above = max(agg["mean"] - lo, 0.0), max(hi - agg["mean"], 0.0)
        axes.errorbar(agg["mean"], y, xerr=[[below], [above]], fmt="none", ecolor="#1f3b57", capsize=3)
        seeds = [values[key] for values in per_seed.values() if key in values]
        axes.plot(seeds, [y] * len(seeds), "o", color="#d95f02", markersize=3, alpha=0.8)
    axes.set_yticks(ys)
    axes.set_yticklabels(keys, fontsize=8)
    axes.set_xlabel("value (bar: mean over seeds, line: 95% CI, dots: seeds)")
    axes.grid(axis="x", alpha=0.3)
    _save(figure, path)
    shown = "" if len(aggregate) <= MAX_METRICS else f" (first {MAX_METRICS} of {len(aggregate)})"
    return (f"Reproduced metrics of the canonical run{shown}: mean over {len(per_seed)} seed(s) with the "
            "95% confidence interval and each seed's value.")


def leaderboard_figures(board: Leaderboard, folder: Path) -> list[tuple[str, str]]:
    """One PNG per (attack, metric) in `folder`; returns (file name, caption) pairs in page order."""
    out = []
    for index, (attack, metric) in enumerate(sorted({(r.attack, r.metric) for r in board.rows})):
        rows = [r for r in board.rows if r.attack == attack and r.metric == metric]
        figure = _figure(6.5, 4.0)
        figure.subplots_adjust(left=0.13, right=0.97, top=0.92, bottom=0.13)
        axes = figure.add_subplot(1, 1, 1)
        for model in sorted({r.model for r in rows}):
            points = sorted((r for r in rows if r.model == model), key=lambda r: r.strength)
            xs = [r.strength for r in points]
            axes.plot(xs, [r.mean for r in points], marker="o", label=model)
            if all(r.ci_low is not None and r.ci_high is not None for r in points):
                axes.fill_between(xs, [r.ci_low for r in points], [r.ci_high for r in points], alpha=0.2)
        axes.set_xlabel(f"{attack} strength")
        axes.set_ylabel(metric)
        axes.set_title(f"{metric} under {attack}")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
        name = f"leaderboard-{index}.png"
        _save(figure, folder / name)
        out.append((name, f"{metric} against {attack} strength, a line per model (band: 95% CI)."))
    return out


def copy_record_figures(record: RunRecord, folder: Path) -> list[tuple[str, str]]:
    """Copy the figures a notebook saved beside its record into `folder`; (file name, caption) pairs."""
    out = []
    for figure in record.data.get("figures", []):
        source = record.folder / figure["path"]
        if not source.is_file():
            raise FileNotFoundError(f"record {record.record.path}: figure {figure['name']!r} lists "
                                    f"{figure['path']}, which does not exist")
        name = f"{figure['name']}{source.suffix or '.png'}"
        write_bytes_atomic(folder / name, source.read_bytes())
        out.append((name, figure["caption"] or figure["name"]))
    return out
