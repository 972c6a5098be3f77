"""`load_dataset` / `load_split`: find a registered dataset's files, verify them, read them.

Lookup order per file: `$ADVREC_DATA/<folder>/<path>` (a folder laid out like the shared mirror), then
the cache `$ADVREC_CACHE` (default `~/.cache/advrec`) `/<folder>/<path>`, then a download into the cache
(atomic, verified, resumable). Offline (`download=False` or `$ADVREC_OFFLINE=1`) and missing: one
`DatasetMissingError` naming every missing file, its URL and where to put it.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .download import download as _download
from .download import extract_archive, file_sha256, verify_file
from .errors import DatasetMissingError, UnknownDatasetError
from .interactions import Interactions, Split
from .readers import READERS
from .registry import DatasetSpec, Source, get_spec
from .tabular import read_table

PathLike = str | os.PathLike


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded for which the registry knows no checksum (trusted on first use)."""


def data_root(root: PathLike | None = None) -> Path | None:
    """The local mirror folder: `root` if given, else `$ADVREC_DATA`, else None."""
    value = root if root is not None else os.environ.get("ADVREC_DATA")
    return Path(value).expanduser() if value else None


def cache_root(cache: PathLike | None = None) -> Path:
    """The download cache: `cache` if given, else `$ADVREC_CACHE`, else `~/.cache/advrec`."""
    value = cache if cache is not None else os.environ.get("ADVREC_CACHE")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "advrec"


def _offline() -> bool:
    return os.environ.get("ADVREC_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def locate(
    source: Source, path: str, *, root: PathLike | None = None, cache: PathLike | None = None
) -> Path | None:
    """Where file `path` of `source` is found locally (mirror first, then cache), or None."""
    for base in (data_root(root), cache_root(cache)):
        if base is not None:
            candidate = base / source.folder / path
            if candidate.is_file():
                return candidate
    return None


_VERIFIED: dict[tuple, str] = {}


def _checked_sha256(path: Path, source: Source, rel: str, verify: bool) -> str:
    """sha256 of a local file, verified against the registry (memoised per path, size and mtime)."""
    entry = source.file(rel)
    if not verify:
        return entry.sha256 or file_sha256(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, entry.sha256, entry.git_blob)
    if key not in _VERIFIED:
        _VERIFIED[key] = verify_file(path, entry.sha256, entry.git_blob)
    return _VERIFIED[key]


def _where_to_put(source: Source, rel: str, root: PathLike | None, cache: PathLike | None) -> str:
    mirror = data_root(root)
    places = []
    if mirror is not None:
        places.append(str(mirror / source.folder / rel))
    else:
        places.append(f"$ADVREC_DATA/{source.folder}/{rel}")
    places.append(str(cache_root(cache) / source.folder / rel))
    return " or ".join(places)


def _missing_error(
    spec: DatasetSpec, missing: list[str], root: PathLike | None, cache: PathLike | None, reason: str
) -> DatasetMissingError:
    src = spec.source
    lines = [f"dataset {spec.name!r} is missing {len(missing)} file(s) ({reason}):"]
    for rel in missing:
        entry = src.file(rel)
        if entry.url:
            origin = entry.url
        elif src.archive:
            origin = f"{src.archive.url} (archive member {src.archive.prefix}{rel})"
        else:
            origin = f"no download URL: {src.manual or 'see ' + src.homepage}"
        lines += [
            f"  - {rel}",
            f"      get it from: {origin}",
            f"      put it at:   {_where_to_put(src, rel, root, cache)}",
        ]
        if entry.sha256:
            lines.append(f"      verify:      sha256 {entry.sha256}")
        elif entry.git_blob:
            lines.append(f"      verify:      `git hash-object` prints {entry.git_blob}")
    lines.append(f"  homepage: {src.homepage}; terms: {src.licence}")
    return DatasetMissingError("\n".join(lines))


def _fetch_missing(spec: DatasetSpec, missing: list[str], cache: Path, progress: bool | None) -> None:
    src = spec.source
    direct = [rel for rel in missing if src.file(rel).url]
    from_archive = [rel for rel in missing if not src.file(rel).url]
    for rel in direct:
        entry = src.file(rel)
        _download(
            entry.url,
            cache / src.folder / rel,
            sha256=entry.sha256,
            git_blob=entry.git_blob,
            progress=progress,
        )
        if not entry.sha256 and not entry.git_blob:
            warnings.warn(
                f"{rel} of {spec.name!r} was downloaded from {entry.url} without a registered "
                f"checksum; it is trusted on first use",
                UnverifiedDownloadWarning,
                stacklevel=3,
            )
    if from_archive:
        if src.archive is None:
            raise DatasetMissingError(f"no download URL for {from_archive}")
        folder = cache / src.folder
        archive_path = _download(
            src.archive.url,
            folder / ".downloads" / Path(src.archive.url).name,
            sha256=src.archive.sha256,
            progress=progress,
        )
        expected = {rel: (f.sha256, f.git_blob) for rel, f in src.files.items()}
        try:
            extract_archive(archive_path, folder, prefix=src.archive.prefix, expected=expected)
        finally:
            archive_path.unlink(missing_ok=True)
        absent = [rel for rel in from_archive if not (folder / rel).is_file()]
        if absent:
            raise DatasetMissingError(f"archive {src.archive.url} does not contain {absent}")


def fetch(
    name: str,
    *,
    root: PathLike | None = None,
    cache: PathLike | None = None,
    download: bool | None = None,
    progress: bool | None = None,
    verify: bool = True,
) -> dict[str, Path]:
    """Make every input file of registered dataset `name` available locally; returns {path: location}.

    Files found in the mirror or the cache are verified against the registry's sha256 (a mismatch raises
    `ChecksumError`); missing ones are downloaded into the cache unless offline.
    """
    spec = get_spec(name)
    return _ensure(spec, root=root, cache=cache, download=download, progress=progress, verify=verify)[0]


def _ensure(
    spec: DatasetSpec,
    *,
    root: PathLike | None,
    cache: PathLike | None,
    download: bool | None,
    progress: bool | None,
    verify: bool,
) -> tuple[dict[str, Path], dict[str, str]]:
    src = spec.source
    located = {rel: locate(src, rel, root=root, cache=cache) for rel in spec.inputs}
    missing = [rel for rel, path in located.items() if path is None]
    if missing:
        allowed = (not _offline()) if download is None else download
        if not allowed:
            raise _missing_error(spec, missing, root, cache, "offline: downloads disabled")
        if not any(src.file(rel).url for rel in missing) and src.archive is None:
            raise _missing_error(spec, missing, root, cache, "it has no download URL")
        try:
            _fetch_missing(spec, missing, cache_root(cache), progress)
        except DatasetMissingError as err:
            raise _missing_error(spec, missing, root, cache, f"download failed: {err}") from err
        located = {rel: locate(src, rel, root=root, cache=cache) for rel in spec.inputs}
    paths = {rel: path for rel, path in located.items() if path is not None}
    digests = {rel: _checked_sha256(path, src, rel, verify) for rel, path in paths.items()}
    return paths, digests


def dataset_checksum(digests: Mapping[str, str]) -> str:
    """sha256 over the sorted "path sha256" lines of a dataset's source files."""
    text = "".join(f"{rel}  {digest}\n" for rel, digest in sorted(digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def status(name: str, *, root: PathLike | None = None, cache: PathLike | None = None) -> str:
    """ "present" (every input found locally), "partial" (some) or "missing" (none); no hashing."""
    spec = get_spec(name)
    found = sum(locate(spec.source, rel, root=root, cache=cache) is not None for rel in spec.inputs)
    return "present" if found == len(spec.inputs) else "partial" if found else "missing"


def _read(spec: DatasetSpec, **kwargs: Any) -> Interactions | Split:
    paths, digests = _ensure(spec, **kwargs)
    result = READERS[spec.reader](*(paths[rel] for rel in spec.inputs), **spec.options)
    checksum = dataset_checksum(digests)
    if isinstance(result, Split):
        parts = {k: v.replace(name=spec.name, checksum=checksum) for k, v in result.parts().items()}
        side = {
            k: (v.replace(name=spec.name, checksum=checksum) if isinstance(v, Interactions) else v)
            for k, v in result.side.items()
        }
        return Split(
            parts["train"],
            parts["test"],
            parts.get("valid"),
            name=spec.name,
            protocol=result.protocol or spec.protocol,
            side=side,
        )
    return result.replace(name=spec.name, checksum=checksum)


def _looks_like_path(text: str) -> bool:
    return (
        os.sep in text
        or "/" in text
        or Path(text).suffix.lower()
        in (".csv", ".tsv", ".txt", ".dat", ".data", ".gz", ".bz2", ".xz", ".inter", ".rating")
    )


def load_dataset(
    name_or_path: PathLike,
    *,
    implicit: bool = False,
    threshold: float | None = None,
    dedupe: bool = False,
    root: PathLike | None = None,
    cache: PathLike | None = None,
    download: bool | None = None,
    progress: bool | None = None,
    verify: bool = True,
    sep: str | None = None,
    header: bool | None = None,
    columns: Mapping[str, str | int] | None = None,
) -> Interactions:
    """Load a registered dataset (by name) or a user's CSV/TSV file (by path) as `Interactions`.

    `implicit=True` keeps rows with value >= `threshold` (all rows when None) with value 1; `dedupe=True`
    keeps one row per (user, item), the latest. A registered released split loads as the union of its
    parts. `root` / `cache` override `$ADVREC_DATA` / `$ADVREC_CACHE`; `download=False` (or
    `$ADVREC_OFFLINE=1`) never touches the network; `verify` checks every file's sha256 against the
    registry. `sep`, `header`, `columns` apply to files (see `read_table`).
    """
    if threshold is not None and not implicit:
        raise ValueError("threshold only applies to the implicit view: pass implicit=True as well")
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if path.is_file():
        data = read_table(path, sep=sep, header=header, columns=columns)
    elif path.is_dir():
        raise ValueError(
            f"{path} is a folder: pass one interaction file, or point $ADVREC_DATA (root=) at a folder laid "
            f"out like the shared mirror and load by name"
        )
    else:
        if any(v is not None for v in (sep, header, columns)):
            raise ValueError("sep, header and columns only apply when loading a file by path")
        try:
            spec = get_spec(text)
        except UnknownDatasetError:
            if _looks_like_path(text):
                raise FileNotFoundError(f"interaction file not found: {path}") from None
            raise
        result = _read(spec, root=root, cache=cache, download=download, progress=progress, verify=verify)
        data = result.union() if isinstance(result, Split) else result
    if dedupe:
        data = data.dedupe()
    return data.implicit(threshold) if implicit else data


def load_split(
    name: str,
    *,
    implicit: bool = False,
    threshold: float | None = None,
    root: PathLike | None = None,
    cache: PathLike | None = None,
    download: bool | None = None,
    progress: bool | None = None,
    verify: bool = True,
) -> Split:
    """Load a paper's released split (e.g. "aush-ml100k", "irgan-ml-100k", "dpr-yelp-4") as a `Split`.

    The parts share one id space; `implicit`/`threshold` apply to every part (see `Interactions.implicit`).
    Datasets without a released split are split with `leave_one_out` or `ratio_split` instead.
    """
    if threshold is not None and not implicit:
        raise ValueError("threshold only applies to the implicit view: pass implicit=True as well")
    spec = get_spec(name)
    if spec.kind != "split":
        raise ValueError(
            f"{spec.name!r} is a dataset, not a released split: load it with load_dataset and split it with "
            f"leave_one_out(...) or ratio_split(...)"
        )
    split = _read(spec, root=root, cache=cache, download=download, progress=progress, verify=verify)
    if not isinstance(split, Split):
        raise TypeError(f"reader {spec.reader!r} of split {spec.name!r} returned {type(split).__name__}")
    return split.implicit(threshold) if implicit else split
