"""`make bench`: correctness against Cornac, speed against Cornac / implicit / RecBole, and scale.

Prints one table and writes every record of this run to benchmarks/results.json (atomically): a list of
{benchmark, dataset, metric, ours, peer, peer_value, ratio, unit} (+ CIs and notes). The 10M-interaction
scale case runs only with --scale.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from common import table, write_json_atomic

HERE = Path(__file__).resolve().parent
PARTS = ("correctness", "speed", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="add the 10M-interaction case (minutes, ~2 GB)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the correctness comparison")
    parser.add_argument("--threads", type=int, default=2, help="threads of every library in timings")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("ADVREC_DATA", str(HERE.parent.parent / "shared" / "datasets"))
    parts = args.only or list(PARTS)
    records = []
    started = time.time()
    if "correctness" in parts:
        from correctness import run as correctness

        try:
            records += correctness(seeds=args.seeds)
        except FileNotFoundError as err:
            print(f"correctness skipped: ML-100K not found ({err})", file=sys.stderr)
    if "speed" in parts:
        from speed import run as speed

        records += speed(threads=args.threads)
    if "scale" in parts:
        from scale import run as scale

        records += scale(scale=args.scale, threads=args.threads)
    print(table(records))
    print(
        f"\n{len(records)} records in {time.time() - started:.0f} s on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs -> {args.out}"
    )
    write_json_atomic(records, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
