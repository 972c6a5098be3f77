"""CLI for runs: `advrec run ID [-p KEY VALUE ...]` and `advrec run --all | --filter FIELD=VALUE --jobs N`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from advrec.notebook_contract import PROFILES


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        "run", help="execute a work's notebook and record its results",
        description="Execute a paper notebook with papermill and write its executed copy and result record "
                    "(runs/<id>/<param-hash>/, or results/<id>/ with --canonical). Parameters are checked "
                    "against the notebook's parameters cell before anything runs; a run with the same "
                    "notebook, parameters, engine and data returns the cached record unless --force.")
    parser.add_argument("id", nargs="?", help="work id or survey name (case-insensitive), e.g. APR")
    parser.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                        help="set a parameter (VALUE read as YAML unless the parameter is a string; "
                             "repeatable)")
    parser.add_argument("-f", "--params-file", metavar="PARAMS.yaml", help="a YAML mapping of parameters")
    parser.add_argument("--profile", choices=PROFILES, help="smoke (seconds), default (CPU minutes) or paper")
    parser.add_argument("--canonical", action="store_true",
                        help="write the canonical record results/<id>/ (needs a clean git tree)")
    parser.add_argument("--force", action="store_true", help="run even when a cached record matches")
    parser.add_argument("--json", action="store_true", help="print the record(s) as JSON")
    parser.add_argument("--timeout", type=float, metavar="S", help="stop a notebook after S seconds")
    parser.add_argument("--all", action="store_true", help="run every work that has a notebook")
    parser.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE",
                        help="run the works matching FIELD=VALUE (catalog filter fields, e.g. attack=FGSM, "
                             "status=approximated; repeatable, all must match)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="notebooks run in parallel (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on this Dask distributed scheduler (needs advrec[distributed])")
    parser.add_argument("--catalog", metavar="DIR", default=None,
                        help="catalog folder (default: $ADVREC_CATALOG or the repository's catalog/)")
    parser.add_argument("--papers", metavar="DIR", default=None,
                        help="papers folder (default: beside the catalog)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from advrec import runner

    many = args.all or bool(args.filter)
    if args.id and many:
        raise ValueError("give either a work ID or --all/--filter, not both")
    if not args.id and not many:
        raise ValueError("give a work ID, --all or --filter FIELD=VALUE")
    parameters = _params_file(args.params_file)
    raw = {key: value for key, value in args.param}
    catalog = runner.load_catalog(args.catalog)
    if not many:
        spec = runner.prepare(args.id, parameters, raw_parameters=raw, profile=args.profile,
                              canonical=args.canonical, timeout=args.timeout, catalog=catalog,
                              papers_dir=args.papers)
        record = runner.execute(spec, force=args.force, progress=True)
        print(record.to_json() if args.json else format_record(record), end="")
        return 0 if record.ok else 1
    works, skipped = runner.select(catalog, _filters(args.filter), args.papers)
    try:
        records = runner.run_many(works, parameters, raw_parameters=raw, profile=args.profile, jobs=args.jobs,
                                  timeout=args.timeout, force=args.force, canonical=args.canonical,
                                  scheduler=args.scheduler, catalog=catalog, papers_dir=args.papers)
    except ImportError as err:
        print(f"advrec run: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        listing = [{"path": str(r.path), "cached": r.cached, "record": r.data} for r in records]
        print(json.dumps(listing, indent=2, ensure_ascii=False))
    else:
        print(format_table(records, [w.id for w in skipped]), end="")
    return 0 if all(r.ok for r in records) else 1


def _params_file(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"--params-file {path}: not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"--params-file {path}: expected a mapping of parameter names to values")
    return data


def _filters(items: list[str]) -> dict[str, list[str]]:
    criteria: dict[str, list[str]] = {}
    for item in items:
        field, sep, value = item.partition("=")
        if not sep or not field or not value:
            raise ValueError(f"--filter expects FIELD=VALUE, got {item!r}")
        criteria.setdefault(field.strip(), []).append(value.strip())
    return criteria


def format_record(record: Any) -> str:
    """A short human summary of one record: outcome, metrics with CIs, verdicts, where the files are."""
    prov = record.provenance
    head = f"{record.work_id}: {record.outcome}"
    if record.cached:
        head += " (cached)"
    if record.ok:
        head += f", status {record.status}, seeds {prov['seeds']}, {prov['wall_time_s']:.1f} s"
    lines = [head]
    if record.error:
        lines.append(f"  error: {record.error}")
    if record.aggregate:
        lines.append("  metrics (mean [95% CI], n seeds):")
        width = max(len(key) for key in record.aggregate)
        for key, agg in record.aggregate.items():
            ci = f"[{agg['lo']:.4f}, {agg['hi']:.4f}]" if agg["lo"] is not None else "[single seed]"
            lines.append(f"    {key:<{width}}  {agg['mean']:.4f} {ci} n={agg['n']}")
    if record.claims:
        lines.append("  claims:")
        lines += [f"    {c['claim_id']}: {c['verdict']}: {c['explanation']}" for c in record.claims]
    lines.append(f"  record:   {record.path}")
    if record.notebook_path:
        lines.append(f"  notebook: {record.notebook_path}")
    return "\n".join(lines) + "\n"


def format_table(records: list[Any], skipped: list[str]) -> str:
    """The summary table of many runs: one row per work, then the works skipped for lack of a notebook."""
    rows = [["work", "outcome", "status", "verdicts", "seconds", "record"]]
    for r in records:
        counts: dict[str, int] = {}
        for claim in r.claims:
            counts[claim["verdict"]] = counts.get(claim["verdict"], 0) + 1
        verdicts = ", ".join(f"{n} {v}" for v, n in counts.items()) or "-"
        outcome = r.outcome + (" (cached)" if r.cached else "")
        rows.append([r.work_id, outcome, r.status or "-", verdicts, f"{r.provenance['wall_time_s']:.1f}",
                     str(r.path)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    text = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows) + "\n"
    failed = [r for r in records if not r.ok]
    text += f"{len(records) - len(failed)} completed, {len(failed)} failed"
    if skipped:
        text += f"; no notebook yet (not run): {', '.join(skipped)}"
    text += "\n" + "".join(f"  {r.work_id}: {r.error}\n" for r in failed)
    return text
