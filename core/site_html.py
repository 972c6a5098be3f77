"""Small HTML helpers for the book's generated pages: escaping, badges, links, compact tables.

Generated pages embed raw HTML blocks in MyST Markdown; a raw block ends at a blank line, so every helper
here returns HTML without blank lines.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping


def esc(text: object) -> str:
    """`text` as HTML-escaped text (quotes included, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    """A CSS-class-safe form of a vocabulary term or status, e.g. "claims-hold" or "not-comparable"."""
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part) or "none"


def badge(text: str, kind: str) -> str:
    """A coloured badge, e.g. the reproduction status of a work or the verdict of a claim."""
    return (f'<span class="advrec-badge advrec-{kind}-{slug(text)}" data-{kind}="{esc(text)}">'
            f"{esc(text)}</span>")


def link(href: str, text: str, css: str = "") -> str:
    """An `<a>` element with escaped text; `css` adds a class."""
    cls = f' class="{esc(css)}"' if css else ""
    return f'<a href="{esc(href)}"{cls}>{esc(text)}</a>'


def attrs(values: Mapping[str, object]) -> str:
    """HTML attributes from a mapping (None values dropped), with a leading space when not empty."""
    parts = [f'{key}="{esc(value)}"' for key, value in values.items() if value is not None]
    return (" " + " ".join(parts)) if parts else ""


def simple_table(headers: Iterable[str], rows: Iterable[Iterable[str]], css: str = "advrec-table",
                 table_id: str | None = None) -> str:
    """A table whose header cells are escaped text and whose body cells are HTML already."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<table{attrs({"class": css, "id": table_id})}>\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table>")


def kv_table(rows: Iterable[tuple[str, str]], css: str = "") -> str:
    """A two-column table of (escaped label, HTML value) rows, e.g. a work's taxonomy or provenance."""
    body = "".join(f'<tr><th scope="row">{esc(key)}</th><td>{value}</td></tr>' for key, value in rows)
    return f'<table class="advrec-table advrec-kv{" " + css if css else ""}"><tbody>{body}</tbody></table>'


def raw_block(markup: str) -> str:
    """`markup` made safe as one raw HTML block in Markdown: blank lines removed, wrapped in a div."""
    lines = [line for line in markup.splitlines() if line.strip()]
    return '<div class="advrec-raw">\n' + "\n".join(lines) + "\n</div>\n"
