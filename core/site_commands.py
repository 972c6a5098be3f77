"""CLI for the book: `advrec book build` generates the pages and builds the HTML site offline."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `book` with its `build` subcommand."""
    book = subparsers.add_parser("book", help="build the book (survey tables, work pages, dashboard)",
                                 description="The Jupyter Book site generated from the catalog and the "
                                             "canonical records.")
    commands = book.add_subparsers(dest="book_command", metavar="SUBCOMMAND", required=True)
    build = commands.add_parser("build", help="generate the pages and build the HTML site",
                                description="Generate the pages from the catalog and the canonical records, "
                                            "then build the site offline (fresh, no cache).")
    build.add_argument("--catalog", metavar="DIR", default=None,
                       help="catalog folder (default: $ADVREC_CATALOG or the repository's catalog/)")
    build.add_argument("--results", metavar="DIR", default=None,
                       help="canonical results folder (default: the repository's results/)")
    build.add_argument("--out", metavar="DIR", default=None,
                       help="HTML output folder (default: book/_build/html)")
    build.set_defaults(func=_build)


def _build(args: argparse.Namespace) -> int:
    from advrec.site import SiteBuildError, build_book

    try:
        report = build_book(args.catalog, args.results, args.out)
    except SiteBuildError as err:
        print(f"advrec book build: error: {err}", file=sys.stderr)
        return 1
    print(f"built {report.pages} pages ({report.works} works, {report.records} canonical records) in "
          f"{report.seconds:.1f} s: {report.html_dir / 'index.html'}")
    if report.warnings:
        print(f"{len(report.warnings)} Sphinx warning(s), see {report.log}:", file=sys.stderr)
        for line in report.warnings[:20]:
            print(f"  {line}", file=sys.stderr)
    return 0
