"""Builds the book: pages generated from the catalog and the canonical records, then Jupyter Book 1 (Sphinx)
run offline into HTML.

`build_book()` copies the hand-written pages of book/ into a fresh source folder beside the output,
writes the generated pages there (survey Tables 2-5, a page per work with its executed notebook,
dashboard, leaderboard, figures, the table of contents), vendors MathJax from its npm package, and runs
Sphinx from a clean state in a child process. Nothing is fetched at build time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from advrec.results import repo_root, write_bytes_atomic
from advrec.site_figures import copy_record_figures, leaderboard_figures, metrics_figure
from advrec.site_html import raw_block
from advrec.site_pages import (
    Figure,
    WorkAssets,
    counts_page,
    dashboard_page,
    figure_block,
    leaderboard_tables,
    md_text,
    work_page,
    work_title,
)
from advrec.site_records import Leaderboard, RunRecord, load_leaderboard, load_records, status_of
from advrec.site_tables import TableContext, table2, table3, table4, table5

BOOK_DIR = repo_root() / "book"
RESULTS_DIR = repo_root() / "results"
MATHJAX_ENV = "ADVREC_MATHJAX"
MATHJAX_DEFAULT = BOOK_DIR / "_build" / "vendor" / "node_modules" / "mathjax" / "es5"
MATHJAX_INSTALL = "npm install --prefix book/_build/vendor --no-save --no-audit --no-fund mathjax@3.2.2"
# The parts of MathJax's es5 bundle that the tex-chtml component loads (fonts, TeX extensions, menu).
MATHJAX_PARTS = ("tex-chtml.js", "input", "output", "ui", "a11y", "adaptors")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HAND_WRITTEN_SKIP = ("_build", "generated", "_vendor", "_toc.yml")


class SiteBuildError(RuntimeError):
    """Sphinx failed; the message names the log file and quotes its last lines."""


@dataclass(frozen=True)
class BuildReport:
    """What a build produced: where, from how much, how long it took and Sphinx's warnings."""

    html_dir: Path
    source_dir: Path
    log: Path
    works: int
    records: int
    pages: int
    seconds: float
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Sources:
    """The generated source folder: its documents and how many works and records they were made from."""

    folder: Path
    documents: tuple[str, ...]
    works: int
    records: int


def mathjax_dir() -> Path:
    """MathJax 3's es5 folder: $ADVREC_MATHJAX, else the npm install under book/_build/vendor."""
    path = Path(os.environ.get(MATHJAX_ENV) or MATHJAX_DEFAULT)
    if path.is_file():
        path = path.parent
    if not (path / "tex-chtml.js").is_file():
        raise FileNotFoundError(f"MathJax 3 not found at {path} (no tex-chtml.js); install it with "
                                f"`{MATHJAX_INSTALL}` from the repository root, or set ${MATHJAX_ENV} to "
                                "MathJax's es5 folder")
    return path


def generate(catalog: Any, records: Mapping[str, RunRecord], leaderboard: Leaderboard | None,
             folder: str | os.PathLike[str], *, book_dir: str | os.PathLike[str] = BOOK_DIR,
             mathjax: str | os.PathLike[str] | None = None) -> Sources:
    """Write the book's source into `folder` (emptied first): book/'s hand-written pages, the generated
    pages, figures, executed notebooks, vendored MathJax and `_toc.yml`."""
    folder = Path(folder)
    book_dir = Path(book_dir)
    if not (book_dir / "_config.yml").is_file():
        raise FileNotFoundError(f"book folder {book_dir} has no _config.yml")
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(book_dir, folder, ignore=shutil.ignore_patterns(*HAND_WRITTEN_SKIP))
    _vendor_mathjax(Path(mathjax) if mathjax else mathjax_dir(), folder / "_vendor" / "_static" / "mathjax")
    works = list(catalog)
    ctx = TableContext(catalog.vocabulary, records, lambda work_id: f"works/{work_id}.html")
    table_md = TableContext(catalog.vocabulary, records, lambda work_id: f"works/{work_id}.md")
    captions = _captions(catalog.vocabulary)
    pages: dict[str, str] = {
        "generated/counts": counts_page(works, records),
        "table2": _table_page("table2", captions["table2"], table2(works, ctx), _TABLE23_NOTE),
        "table3": _table_page("table3", captions["table3"], table3(works, ctx), _TABLE23_NOTE),
        "table4": _table_page("table4", captions["table4"], table4(works, table_md), _TABLE4_NOTE),
        "table5": _table_page("table5", captions["table5"], table5(works, ctx), _TABLE5_NOTE),
        "dashboard": WIDE_PAGE + _DASHBOARD_HEAD + dashboard_page(works, records, catalog.vocabulary),
        "leaderboard": _leaderboard_page(leaderboard, folder / "figures"),
        "works/index": _works_index(works, records),
    }
    notebooks: dict[str, str] = {}
    for work in works:
        record = records.get(work.id)
        assets = WorkAssets()
        if record is not None:
            assets.figures = _work_figures(work.id, record, folder / "figures" / work.id)
            notebook = record.record.notebook_path
            if notebook is not None and notebook.is_file():
                prepare_notebook(notebook, folder / "notebooks" / f"{work.id}.ipynb",
                                 f"{work.name}: executed canonical notebook")
                notebooks[work.id] = f"notebooks/{work.id}"
                assets.notebook_doc = f"../notebooks/{work.id}.ipynb"
        pages[f"works/{work.id}"] = ORPHAN + work_page(work, record, catalog.vocabulary, assets)
    for name, text in pages.items():
        _write_text(folder / f"{name}.md", text)
    toc = _toc()
    _write_text(folder / "_toc.yml", yaml.safe_dump(toc, sort_keys=False, allow_unicode=True))
    documents = ("intro", "table2", "table3", "table4", "table5", "dashboard", "leaderboard", "works/index",
                 *(doc for work in works for doc in (f"works/{work.id}", notebooks.get(work.id)) if doc))
    return Sources(folder, documents, len(works), len(records))


def build_book(catalog_dir: str | os.PathLike[str] | None = None,
               results_dir: str | os.PathLike[str] | None = None,
               out_dir: str | os.PathLike[str] | None = None, *,
               book_dir: str | os.PathLike[str] = BOOK_DIR,
               mathjax: str | os.PathLike[str] | None = None, timeout: float = 900) -> BuildReport:
    """Generate the pages and build the HTML site (default: book/_build/html), fresh every time.

    The source goes to `<out>-src` and Sphinx's doctrees to `<out>-doctrees`, both rebuilt from scratch,
    so a changed record always shows; the previous site is replaced only once the pages are generated.
    Raises SiteBuildError when Sphinx fails.
    """
    from advrec.catalog import catalog as load_catalog

    start = time.perf_counter()
    out = Path(out_dir or Path(book_dir) / "_build" / "html").resolve()
    src = out.with_name(out.name + "-src")
    doctrees = out.with_name(out.name + "-doctrees")
    log = out.with_name(out.name + "-build.log")
    _check_output(out)
    cat = load_catalog(catalog_dir)
    results = Path(results_dir or RESULTS_DIR)
    records = load_records(results, [work.id for work in cat])
    sources = generate(cat, records, load_leaderboard(results), src, book_dir=book_dir, mathjax=mathjax)
    for stale in (out, doctrees):
        if stale.exists():
            shutil.rmtree(stale)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "advrec.site_sphinx", str(src), str(out), str(doctrees)]
    with open(log, "w", encoding="utf-8") as handle:
        try:
            done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout,
                                  env={**os.environ, "PYTHONHASHSEED": "0", "NO_COLOR": "1"}, check=False)
        except subprocess.TimeoutExpired:
            raise SiteBuildError(f"Sphinx did not finish within {timeout:g} s; see {log}") from None
    text = log.read_text(encoding="utf-8", errors="replace")
    if done.returncode != 0 or not (out / "index.html").is_file():
        tail = "\n".join(text.splitlines()[-30:])
        raise SiteBuildError(f"Sphinx failed (exit {done.returncode}); full log in {log}:\n{tail}")
    (out / ".advrec-book").write_text("built by advrec book build\n", encoding="utf-8")
    warnings = tuple(_ANSI.sub("", line) for line in text.splitlines()
                     if "WARNING" in line or "ERROR" in line)
    return BuildReport(out, src, log, sources.works, sources.records, len(sources.documents),
                       round(time.perf_counter() - start, 1), warnings)


def prepare_notebook(source: Path, target: Path, title: str) -> None:
    """Copy an executed notebook for the book: a title cell first, inputs collapsed (hide-input), the
    papermill injected-parameters cell removed (remove-cell), other level-1 headings demoted; an orphan
    page (outside the navigation, linked from its work page)."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    for cell in cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags:
            tags.append("remove-cell")
        elif cell.get("cell_type") == "code" and "hide-input" not in tags:
            tags.append("hide-input")
        if cell.get("cell_type") == "markdown":
            cell["source"] = _demote_h1("".join(cell.get("source", [])))
    title_cell = {"cell_type": "markdown", "metadata": {}, "source": f"# {md_text(title)}\n"}
    notebook["cells"] = [title_cell, *cells]
    notebook.setdefault("metadata", {})["orphan"] = True
    write_bytes_atomic(target, (json.dumps(notebook, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def _demote_h1(text: str) -> str:
    lines, fenced = [], False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        lines.append("#" + line if not fenced and line.startswith("# ") else line)
    return "".join(lines)


def _check_output(out: Path) -> None:
    """Refuse an output folder that holds files but is not a previous book build (it will be replaced)."""
    built = any((out / marker).exists() for marker in (".advrec-book", ".buildinfo"))
    if out.is_dir() and any(out.iterdir()) and not built:
        raise FileExistsError(f"--out {out} is a non-empty folder that is not a previous book build; "
                              "choose an empty or new folder")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} is a file; expected a folder")


def _vendor_mathjax(source: Path, target: Path) -> None:
    for part in MATHJAX_PARTS:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, target / part)
        elif path.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / part)


def _write_text(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def _work_figures(work_id: str, record: RunRecord, folder: Path) -> list[Figure]:
    figures = []
    caption = metrics_figure(record, folder / "metrics.png")
    if caption:
        figures.append(Figure(f"../figures/{work_id}/metrics.png", caption))
    for name, text in copy_record_figures(record, folder):
        figures.append(Figure(f"../figures/{work_id}/{name}", text))
    return figures


def _captions(vocabulary: Mapping[str, Any]) -> dict[str, str]:
    """Each table's caption as the survey prints it (the vocabulary's field captions, before " — ")."""
    fields = vocabulary.get("fields", {})

    def caption(field: str) -> str:
        return str(fields.get(field, {}).get("caption", "")).split(" — ")[0]

    return {"table2": caption("attack"), "table3": caption("metrics"), "table4": caption("sampling"),
            "table5": caption("generator")}


_TABLE23_NOTE = (
    "The survey prints one row for VAR [9, 10]; its two articles are two catalog entries (VAR [9] and "
    "VAR [10]), so this table has 23 rows, one per entry, for the survey's 22 printed rows. Status and "
    "headline metric come from each work's canonical record (\"—\" when there is none)."
)
_TABLE4_NOTE = "The formulas are as printed in the survey (including its surplus closing parenthesis)."
_TABLE5_NOTE = ("53 rows, under the survey's headings. Status and headline metric come from each work's "
                "canonical record (\"—\" when there is none).")
_DASHBOARD_HEAD = (
    "# Reproduction dashboard\n\nEvery work of the catalog with the status of its canonical run, the "
    "verdicts of its claims, when it last ran and how long it took. Click a column header to sort; type "
    "in the filter box or pick a status or table to filter.\n\n"
)


_TABLE_TITLES = {"table2": "Table 2: attack and defense approaches",
                 "table3": "Table 3: their evaluation",
                 "table4": "Table 4: sampling strategies of CF-GANs",
                 "table5": "Table 5: GAN-based recommenders"}
WIDE_PAGE = "---\nhtml_theme.sidebar_secondary.remove: true\n---\n"
ORPHAN = "---\norphan: true\n---\n"


def _table_page(name: str, caption: str, body: str, note: str) -> str:
    return (f"{WIDE_PAGE}({name})=\n# {md_text(_TABLE_TITLES[name])}\n\n"
            f"The survey's caption: *{md_text(caption)}*\n\n{body}\n{md_text(note)}\n")


def _leaderboard_page(board: Leaderboard | None, figures: Path) -> str:
    head = ("# Robustness leaderboard\n\nEvery implemented model under the same attacks (FGSM and iterative "
            "perturbations at several ε, poisoning at several budgets) on the same dataset and protocol.\n\n")
    if board is None or not board.rows:
        return head + raw_block('<p class="advrec-empty" id="leaderboard-empty">No leaderboard run yet: '
                                "<code>results/leaderboard/record.json</code> does not exist.</p>")
    where = f"Dataset: {board.dataset or 'not stated'}; protocol: {board.protocol or 'not stated'}."
    parts = [head, md_text(where) + "\n"]
    for name, caption in leaderboard_figures(board, figures):
        parts.append(figure_block(f"figures/{name}", caption, "80%"))
    parts.append(leaderboard_tables(board))
    return "\n".join(parts)


def _works_index(works: Sequence[Any], records: Mapping[str, RunRecord]) -> str:
    lines = ["# Works\n", "One page per catalog entry, in the survey's order (Table 2 rows, then Table 5).\n"]
    for table in (2, 5):
        heading = "Attacks and defenses (Tables 2 and 3)" if table == 2 else "GAN-based (Table 5)"
        lines.append(f"## {heading}\n")
        for work in (w for w in works if w.table == table):
            status = status_of(work, records.get(work.id))
            lines.append(f"- [{md_text(work_title(work))}]({work.id}.md): {md_text(work.title)} "
                         f"({md_text(work.authors)}, {work.year}; {md_text(status)})")
        lines.append("")
    return "\n".join(lines)


def _toc() -> dict[str, Any]:
    """The navigation: hand-written and summary pages. Work and notebook pages are orphans (linked from
    the tables, the dashboard and the works index) so that every page's sidebar stays small and fast."""
    return {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {"caption": "The survey's tables",
             "chapters": [{"file": "table2"}, {"file": "table3"}, {"file": "table4"}, {"file": "table5"}]},
            {"caption": "Reproductions", "chapters": [{"file": "dashboard"}, {"file": "leaderboard"}]},
            {"caption": "Works", "chapters": [{"file": "works/index"}]},
        ],
    }
