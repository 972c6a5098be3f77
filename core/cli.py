"""The `advrec` command: one subcommand per feature module, each registered by its `register`."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from importlib import import_module

# Feature modules that add subcommands; each must stay light to import (no torch at import time).
COMMAND_MODULES = (
    "advrec.catalog_commands",
    "advrec.data.commands",
    "advrec.leaderboard_commands",
    "advrec.run_commands",
    "advrec.site_commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available feature module's subcommands."""
    from advrec import __version__

    parser = argparse.ArgumentParser(
        prog="advrec",
        description="Browse, filter and re-run the works of the survey on adversarial recommender systems.",
    )
    parser.add_argument("--version", action="version", version=f"advrec {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so cleanup (`finally`) runs: a stopped `advrec run` then stops its
    notebook's process group instead of leaving the kernel running."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `advrec` console script; returns the exit code."""
    exit_on_sigterm()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except (ValueError, KeyError, FileNotFoundError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"advrec {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
