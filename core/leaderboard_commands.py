"""CLI for the robustness leaderboard: `advrec leaderboard [--dataset SPLIT] [--seeds ...] [--canonical]`."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `leaderboard` subcommand."""
    parser = subparsers.add_parser(
        "leaderboard", help="train every embedding model and attack it: the book's robustness leaderboard",
        description="Train BPR-MF, APR-MF, GMF, NeuMF and LightGCN on one split per seed, attack them with "
                    "FGSM and BIM at several L2 budgets and with random and bandwagon poisoning at several "
                    "shares of fake users, and write the leaderboard record (results/leaderboard/record.json "
                    "with --canonical, which needs a clean git tree; else --out).")
    parser.add_argument("--dataset", default="ml-100k-u1", metavar="SPLIT",
                        help="a registered split (default ml-100k-u1; see `advrec data list`)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], metavar="S")
    parser.add_argument("--epsilons", type=float, nargs="+", default=None, metavar="EPS",
                        help="L2 budgets of the perturbation attacks (default 0.25 0.5 1.0)")
    parser.add_argument("--budgets", type=float, nargs="+", default=None, metavar="SHARE",
                        help="shares of fake users of the poisoning attacks (default 0.01 0.05)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every model's epoch count")
    parser.add_argument("--out", metavar="PATH", default=None,
                        help="where to write the record (default: a file under runs/leaderboard/)")
    parser.add_argument("--canonical", action="store_true",
                        help="write results/leaderboard/record.json, the book's leaderboard (clean tree "
                             "only)")
    parser.set_defaults(func=_leaderboard)


def _leaderboard(args: argparse.Namespace) -> int:
    from advrec import leaderboard
    from advrec.data import load_split
    from advrec.results import git_state, repo_root

    root = repo_root()
    if args.canonical and args.out:
        raise ValueError("give either --canonical or --out, not both")
    if args.canonical and git_state(root, exclude=[root / "results", root / "runs"])["dirty"]:
        print("advrec leaderboard: error: --canonical needs a clean git tree (commit the code first)",
              file=sys.stderr)
        return 2
    path = (root / "results" / "leaderboard" / "record.json" if args.canonical
            else args.out or root / "runs" / "leaderboard" / "record.json")
    options = {"epsilons": args.epsilons, "budgets": args.budgets}
    document = leaderboard.build_leaderboard(
        load_split(args.dataset), models=leaderboard.default_models(args.scale), seeds=args.seeds,
        path=path, **{k: v for k, v in options.items() if v is not None})
    seconds = document["provenance"]["wall_time_s"]
    print(f"wrote {len(document['rows'])} rows to {path} in {seconds:.0f} s")
    return 0
