"""Verified downloads and safe archive extraction.

A download goes to `<dest>.part` in the destination folder, resumes from it with an HTTP Range request
when the server allows, is checked against the expected sha256 (or git blob id) and only then renamed
onto `dest`; a mismatch deletes the partial file. Archives are checked member by member before anything
is written, so no member can land outside the target folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from .errors import ChecksumError, DatasetMissingError, UnsafeArchiveError

CHUNK = 1 << 20
USER_AGENT = "advrec-data/0.1 (+https://github.com/)"


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def git_blob_id(path: str | os.PathLike) -> str:
    """The id `git hash-object` prints for a file (sha1 over "blob <size>\\0" + content)."""
    h = hashlib.sha1()
    h.update(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path: Path, sha256: str | None = None, git_blob: str | None = None) -> str:
    """Check a file against its expected sha256 and/or git blob id; return its sha256.

    Raises `ChecksumError` naming the file, the expected and the actual value.
    """
    actual = file_sha256(path)
    if sha256 and actual != sha256.lower():
        raise ChecksumError(f"checksum mismatch for {path}: expected sha256 {sha256}, got {actual}")
    if git_blob and not sha256:
        blob = git_blob_id(path)
        if blob != git_blob.lower():
            raise ChecksumError(f"checksum mismatch for {path}: expected git blob id {git_blob}, got {blob}")
    return actual


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    git_blob: str | None = None,
    progress: bool | None = None,
    timeout: float = 60.0,
    resume: bool = True,
) -> Path:
    """Download `url` to `dest` atomically, resuming a previous partial download where possible.

    The bytes go to `<dest>.part`; when the server answers a Range request with 206 the download
    continues from the partial file, otherwise it restarts. After verification (`sha256` and/or
    `git_blob`, when given) the part file is renamed onto `dest`. On a checksum mismatch the part file is
    deleted and `ChecksumError` raised; a network failure keeps it for a later resume and raises
    `DatasetMissingError`. `progress=None` shows a tqdm bar only on a terminal.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if resume and part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as err:
            if err.code != 416 or not offset:
                raise
            # Range not satisfiable: the part file already holds every byte.
            response = None
        if response is not None:
            with response:
                if offset and response.status != 206:
                    offset = 0
                elif offset and not _range_starts_at(response.headers.get("Content-Range", ""), offset):
                    raise DatasetMissingError(
                        f"server answered the resume of {url} with Content-Range "
                        f"{response.headers.get('Content-Range')!r}, not starting at byte {offset}; "
                        f"delete {part} to restart"
                    )
                total = response.headers.get("Content-Length")
                total_bytes = int(total) + offset if total and total.isdigit() else None
                with (
                    open(part, "ab" if offset else "wb") as out,
                    tqdm(
                        total=total_bytes,
                        initial=offset,
                        unit="B",
                        unit_scale=True,
                        unit_divisor=1024,
                        desc=dest.name,
                        disable=(None if progress is None else not progress),
                    ) as bar,
                ):
                    for chunk in iter(lambda: response.read(CHUNK), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
                    out.flush()
                    os.fsync(out.fileno())
                if total_bytes is not None and part.stat().st_size != total_bytes:
                    raise DatasetMissingError(
                        f"download of {url} stopped at {part.stat().st_size} of {total_bytes} bytes; "
                        f"run again to resume from {part}"
                    )
    except (urllib.error.URLError, OSError) as err:
        if isinstance(err, DatasetMissingError):
            raise
        raise DatasetMissingError(f"could not download {url}: {err}") from err
    try:
        verify_file(part, sha256, git_blob)
    except ChecksumError as err:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"downloaded file from {url} rejected, nothing kept: {err}") from None
    os.replace(part, dest)
    return dest


def _range_starts_at(content_range: str, offset: int) -> bool:
    unit, _, spec = content_range.partition(" ")
    start = spec.split("-", 1)[0]
    return unit.strip() == "bytes" and start.isdigit() and int(start) == offset


def _safe_name(name: str, prefix: str) -> str | None:
    """The member's path relative to the target, None when outside `prefix`; raises if it escapes."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"archive member {name!r} has an absolute or non-POSIX path")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise UnsafeArchiveError(f"archive member {name!r} would escape the target folder ('..')")
    rel = "/".join(p for p in parts if p not in ("", "."))
    if prefix:
        pre = prefix.strip("/")
        if rel == pre:
            return None
        if not rel.startswith(pre + "/"):
            return None
        rel = rel[len(pre) + 1 :]
    return rel or None


def _inside(target: Path, rel: str) -> Path:
    path = (target / rel).resolve()
    root = target.resolve()
    if path != root and root not in path.parents:
        raise UnsafeArchiveError(f"archive member {rel!r} resolves outside {target}")
    return path


def extract_archive(
    archive: str | os.PathLike,
    target: str | os.PathLike,
    *,
    prefix: str = "",
    members: set[str] | None = None,
    expected: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> list[Path]:
    """Extract a zip or tar archive into `target` safely; returns the files written.

    Only members under `prefix` are extracted, with the prefix stripped (e.g. "ml-100k/"); `members`
    restricts extraction to those stripped paths. Every member is checked before anything is written:
    absolute paths, '..' components, links and device files raise `UnsafeArchiveError`. Files are first
    written to a temporary folder inside `target` and checked against `expected` ({path: (sha256,
    git_blob)}; a mismatch raises `ChecksumError` and nothing is kept), then moved into place.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, object]] = []
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16
                rel = _safe_name(info.filename, prefix)
                if stat.S_ISLNK(mode):
                    raise UnsafeArchiveError(f"archive member {info.filename!r} is a symbolic link")
                if rel is None or info.is_dir() or (members is not None and rel not in members):
                    continue
                _inside(target, rel)
                plan.append((rel, info))
            return _write_plan(plan, target, lambda info: zf.open(info), expected or {})
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for info in tf.getmembers():
                rel = _safe_name(info.name, prefix)
                if info.issym() or info.islnk():
                    raise UnsafeArchiveError(f"archive member {info.name!r} is a link")
                if not (info.isfile() or info.isdir()):
                    raise UnsafeArchiveError(f"archive member {info.name!r} is not a regular file")
                if rel is None or info.isdir() or (members is not None and rel not in members):
                    continue
                _inside(target, rel)
                plan.append((rel, info))
            return _write_plan(plan, target, lambda info: tf.extractfile(info), expected or {})
    raise UnsafeArchiveError(f"{archive} is neither a zip nor a tar archive")


def _write_plan(
    plan: list[tuple[str, object]],
    target: Path,
    opener: Callable[[Any], BinaryIO],
    expected: Mapping[str, tuple[str | None, str | None]],
) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory(dir=target, prefix=".extract-") as tmp:
        staged: list[tuple[Path, Path]] = []
        for rel, info in plan:
            tmp_path = Path(tmp) / rel
            tmp_path.parent.mkdir(parents=True, exist_ok=True)
            with opener(info) as src, open(tmp_path, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            if rel in expected:
                verify_file(tmp_path, *expected[rel])
            staged.append((tmp_path, target / rel))
        for tmp_path, final in staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_path, final)
            written.append(final)
    return written
