"""The book's generated pages as MyST Markdown: a page per work, the dashboard, the leaderboard, counts.

Text that comes from the catalog or the records goes into raw HTML blocks (escaped), so that no `$`, `*`
or `<` in a paper's statement can turn into math or markup; headings and the BibTeX block stay Markdown
so that they show in the page's outline and get a copy button.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from advrec.catalog import STATUSES
from advrec.site_html import attrs, badge, esc, kv_table, link, raw_block, simple_table
from advrec.site_records import (
    DASH,
    Leaderboard,
    RunRecord,
    estimate,
    fmt,
    headline,
    status_of,
    verdict_counts,
)

OPEN_ROWS = 8
VERDICT_ORDER = ("holds", "fails", "inconclusive", "not-comparable", "not-checked")
TAXONOMY_LABELS = {
    "objective": "Objective", "attack": "Attack model", "defense": "Defense model",
    "granularity": "Attack granularity", "rec_class": "Rec. class", "predictor": "Predictor",
    "loss": "Loss", "preference": "Preference type", "metrics": "Evaluation metrics", "domains": "Domains",
    "datasets": "Datasets", "category": "Category", "generator": "Generator (G)",
    "discriminator": "Discriminator (D)", "training": "Training", "sampling": "Sampling strategy (Table 4)",
}
BUDGET_LABELS = {"epsilon": "ε", "norm": "norm", "fake_profile_share": "fake-profile share",
                 "filler_size": "filler size", "iterations": "iterations", "step_size": "step size",
                 "other": "other"}


@dataclass(frozen=True)
class Figure:
    """An image placed in the build folder, by its path relative to the page that shows it."""

    src: str
    caption: str


@dataclass
class WorkAssets:
    """What a work page links to besides its record: figures and the executed notebook's page."""

    figures: list[Figure] = field(default_factory=list)
    notebook_doc: str | None = None


def md_text(text: object) -> str:
    """Plain text safe in a Markdown heading or paragraph: every punctuation with a meaning escaped."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~^=])", r"\\\1", str(text))


def work_title(work: Any) -> str:
    """A work's page title, as in the navigation: its survey name."""
    return str(work.name)


def work_page(work: Any, record: RunRecord | None, vocabulary: Mapping[str, Any], assets: WorkAssets) -> str:
    """The Markdown page of one work: bibliography, taxonomy, threat model, claims with verdicts,
    reproduced metrics, reproduction notes, re-run command, provenance and the executed notebook."""
    parts = [f"({work.id})=\n# {md_text(work_title(work))}\n",
             raw_block(f'<p class="advrec-title"><strong>{esc(work.title)}</strong> ({esc(work.authors)}, '
                       f"{work.year})</p>\n" + _summary(work, record))]
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", work.bibtex)), default=0))
    parts += ["## Bibliography\n", raw_block(_bibliography(work)),
              "BibTeX, to copy:\n", f"{fence}bibtex\n{work.bibtex.strip()}\n{fence}\n"]
    parts += ["## Taxonomy\n", raw_block(_taxonomy(work, vocabulary))]
    if work.threat_model:
        parts += ["## Threat model\n", raw_block(_threat_model(work.threat_model))]
    parts += ["## Claims\n"]
    datasets = dataset_names(vocabulary)
    if not work.claims:
        parts.append(raw_block("<p>The catalog records no claim for this work.</p>"))
    for claim in work.claims:
        verdict = record.verdicts.get(claim["id"]) if record else None
        parts += [f"### Claim {md_text(claim['id'])}\n", raw_block(_claim(claim, verdict, record, datasets))]
    parts += ["## Reproduced metrics\n", raw_block(_metrics(record))]
    parts += [figure_block(figure.src, figure.caption, "90%") for figure in assets.figures]
    parts += ["## Reproduction\n", raw_block(_reproduction(work, record))]
    parts += ["## Re-run it\n", *_rerun(work, record)]
    parts += ["## Provenance\n", raw_block(_provenance(record))]
    parts += ["## Executed notebook\n"]
    if assets.notebook_doc:
        parts.append(f"The canonical run's executed notebook (inputs collapsed): "
                     f"[{md_text(work.name)}, executed notebook]({assets.notebook_doc}).\n")
    else:
        parts.append(raw_block(f"<p>{_not_run(record)}</p>"))
    return "\n".join(parts)


def figure_block(src: str, caption: str, width: str) -> str:
    """A MyST figure directive (Sphinx copies the image into the site)."""
    alt = " ".join(caption.split())
    return f"```{{figure}} {src}\n:alt: {alt}\n:width: {width}\n\n{md_text(caption)}\n```\n"


def _not_run(record: RunRecord | None) -> str:
    if record is None:
        return "Not yet run: no canonical record in <code>results/</code>."
    return "The canonical record has no executed notebook beside it."


def _summary(work: Any, record: RunRecord | None) -> str:
    rows = work.survey["rows"]
    where = (f"Table 2 row {rows['table2']}, Table 3 row {rows['table3']}" if work.table == 2
             else f"Table 5 row {rows['table5']}")
    refs = ", ".join(str(r) for r in work.survey["refs"])
    table_href = "../table2.html" if work.table == 2 else "../table5.html"
    status = status_of(work, record)
    return (f'<p class="advrec-summary" data-work="{esc(work.id)}">Status: {badge(status, "status")} · '
            f"Survey: {link(table_href, where)}, reference [{esc(refs)}] · "
            f'Section {esc(work.survey["section"])}</p>\n<p>Headline reproduced metric: '
            f'<span class="advrec-headline">{esc(headline(record))}</span></p>')


def _bibliography(work: Any) -> str:
    rows = [("Authors", esc(work.authors)), ("Year", str(work.year)), ("Title", esc(work.title)),
            ("Printed reference", esc(work.survey["reference"])),
            ("BibTeX key", f"<code>{esc(work.bibkey)}</code>"),
            ("Official code", link(work.code, work.code) if work.code else "none known")]
    notes = work.survey.get("notes") or []
    extra = ""
    if notes:
        items = "".join(f"<li>{esc(note)}</li>" for note in notes)
        extra = f'<p>Notes on the survey\'s own text:</p><ul class="advrec-notes">{items}</ul>'
    return kv_table(rows) + extra


def _taxonomy(work: Any, vocabulary: Mapping[str, Any]) -> str:
    fields = vocabulary.get("fields", {})
    rows = []
    for key, value in work.taxonomy.items():
        terms = value if isinstance(value, list) else [value]
        spec = fields.get(key, {}).get("terms", {})
        shown = ", ".join(
            f'<span title="{esc((spec.get(t) or {}).get("description", ""))}">'
            f'{esc((spec.get(t) or {}).get("label", t))}</span>' for t in terms) or DASH
        rows.append((TAXONOMY_LABELS.get(key, key), shown))
    return kv_table(rows)


def _threat_model(threat: Mapping[str, Any]) -> str:
    budget = threat.get("budget") or {}
    budget_text = "; ".join(f"{esc(BUDGET_LABELS.get(k, k))}: {esc(v)}" for k, v in budget.items()) or DASH
    return kv_table([("Knowledge", esc(threat.get("knowledge", DASH))),
                     ("Capability", esc(threat.get("capability", DASH))),
                     ("Budget", budget_text), ("Goal", esc(threat.get("goal", DASH)))])


def _claim(claim: Mapping[str, Any], verdict: Mapping[str, Any] | None, record: RunRecord | None,
           datasets: Mapping[str, str]) -> str:
    lines = [f'<blockquote class="advrec-statement">{esc(claim["statement"])}</blockquote>',
             f"<p>Source: {esc(claim['source'])} · kind: {esc(claim['kind'])}</p>"]
    if verdict is None:
        if record is None:
            reason = "not yet run"
        elif not record.record.ok:
            reason = "the canonical run did not complete"
        else:
            reason = "the record has no verdict for this claim"
        lines.append(f'<p class="advrec-verdict" data-claim="{esc(claim["id"])}">Verdict: '
                     f"{badge('not-checked' if record else 'pending', 'verdict')} ({reason})</p>")
    else:
        lines.append(f'<p class="advrec-verdict" data-claim="{esc(claim["id"])}">Verdict: '
                     f"{badge(verdict['verdict'], 'verdict')} {esc(verdict['explanation'])}</p>")
        numbers = verdict.get("numbers") or {}
        if numbers:
            lines.append(kv_table(((k, f'<span class="advrec-number">{esc(fmt(v))}</span>')
                                   for k, v in numbers.items()), css="advrec-numbers"))
    reported = claim.get("reported") or []
    if reported:
        headers = ["Dataset", "Protocol", "Metric", "Model", "Reported", "Reproduced (mean ± 95% CI)",
                   "Paper's table", "Note"]
        rows = []
        for value in reported:
            metric = value["metric"] + (f"@{value['k']}" if value.get("k") is not None else "")
            rows.append([esc(value["dataset"]), esc(value.get("protocol") or DASH), esc(metric),
                         esc(value.get("model") or DASH),
                         f'<span class="advrec-number advrec-reported">{esc(value["value"])}</span>',
                         _matching_reproduced(value, record, datasets), esc(value.get("table") or DASH),
                         esc(value.get("note") or "")])
        table = simple_table(headers, rows, css="advrec-table advrec-reported")
        opened = " open" if len(rows) <= OPEN_ROWS else ""
        lines.append(f'<details class="advrec-reported-values"{opened}><summary>{len(rows)} value(s) printed '
                     "in the paper, beside the reproduced value of the same model, metric and dataset where "
                     f"the canonical run measured it</summary>{table}</details>")
    return "\n".join(lines)


def _norm(text: object) -> str:
    return re.sub(r"[^a-z0-9@.]", "", str(text).lower())


def dataset_names(vocabulary: Mapping[str, Any]) -> dict[str, str]:
    """Normalised dataset name or alias -> normalised canonical name, from the vocabulary's dataset_names."""
    names: dict[str, str] = {}
    for canonical, spec in (vocabulary.get("dataset_names") or {}).items():
        for alias in [canonical, *((spec or {}).get("aliases") or [])]:
            names.setdefault(_norm(alias), _norm(canonical))
    return names


def _matching_reproduced(reported: Mapping[str, Any], record: RunRecord | None,
                         datasets: Mapping[str, str]) -> str:
    """The record's aggregate for the same model, metric@k and dataset as a reported value, else "—".

    Record keys are "<model>/<metric>@<k>", optionally prefixed by "<dataset>/"; without a prefix the
    record's own dataset (provenance) must be the reported one. Names compare case- and
    punctuation-insensitively, datasets through the vocabulary's aliases.
    """
    if record is None:
        return DASH

    def same_dataset(a: str, b: str) -> bool:
        return bool(a) and datasets.get(_norm(a), _norm(a)) == datasets.get(_norm(b), _norm(b))

    metric = _norm(reported["metric"] + (f"@{reported['k']}" if reported.get("k") is not None else ""))
    model = _norm(reported.get("model") or "")
    run_dataset = ((record.record.provenance.get("dataset") or {}).get("name")) or ""
    for key, agg in record.record.aggregate.items():
        parts = key.split("/")
        if _norm(parts[-1]) != metric:
            continue
        if len(parts) == 3:
            found = same_dataset(parts[0], reported["dataset"]) and _norm(parts[1]) == model
        else:
            found = (len(parts) == 2 and _norm(parts[0]) == model
                     and same_dataset(run_dataset, reported["dataset"]))
        if found:
            return f'<span class="advrec-number advrec-reproduced">{esc(estimate(agg))}</span>'
    return DASH


def _metrics(record: RunRecord | None) -> str:
    if record is None:
        return "<p>Not yet run: no canonical record.</p>"
    rec = record.record
    if not rec.ok:
        return (f'<p class="advrec-error">The canonical run {esc(rec.outcome)}: '
                f'<code>{esc(rec.error or "")}</code></p>')
    aggregate = rec.aggregate
    if not aggregate:
        return "<p>The canonical record holds no metric.</p>"
    per_seed = rec.per_seed
    seeds = sorted(per_seed)
    headers = ["Metric", "Mean ± 95% CI", "n", *[f"seed {s}" for s in seeds]]
    rows = []
    for key, agg in aggregate.items():
        value = esc(estimate(agg))
        cells = [f"<code>{esc(key)}</code>",
                 f'<span class="advrec-number advrec-reproduced" data-metric="{esc(key)}">{value}</span>',
                 str(agg["n"])]
        cells += [esc(fmt(per_seed[s].get(key))) for s in seeds]
        rows.append(cells)
    return simple_table(headers, rows, css="advrec-table advrec-metrics")


def _reproduction(work: Any, record: RunRecord | None) -> str:
    repro = work.reproduction
    deviations = repro.get("deviations") or []
    dev = "".join(f"<li>{esc(d)}</li>" for d in deviations)
    dev = f"<ul>{dev}</ul>" if dev else "none stated"
    rows = [("Status", badge(status_of(work, record), "status")),
            ("Catalog status", esc(repro["status"])),
            ("Notebook", f"<code>{esc(repro['notebook'])}</code>"),
            ("Datasets", esc(", ".join(repro.get("datasets") or []) or DASH)),
            ("Protocol", esc(repro.get("protocol") or DASH)),
            ("Deviations from the paper", dev)]
    if repro.get("reason"):
        rows.append(("Why not executable", esc(repro["reason"])))
    return kv_table(rows)


def rerun_command(work_id: str, parameters: Mapping[str, Any] | None = None) -> str:
    """The shell command that re-runs a work, with `-p key value` for each of `parameters`
    (values as JSON, shell-quoted)."""
    words = ["advrec", "run", work_id]
    for key, value in (parameters or {}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        words += ["-p", key, text]
    return " ".join(shlex.quote(w) for w in words)


def _rerun(work: Any, record: RunRecord | None) -> list[str]:
    out = ["With the notebook's defaults:\n", f"```bash\n{rerun_command(work.id)}\n```\n"]
    if record is not None:
        out += ["With exactly the parameters of the canonical record:\n",
                f"```bash\n{rerun_command(work.id, record.record.parameters)}\n```\n"]
    return out


def _provenance(record: RunRecord | None) -> str:
    if record is None:
        return "<p>Not yet run: no canonical record.</p>"
    prov = record.record.provenance
    git = prov.get("git") or {}
    dataset = prov.get("dataset") or {}
    packages = ", ".join(f"{k} {v}" for k, v in (prov.get("packages") or {}).items() if v) or DASH
    rows = [
        ("Git commit", f"<code>{esc(git.get('commit') or DASH)}</code>"
                       + (" (uncommitted changes)" if git.get("dirty") else "")),
        ("Packages", esc(packages)),
        ("Python", esc(prov.get("python", DASH))), ("OS", esc(prov.get("os", DASH))),
        ("CPU", esc(f"{prov.get('cpu', DASH)} ({prov.get('cpu_count') or '?'} cores)")),
        ("GPU", esc(prov.get("gpu") or "none")),
        ("Parameters", f"<code>{esc(json.dumps(prov.get('parameters', {}), sort_keys=True))}</code>"),
        ("Parameter hash", f"<code>{esc(prov.get('param_hash', DASH))}</code>"),
        ("Dataset", esc(dataset.get("name") or DASH)),
        ("Dataset checksum", f"<code>{esc(dataset.get('checksum') or DASH)}</code>"),
        ("Split fingerprint", f"<code>{esc(dataset.get('split_fingerprint') or DASH)}</code>"),
        ("Seeds", esc(", ".join(str(s) for s in prov.get("seeds", [])) or DASH)),
        ("Start time", esc(prov.get("start_time", DASH))),
        ("Wall time", esc(duration(prov.get("wall_time_s")))),
        ("Peak memory", esc(f"{prov['peak_memory_mb']:.0f} MiB" if prov.get("peak_memory_mb") else DASH)),
        ("Cache key", f"<code>{esc(record.data.get('cache_key') or DASH)}</code>"),
    ]
    return kv_table(rows, css="advrec-provenance")


def duration(seconds: float | None) -> str:
    """A wall time as "1 h 02 min", "3 min 05 s" or "12.3 s"."""
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def counts_page(works: Sequence[Any], records: Mapping[str, RunRecord]) -> str:
    """The home page's headline counts: works by status (every catalog status, zeros included, then any
    other such as a failed run) and claims by verdict (Markdown include)."""
    statuses: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for work in works:
        status = status_of(work, records.get(work.id))
        statuses[status] = statuses.get(status, 0) + 1
    verdicts = verdict_counts(records)
    unrun = sum(len(w.claims) for w in works if w.id not in records)
    status_rows = [[badge(s, "status"), f'<span class="advrec-count">{n}</span>']
                   for s, n in statuses.items()]
    verdict_rows = [[badge(v, "verdict"), f'<span class="advrec-count">{verdicts.get(v, 0)}</span>']
                    for v in VERDICT_ORDER]
    verdict_rows.append([badge("not yet run", "verdict"), f'<span class="advrec-count">{unrun}</span>'])
    total_claims = sum(len(w.claims) for w in works)
    html = (f"<p>{len(works)} works, {len(records)} with a canonical record; {total_claims} claims.</p>\n"
            + simple_table(["Works by status", "Count"], status_rows, table_id="counts-status")
            + "\n" + simple_table(["Claims by verdict", "Count"], verdict_rows, table_id="counts-verdict"))
    return raw_block(html)


def dashboard_page(works: Sequence[Any], records: Mapping[str, RunRecord],
                   vocabulary: Mapping[str, Any]) -> str:
    """The reproduction dashboard: every work with status, verdicts, last run and run time; the table is
    sorted by clicking a header and filtered by text, status and table (advrec.js)."""
    statuses = sorted({status_of(w, records.get(w.id)) for w in works})
    options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in statuses)
    controls = (
        '<div class="advrec-controls" data-table="dashboard">'
        '<label>Filter <input type="search" class="advrec-filter-text" id="dashboard-filter" '
        'placeholder="name, title, dataset…"></label> '
        '<label>Status <select class="advrec-filter-select" id="dashboard-status" data-column="status">'
        f'<option value="">all</option>{options}</select></label> '
        '<label>Table <select class="advrec-filter-select" id="dashboard-table" data-column="table">'
        '<option value="">all</option><option value="2">2 (attack/defense)</option>'
        '<option value="5">5 (GAN)</option></select></label> '
        '<span class="advrec-filter-count" id="dashboard-count"></span></div>'
    )
    headers = [("Work", "text"), ("Title", "text"), ("Table", "number"), ("Group", "text"),
               ("Status", "text"), ("Claims", "number"), *[(v, "number") for v in VERDICT_ORDER],
               ("Last run", "text"), ("Run time", "number"), ("Headline reproduced metric", "text")]
    head = "".join(f'<th data-sort="{kind}" tabindex="0">{esc(h)}</th>' for h, kind in headers)
    body = []
    for work in works:
        record = records.get(work.id)
        status = status_of(work, record)
        counts: dict[str, int] = {}
        for claim in (record.record.claims if record else []):
            counts[claim["verdict"]] = counts.get(claim["verdict"], 0) + 1
        prov = record.record.provenance if record else {}
        start, wall = prov.get("start_time"), prov.get("wall_time_s")
        group = work.taxonomy.get("objective") or work.taxonomy.get("category") or ""
        group_label = ((vocabulary.get("fields", {}).get("objective" if work.table == 2 else "category", {})
                        .get("terms", {}).get(group) or {}).get("label", group))
        cells = [
            f'<td data-value="{esc(work.name.lower())}">'
            f'{link(f"works/{work.id}.html", work.name, "advrec-work-link")}</td>',
            f"<td>{esc(work.title)}</td>",
            f'<td data-value="{work.table}">{work.table}</td>',
            f"<td>{esc(group_label)}</td>",
            f'<td data-value="{esc(status)}">{badge(status, "status")}</td>',
            f'<td data-value="{len(work.claims)}">{len(work.claims)}</td>',
            *[f'<td data-value="{counts.get(v, 0)}">{counts.get(v, 0) if record else DASH}</td>'
              for v in VERDICT_ORDER],
            f'<td data-value="{esc(start or "")}">{esc(_short_time(start) if start else "not yet run")}</td>',
            f'<td data-value="{wall if wall is not None else -1}">{esc(duration(wall))}</td>',
            f"<td>{esc(headline(record))}</td>",
        ]
        row_attrs = attrs({"class": "advrec-work-row", "data-work": work.id, "data-status": status,
                           "data-table": work.table,
                           "data-search": " ".join([work.id, work.name, work.title, work.authors,
                                                    *map(str, work.taxonomy.get("datasets") or []),
                                                    group_label]).lower()})
        body.append(f"<tr{row_attrs}>" + "".join(cells) + "</tr>")
    table = (f'<table class="advrec-table advrec-sortable" id="dashboard">\n<thead><tr>{head}</tr></thead>\n'
             "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>")
    return raw_block(controls + "\n" + table)


def _short_time(iso: str) -> str:
    match = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", iso)
    return f"{match.group(1)} {match.group(2)}" if match else iso


def leaderboard_tables(board: Leaderboard) -> str:
    """One table per (attack, metric): models as rows, attack strengths as columns, mean ± 95% CI."""
    blocks = []
    for attack, metric in sorted({(r.attack, r.metric) for r in board.rows}):
        rows = [r for r in board.rows if r.attack == attack and r.metric == metric]
        strengths = sorted({r.strength for r in rows})
        models = sorted({r.model for r in rows})
        cell = {(r.model, r.strength): r for r in rows}
        body = []
        for model in models:
            values = []
            for s in strengths:
                r = cell.get((model, s))
                values.append(DASH if r is None else esc(estimate({"mean": r.mean, "lo": r.ci_low,
                                                                    "hi": r.ci_high, "n": r.n or 1})))
            body.append([esc(model), *values])
        blocks.append(f"<h3>{esc(attack)}: {esc(metric)}</h3>" + simple_table(
            ["Model", *[f"strength {fmt(s)}" for s in strengths]], body,
            css="advrec-table advrec-leaderboard"))
    return raw_block("\n".join(blocks))
