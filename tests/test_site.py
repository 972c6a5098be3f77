"""The book: generated tables, work pages, dashboard, leaderboard, and one offline Sphinx build per session.

Fixture records in tests/fixtures/results: APR (3 seeds on Yelp, claims-hold), CFGAN (a failed run) and a
leaderboard. APR's AMF (APR)/HR@100 per-seed values are 0.1820, 0.1836, 0.1846: mean 0.1834, sample sd
0.0013115, Student-t (2 df) 95% half-width 4.3027 * 0.0013115 / sqrt(3) = 0.0033.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from advrec.catalog import Catalog, catalog
from advrec.results import RecordError
from advrec.site import BuildReport, build_book, generate, mathjax_dir, prepare_notebook
from advrec.site_pages import WorkAssets, counts_page, dashboard_page, rerun_command, work_page
from advrec.site_records import estimate, load_leaderboard, load_records
from advrec.site_tables import TableContext, table2, table3, table5

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "results"
APR_HEADLINE = "AMF (APR)/HR@100 = 0.1834 ± 0.0033"


class Rows(HTMLParser):
    """Table rows of an HTML fragment: each row's attributes, cell texts and link targets."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append({"attrs": dict(attrs), "cells": [], "links": []})
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif tag == "a" and self.rows:
            self.rows[-1]["links"].append(dict(attrs)["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1]["cells"].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def works(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["attrs"].get("class") == "advrec-work-row"]

    def groups(self) -> list[str]:
        headings = ("advrec-group", "advrec-subgroup")
        return [r["cells"][0] for r in self.rows if r["attrs"].get("class") in headings]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return catalog()


@pytest.fixture(scope="module")
def records(cat: Catalog) -> dict[str, Any]:
    return load_records(FIXTURES, [w.id for w in cat])


def context(cat: Catalog, records: dict[str, Any]) -> TableContext:
    return TableContext(cat.vocabulary, records, lambda work_id: f"works/{work_id}.html")


def test_table2_one_row_per_entry_grouped_by_objective_and_linked(cat: Catalog) -> None:
    html = table2(list(cat), context(cat, {}))
    parsed = Rows(html)
    rows = parsed.works()
    assert len(rows) == 23
    assert parsed.groups() == ["Accuracy", "Privacy", "Bias, Fairness"]
    assert [r["cells"][0] for r in rows[:3]] == ["APR", "AMR", "FGACAE"]
    assert [r["cells"][0] for r in rows[15:17]] == ["VAR [9]", "VAR [10]"]
    for row in rows:
        assert row["links"] == [f"works/{row['attrs']['data-work']}.html"]
    # APR as printed: FGSM, Adv. Training, user + item embed, CF, Linear LFM, BPR; nothing else ticked.
    header = Rows(html).rows[1]["cells"]
    apr = rows[0]["cells"]
    ticked = [header[i - 4] for i, cell in enumerate(apr) if cell == "✓"]
    assert ticked == ["FGSM", "Adv. Training", "user embed", "item embed", "CF", "Linear LFM", "BPR"]
    assert apr[-2:] == [cat.get("apr").status, "—"]


def test_table3_follows_its_own_printed_row_order(cat: Catalog) -> None:
    rows = Rows(table3(list(cat), context(cat, {}))).works()
    assert len(rows) == 23
    assert [r["cells"][0] for r in rows[:4]] == ["APR", "ACAE", "FGACAE", "AMR"]
    apr = rows[0]["cells"]
    assert apr[-4:-2] == ["tourism, SM/SN", "YE, PI, GO"]


def test_table5_rows_under_the_survey_headings(cat: Catalog) -> None:
    parsed = Rows(table5(list(cat), context(cat, {})))
    rows = parsed.works()
    assert len(rows) == 53
    assert parsed.groups() == ["Collaborative Rec.", "Graph-based Collaborative Rec.",
                               "Hybrid Collaborative Rec.", "Context-aware Rec.", "Temporal-aware",
                               "Geographical-aware", "Cross-domain Rec.", "Fashion Rec."]
    assert rows[0]["cells"][:4] == ["IRGAN", "[150]", "Wang et al.", "2017"]
    # IRGAN: generator LFM, discriminator LFM, point- and pair-wise training: 4 ticks.
    assert rows[0]["cells"].count("✓") == 4
    assert rows[-1]["links"] == ["works/c-plus-gan.html"]


def test_tables_show_record_status_and_headline(cat: Catalog, records: dict[str, Any]) -> None:
    ctx = context(cat, records)
    rows = {r["attrs"]["data-work"]: r["cells"] for r in Rows(table2(list(cat), ctx)).works()}
    assert rows["apr"][-2:] == ["claims-hold", APR_HEADLINE]
    # A work without a record shows its catalog status and no number.
    assert rows["amr"][-2:] == [cat.get("amr").status, "—"]
    gan = {r["attrs"]["data-work"]: r["cells"] for r in Rows(table5(list(cat), ctx)).works()}
    assert gan["cfgan"][-2:] == ["run-failed", "—"]


def test_work_page_puts_record_numbers_beside_reported_ones(cat: Catalog, records: dict[str, Any]) -> None:
    page = work_page(cat.get("apr"), records["apr"], cat.vocabulary, WorkAssets())
    assert APR_HEADLINE in page
    assert 'data-metric="AMF (APR)/HR@100">0.1834 ± 0.0033<' in page
    rows = Rows(page).rows
    wanted = ["Yelp", "full ranking, leave-one-out", "HR@100", "AMF (APR)"]
    yelp_hr100 = [r["cells"] for r in rows if r["cells"][:4] == wanted]
    assert yelp_hr100 and all(cells[4:6] == ["0.1885", "0.1834 ± 0.0033"] for cells in yelp_hr100)
    # Pinterest was not run: the reported value stands alone.
    pinterest = [r["cells"] for r in rows if r["cells"][:1] == ["Pinterest"]]
    assert pinterest and all(cells[5] == "—" for cells in pinterest)
    verdicts = dict(re.findall(r'data-claim="(c\d)">Verdict: <span[^>]*data-verdict="([a-z-]+)"', page))
    assert verdicts == {"c1": "holds", "c2": "not-checked", "c3": "not-comparable", "c4": "not-checked",
                        "c5": "not-checked", "c6": "not-checked", "c7": "not-checked"}
    assert "advrec run apr -p profile default -p dataset yelp -p seeds '[0, 1, 2]' -p epsilon 0.5" in page
    assert "0123456789abcdef0123456789abcdef01234567" in page
    assert "12 min 34 s" in page


def test_pages_with_zero_records_say_not_yet_run(cat: Catalog) -> None:
    page = work_page(cat.get("apr"), None, cat.vocabulary, WorkAssets())
    assert "Not yet run" in page
    assert f'data-status="{cat.get("apr").status}"' in page
    assert "advrec run apr\n" in page
    counts = Rows(counts_page(list(cat), {})).rows
    by_label = {r["cells"][0]: r["cells"][1] for r in counts if len(r["cells"]) == 2}
    assert by_label["pending"] == str(sum(w.status == "pending" for w in cat))
    assert by_label["holds"] == "0"
    assert by_label["not yet run"] == str(sum(len(w.claims) for w in cat))


def test_dashboard_row_per_work_with_filter_attributes(cat: Catalog, records: dict[str, Any]) -> None:
    rows = Rows(dashboard_page(list(cat), records, cat.vocabulary)).works()
    assert len(rows) == 76
    apr = next(r for r in rows if r["attrs"]["data-work"] == "apr")
    assert apr["attrs"]["data-status"] == "claims-hold"
    assert apr["links"] == ["works/apr.html"]
    # holds, fails, inconclusive, not-comparable, not-checked; then last run, run time.
    assert apr["cells"][6:13] == ["1", "0", "0", "1", "1", "2025-11-20 10:00", "12 min 34 s"]
    amr = next(r for r in rows if r["attrs"]["data-work"] == "amr")
    assert amr["cells"][11] == "not yet run"


def test_rerun_command_quotes_values_for_the_shell() -> None:
    command = rerun_command("apr", {"epsilon": 0.5, "seeds": [0, 1], "dataset": "ml 1m", "fast": True})
    assert command == "advrec run apr -p epsilon 0.5 -p seeds '[0, 1]' -p dataset 'ml 1m' -p fast true"


def test_estimate_formats_mean_and_ci() -> None:
    assert estimate({"mean": 0.5, "lo": 0.4, "hi": 0.6, "n": 3}) == "0.5 ± 0.1"
    assert estimate({"mean": 0.5, "lo": 0.45, "hi": 0.6, "n": 3}) == "0.5 [0.45, 0.6]"
    assert estimate({"mean": 0.5, "lo": None, "hi": None, "n": 1}) == "0.5 (n=1, no CI)"


def test_leaderboard_rows_and_their_errors(tmp_path: Path) -> None:
    board = load_leaderboard(FIXTURES)
    assert board is not None and len(board.rows) == 10 and board.dataset == "MovieLens 1M"
    assert load_leaderboard(tmp_path) is None
    (tmp_path / "leaderboard").mkdir()
    (tmp_path / "leaderboard" / "record.json").write_text(json.dumps(
        {"rows": [{"model": "MF", "attack": "FGSM", "strength": 0.5, "metric": "HR@10", "mean": 0.5}]}))
    with pytest.raises(RecordError, match=r"rows\[0\]: missing field\(s\) ci_low, ci_high"):
        load_leaderboard(tmp_path)


def test_record_folder_must_match_its_work_id(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "apr", tmp_path / "amr")
    with pytest.raises(RecordError, match="'apr' differs from its folder name 'amr'"):
        load_records(tmp_path, ["amr"])


def test_prepare_notebook_hides_inputs_and_removes_injected_parameters(tmp_path: Path) -> None:
    target = tmp_path / "apr.ipynb"
    prepare_notebook(FIXTURES / "apr" / "apr.ipynb", target, "APR: executed canonical notebook")
    cells = json.loads(target.read_text())["cells"]
    assert cells[0]["source"] == "# APR: executed canonical notebook\n"
    assert cells[1]["source"].startswith("## APR: adversarial personalized ranking")
    tags = [c["metadata"].get("tags", []) for c in cells[2:]]
    assert tags == [["parameters", "hide-input"], ["injected-parameters", "remove-cell"], ["hide-input"]]


def test_generate_writes_pages_and_toc(tmp_path: Path, cat: Catalog, records: dict[str, Any]) -> None:
    sources = generate(cat, records, None, tmp_path / "src")
    src = sources.folder
    assert sources.works == 76 and sources.records == 2
    for name in ("intro", "table2", "table3", "table4", "table5", "dashboard", "leaderboard", "works/index"):
        assert (src / f"{name}.md").is_file(), name
    assert len(list((src / "works").glob("*.md"))) == 77
    assert (src / "notebooks" / "apr.ipynb").is_file()
    assert (src / "figures" / "apr" / "metrics.png").read_bytes()[:4] == b"\x89PNG"
    assert (src / "figures" / "apr" / "training-curve.png").is_file()
    assert "No leaderboard run yet" in (src / "leaderboard.md").read_text()
    # Work and notebook pages stay out of the navigation (orphans), which keeps every page's sidebar small.
    toc = (src / "_toc.yml").read_text()
    assert "file: works/index" in toc and "works/apr" not in toc and "notebooks/" not in toc
    assert (src / "works" / "apr.md").read_text().startswith("---\norphan: true\n---\n")
    assert json.loads((src / "notebooks" / "apr.ipynb").read_text())["metadata"]["orphan"] is True


def test_build_refuses_to_clear_a_folder_it_did_not_build(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a previous book build"):
        build_book(results_dir=FIXTURES, out_dir=tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_cli_has_book_build() -> None:
    from advrec.cli import build_parser

    args = build_parser().parse_args(["book", "build", "--results", "res", "--out", "site"])
    assert (args.catalog, args.results, args.out) == (None, "res", "site")
    assert args.func.__module__ == "advrec.site_commands"


def test_missing_mathjax_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVREC_MATHJAX", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="npm install --prefix book/_build/vendor"):
        mathjax_dir()


# -- the built site (one Sphinx build per session, shared with test_site_browser.py) ------------------------


def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """Build the site once per session from the real catalog and the fixture records."""
    global _BUILT
    if _BUILT is None:
        try:
            mathjax_dir()
        except FileNotFoundError as err:
            pytest.skip(f"MathJax is not vendored, the book cannot build: {err}")
        _BUILT = build_book(results_dir=FIXTURES, out_dir=tmp_path_factory.mktemp("book") / "html")
    return _BUILT


_BUILT: BuildReport | None = None


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    return built_site(tmp_path_factory)


def test_site_builds_every_page_without_warnings(site: BuildReport, cat: Catalog) -> None:
    html = site.html_dir
    assert site.warnings == ()
    for work in cat:
        assert (html / "works" / f"{work.id}.html").is_file(), work.id
    for name in ("index", "intro", "table2", "table3", "table4", "table5", "dashboard", "leaderboard",
                 "notebooks/apr"):
        assert (html / f"{name}.html").is_file(), name
    apr = (html / "works" / "apr.html").read_text()
    assert "0.1834 ± 0.0033" in apr
    assert re.search(r'src="\.\./_images/metrics\d*\.png"', apr)
    notebook = (html / "notebooks" / "apr.html").read_text()
    assert "AMF (APR) HR@100 mean 0.1834" in notebook and "INJECTED_MARKER" not in notebook
    intro = (html / "intro.html").read_text()
    assert "Works by status" in intro and "claims-hold" in intro


def test_site_loads_nothing_from_the_network(site: BuildReport) -> None:
    tag = re.compile(r"<(script|link|img|iframe)\b[^>]*>", re.IGNORECASE)
    remote = re.compile(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)
    offenders = []
    for page in site.html_dir.rglob("*.html"):
        for match in tag.finditer(page.read_text(encoding="utf-8")):
            element = match.group(0)
            loads = re.search(r"rel=.(stylesheet|preload|modulepreload|icon)", element)
            if element.lower().startswith("<link") and not loads:
                continue
            if remote.search(element):
                offenders.append(f"{page.name}: {element}")
    assert offenders == []
    table4 = (site.html_dir / "table4.html").read_text()
    assert 'src="_static/mathjax/tex-chtml.js' in table4
    assert (site.html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (site.html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
