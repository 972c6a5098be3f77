"""CLI for the catalog: `advrec list`, `advrec show`, `advrec validate`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

FILTER_FIELDS = ("attack", "defense", "granularity", "model", "metric", "dataset", "objective", "category",
                 "generator", "discriminator", "training", "sampling", "rec_class", "predictor", "loss",
                 "preference", "domain", "status", "knowledge", "table")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the catalog subcommands."""
    lister = subparsers.add_parser("list", help="list works, filtered by taxonomy fields",
                                   description="List the surveyed works. Repeating a field means any of its "
                                               "values; several fields mean all of them.")
    for name in FILTER_FIELDS:
        lister.add_argument(f"--{name.replace('_', '-')}", dest=name, action="append", metavar="TERM",
                            help=f"keep works whose {name} is TERM (case-insensitive; repeatable)")
    lister.add_argument("--year", help="a year (2019) or an inclusive range (2019-2020)")
    lister.add_argument("--text", help="search ids, names, titles and authors")
    lister.add_argument("--format", choices=("table", "csv", "json", "bibtex"), default="table")
    _catalog_option(lister)
    lister.set_defaults(func=_list)

    show = subparsers.add_parser("show", help="show one work's full entry",
                                 description="Show a work by id or survey name, e.g. `advrec show APR`.")
    show.add_argument("id", help="work id or survey name")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")
    _catalog_option(show)
    show.set_defaults(func=_show)

    validate = subparsers.add_parser("validate", help="check the catalog and the notebooks",
                                     description="Validate every catalog entry against the schema and the "
                                                 "vocabulary, and every paper notebook against the contract; "
                                                 "exits non-zero on any problem.")
    _catalog_option(validate)
    validate.add_argument("--papers", default=None, help="papers folder (default: beside the catalog)")
    validate.set_defaults(func=_validate)


def _catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="DIR", default=None,
                        help="catalog folder (default: $ADVREC_CATALOG or the repository's catalog/)")


def _criteria(args: argparse.Namespace) -> dict[str, Any]:
    criteria: dict[str, Any] = {name: getattr(args, name) for name in FILTER_FIELDS if getattr(args, name)}
    if args.year:
        low, _, high = args.year.partition("-")
        try:
            criteria["year"] = (int(low), int(high)) if high else int(low)
        except ValueError:
            raise ValueError(f"--year expects YYYY or YYYY-YYYY, got {args.year!r}") from None
    if args.text:
        criteria["text"] = args.text
    return criteria


def _list(args: argparse.Namespace) -> int:
    from advrec.catalog import catalog

    works = catalog(args.catalog).filter(**_criteria(args))
    sys.stdout.write(format_works(works, args.format))
    return 0


def format_works(works: Any, fmt: str) -> str:
    """The works rendered as an aligned table, CSV, JSON or BibTeX."""
    if fmt == "bibtex":
        return works.to_bibtex() if len(works) else ""
    if fmt == "json":
        return json.dumps([_jsonable(w) for w in works], indent=2, ensure_ascii=False) + "\n"
    rows = [_summary_row(w) for w in works]
    header = ["id", "name", "year", "table", "status", "taxonomy"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()
    widths = [max([len(header[i])] + [len(str(r[i])) for r in rows]) for i in range(len(header) - 1)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, [*widths, 0], strict=True))]
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, [*widths, 0], strict=True)).rstrip())
    lines.append(f"{len(rows)} work(s)")
    return "\n".join(lines) + "\n"


def _summary_row(work: Any) -> list[Any]:
    tax = work.taxonomy
    if work.table == 2:
        parts = [tax["objective"], "+".join(tax["attack"]) or "-", "+".join(tax["defense"]) or "-",
                 "/".join(tax["datasets"]) or "-"]
    else:
        parts = [tax["category"], "G:" + ("+".join(tax["generator"]) or "-"),
                 "D:" + ("+".join(tax["discriminator"]) or "-"), "+".join(tax["training"]) or "-"]
    return [work.id, work.name, work.year, work.table, work.status, " | ".join(parts)]


def _jsonable(work: Any) -> dict[str, Any]:
    data = work.to_dict()
    data["path"] = str(work.path)
    return data


def _show(args: argparse.Namespace) -> int:
    import yaml

    from advrec.catalog import catalog

    work = catalog(args.catalog).get(args.id)
    if args.format == "json":
        sys.stdout.write(json.dumps(_jsonable(work), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(work.to_dict(), sort_keys=False, allow_unicode=True, width=100))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from advrec.catalog import catalog, resolve_root, validate

    root = resolve_root(args.catalog)
    problems = validate(root)
    if not problems:
        from advrec.notebook_contract import check_all

        papers = args.papers or root.parent / "papers"
        problems = check_all(catalog(root), papers)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"advrec validate: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"advrec validate: catalog {root} and its notebooks are valid")
    return 0
