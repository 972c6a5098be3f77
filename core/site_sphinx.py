"""Runs Jupyter Book 1's Sphinx build on a prepared source folder; the child process of `build_book`.

`python -m advrec.site_sphinx SRC OUT DOCTREES` builds SRC (with its _config.yml and _toc.yml) into OUT
from a fresh environment. It runs in its own process so that Sphinx's global state and memory go with it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def run_sphinx(source: Path, out: Path, doctrees: Path) -> int:
    """Build `source` into HTML at `out` with a fresh environment; returns Sphinx's status code."""
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": (source / "_toc.yml").as_posix(), "latex_individualpages": False}
    result = build_sphinx(str(source), str(out), doctreedir=str(doctrees), noconfig=True,
                          path_config=str(source / "_config.yml"), confoverrides=overrides, freshenv=True,
                          force_all=True, quiet=True, builder="html")
    if isinstance(result, BaseException):
        return 1
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: SRC OUT DOCTREES."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m advrec.site_sphinx SRC OUT DOCTREES", file=sys.stderr)
        return 2
    return run_sphinx(*(Path(a) for a in args))


if __name__ == "__main__":
    sys.exit(main())
