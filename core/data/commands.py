"""The `advrec data` subcommands: list the registry, print a dataset's statistics, fetch its files.

Registration imports nothing heavy; each handler imports the data layer when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `data list`, `data stats NAME_OR_PATH [--json]` and `data fetch NAME` to the CLI."""
    parser = subparsers.add_parser(
        "data",
        help="list, inspect and fetch datasets",
        description="Datasets of the registry and your own files.",
    )
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    def usage(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)

    p_list = sub.add_parser("list", help="every registered dataset and released split, with its local status")
    p_list.add_argument("--kind", choices=("dataset", "split"), help="only datasets or only released splits")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_list.set_defaults(func=_list)

    p_stats = sub.add_parser("stats", help="statistics of a dataset (name) or of a CSV/TSV file (path)")
    p_stats.add_argument("name", metavar="NAME_OR_PATH")
    p_stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    p_stats.add_argument("--offline", action="store_true", help="never download; fail if files are missing")
    p_stats.set_defaults(func=_stats)

    p_fetch = sub.add_parser("fetch", help="download and verify a registered dataset's files into the cache")
    p_fetch.add_argument("name", metavar="NAME")
    p_fetch.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p_fetch.set_defaults(func=_fetch)


def _list(args: argparse.Namespace) -> int:
    from .loading import status
    from .registry import list_specs

    rows = []
    for spec in list_specs(args.kind):
        rows.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "status": status(spec.name),
                "interactions": spec.stats.get("interactions"),
                "folder": spec.source.folder,
                "licence": spec.licence,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    print(f"{'NAME':<{width}}  {'KIND':<7}  {'STATUS':<7}  {'INTERACTIONS':>12}  LICENCE")
    for r in rows:
        n = f"{r['interactions']:,}" if r["interactions"] else "-"
        licence = r["licence"] if len(r["licence"]) <= 60 else r["licence"][:57] + "..."
        print(f"{r['name']:<{width}}  {r['kind']:<7}  {r['status']:<7}  {n:>12}  {licence}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from .loading import load_dataset

    data = load_dataset(args.name, download=False if args.offline else None)
    stats = data.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    labels = (
        ("name", "name"),
        ("n_users", "users"),
        ("n_items", "items"),
        ("n_interactions", "interactions"),
        ("density", "density"),
        ("value_min", "value min"),
        ("value_max", "value max"),
        ("n_duplicate_pairs", "duplicate pairs"),
        ("time_min", "first time"),
        ("time_max", "last time"),
        ("checksum", "checksum"),
    )
    for key, label in labels:
        value = stats[key]
        if isinstance(value, float) and key == "density":
            value = f"{value:.6f}"
        elif key in ("time_min", "time_max") and value is not None:
            value = f"{value} ({datetime.fromtimestamp(value, tz=timezone.utc):%Y-%m-%d %H:%M:%S} UTC)"
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        print(f"{label:<16} {value}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from .loading import fetch

    paths = fetch(args.name, progress=False if args.no_progress else None)
    for rel, path in paths.items():
        print(f"{rel}: {path}")
    print(f"{args.name}: {len(paths)} file(s) present and verified", file=sys.stderr)
    return 0
