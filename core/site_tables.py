"""The survey's Tables 2, 3, 4 and 5 regenerated from the catalog as HTML for the book.

Same columns, column order and row grouping as the printed tables; each row links to its work page and
carries the work's reproduction status and headline reproduced metric. VAR's two articles ([9], [10]),
one printed row in Tables 2 and 3, are two rows here (one per catalog entry), as a note under the table says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advrec.site_html import attrs, badge, esc, link, raw_block
from advrec.site_records import RunRecord, headline, status_of

CHECK = "✓"

# Column groups of the printed tables, left to right: (taxonomy field, group header as printed).
TABLE2_GROUPS = (
    ("attack", "Attack model"), ("defense", "Defense model"), ("granularity", "Attack granularity"),
    ("rec_class", "Rec. class"), ("predictor", "Predictor"), ("loss", "Loss"),
)
TABLE3_GROUPS = (("preference", "Pref. type"), ("metrics", "Evaluation metric"))
TABLE5_GROUPS = (("generator", "Generator (G)"), ("discriminator", "Discriminator (D)"),
                 ("training", "Training"))


@dataclass(frozen=True)
class TableContext:
    """What every table row needs besides its work: the vocabulary, the records, where work pages live."""

    vocabulary: Mapping[str, Any]
    records: Mapping[str, RunRecord]
    work_href: Callable[[str], str]

    def terms(self, field: str) -> list[tuple[str, str]]:
        """(term, printed label) of a taxonomy field, in the vocabulary's (= the table's column) order."""
        spec = self.vocabulary.get("fields", {}).get(field, {}).get("terms", {})
        return [(term, str((info or {}).get("label", term))) for term, info in spec.items()]

    def label(self, field: str, term: str) -> str:
        """The printed label of one term (the term itself when the vocabulary has no label)."""
        spec = self.vocabulary.get("fields", {}).get(field, {}).get("terms", {}).get(term) or {}
        return str(spec.get("label", term))


def table2(works: Sequence[Any], ctx: TableContext) -> str:
    """Table 2 (classification of attack/defense approaches): rows grouped by objective, ✓ per term."""
    rows = sorted((w for w in works if w.table == 2), key=lambda w: (w.survey["rows"]["table2"], _ref(w)))
    groups = [(field, caption, ctx.terms(field)) for field, caption in TABLE2_GROUPS]
    return _checkmark_table("table2", rows, groups, [], ctx, group_of=lambda w: w.taxonomy["objective"],
                            group_field="objective")


def table3(works: Sequence[Any], ctx: TableContext) -> str:
    """Table 3 (evaluation and domain): pref. type and metric ✓ columns, then domain and datasets cells."""
    rows = sorted((w for w in works if w.table == 2), key=lambda w: (w.survey["rows"]["table3"], _ref(w)))
    groups = [(field, caption, ctx.terms(field)) for field, caption in TABLE3_GROUPS]
    text_columns = [
        ("Domain", lambda w: ", ".join(ctx.label("domains", d) for d in w.taxonomy["domains"])),
        ("Datasets", lambda w: ", ".join(ctx.label("datasets", d) for d in w.taxonomy["datasets"])),
    ]
    return _checkmark_table("table3", rows, groups, text_columns, ctx,
                            group_of=lambda w: w.taxonomy["objective"], group_field="objective")


def table5(works: Sequence[Any], ctx: TableContext) -> str:
    """Table 5 (GAN-based recommenders): rows under the survey's category headings, G/D/training ✓."""
    rows = sorted((w for w in works if w.table == 5), key=lambda w: (w.survey["rows"]["table5"], _ref(w)))
    groups = [(field, caption, ctx.terms(field)) for field, caption in TABLE5_GROUPS]
    return _checkmark_table("table5", rows, groups, [], ctx, group_of=lambda w: w.taxonomy["category"],
                            group_field="category")


def table4(works: Sequence[Any], ctx: TableContext) -> str:
    """Table 4 (key sampling strategies of CF-GANs) as Markdown: insight, formula, the works using each.

    The formula is MyST inline math; its `|` (conditioning bars) become `\\vert` so that they do not
    split the Markdown table's cells.
    """
    spec = ctx.vocabulary.get("fields", {}).get("sampling", {}).get("terms", {})
    lines = ["| Strategy | Key insight | Formal description | Used by |", "|---|---|---|---|"]
    for term, info in spec.items():
        info = info or {}
        users = [w for w in works if term in (w.taxonomy.get("sampling") or [])]
        used_by = ", ".join(f"[{_md(w.name)}]({ctx.work_href(w.id)})" for w in users) or "—"
        formula = str(info.get("formula", "")).replace("|", r"\vert ")
        math = f"${formula}$" if formula else ""
        label, insight = _md(info.get("label", term)), _md(info.get("description", ""))
        lines.append(f"| {label} | {insight} | {math} | {used_by} |")
    return "\n".join(lines) + "\n"


def _md(text: object) -> str:
    """Text safe inside a Markdown table cell (pipes, brackets and emphasis characters escaped)."""
    return re.sub(r"([|\[\]*_`\\<>])", r"\\\1", str(text))


def _ref(work: Any) -> int:
    return int(work.survey["refs"][0])


def _checkmark_table(table_id: str, works: list[Any], groups: list[tuple[str, str, list[tuple[str, str]]]],
                     text_columns: list[tuple[str, Callable[[Any], str]]], ctx: TableContext,
                     group_of: Callable[[Any], str], group_field: str) -> str:
    lead = ["Name", "Ref.", "Authors", "Year"]
    tail = ["Status", "Headline reproduced metric"]
    width = len(lead) + sum(len(terms) for _, _, terms in groups) + len(text_columns) + len(tail)
    top = "".join(f'<th rowspan="2">{esc(h)}</th>' for h in lead)
    top += "".join(f'<th colspan="{len(terms)}" class="advrec-colgroup">{esc(caption)}</th>'
                   for _, caption, terms in groups)
    top += "".join(f'<th rowspan="2">{esc(h)}</th>' for h, _ in text_columns)
    top += "".join(f'<th rowspan="2">{esc(h)}</th>' for h in tail)
    sub = "".join(f'<th class="advrec-term"{attrs({"data-term": term})}>{esc(label)}</th>'
                  for _, _, terms in groups for term, label in terms)
    body: list[str] = []
    previous: list[str] = []
    for work in works:
        heading = ctx.label(group_field, group_of(work)).split(" > ")
        for depth, title in enumerate(heading):
            if previous[: depth + 1] != heading[: depth + 1]:
                css = "advrec-group" if depth == 0 else "advrec-subgroup"
                body.append(f'<tr class="{css}"><th colspan="{width}">{esc(title)}</th></tr>')
        previous = heading
        body.append(_row(work, groups, text_columns, ctx))
    return raw_block(f'<table class="advrec-table advrec-survey-table" id="{table_id}">\n'
                     f"<thead><tr>{top}</tr><tr>{sub}</tr></thead>\n<tbody>\n" + "\n".join(body)
                     + "\n</tbody>\n</table>")


def _row(work: Any, groups: list[tuple[str, str, list[tuple[str, str]]]],
         text_columns: list[tuple[str, Callable[[Any], str]]], ctx: TableContext) -> str:
    record = ctx.records.get(work.id)
    refs = ", ".join(str(r) for r in work.survey["refs"])
    cells = [
        f'<th scope="row">{link(ctx.work_href(work.id), work.name, "advrec-work-link")}</th>',
        f"<td>[{esc(refs)}]</td>", f"<td>{esc(work.authors)}</td>", f"<td>{work.year}</td>",
    ]
    for field, _, terms in groups:
        value = work.taxonomy.get(field)
        chosen = set(value) if isinstance(value, list) else {value}
        cells.extend(f'<td class="advrec-check">{CHECK if term in chosen else ""}</td>' for term, _ in terms)
    cells.extend(f"<td>{esc(render(work))}</td>" for _, render in text_columns)
    cells.append(f"<td>{badge(status_of(work, record), 'status')}</td>")
    cells.append(f'<td class="advrec-headline">{esc(headline(record))}</td>')
    return f'<tr class="advrec-work-row"{attrs({"data-work": work.id})}>' + "".join(cells) + "</tr>"
