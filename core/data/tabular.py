"""A user's own CSV/TSV as a dataset: separator and header sniffed, columns recognised by common names.

`read_table` accepts what people actually have: `userId,movieId,rating,timestamp` with a header,
headerless `u.data`-style tab files, `::`-separated MovieLens 1M files, `;` or `|` separated exports,
space-separated lists, gzip/bz2/xz compressed; anything else through explicit `sep`, `header` and
`columns` options.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import FormatError
from .interactions import Interactions

ROLES = ("user", "item", "rating", "timestamp")
# Column names recognised per role, compared after lower-casing and removing non-alphanumerics.
COLUMN_ALIASES: dict[str, frozenset[str]] = {
    "user": frozenset(
        {
            "user",
            "userid",
            "users",
            "uid",
            "u",
            "reviewerid",
            "customerid",
            "customer",
            "visitorid",
            "profileid",
            "member",
            "memberid",
            "trustor",
            "source",
        }
    ),
    "item": frozenset(
        {
            "item",
            "itemid",
            "items",
            "iid",
            "i",
            "movieid",
            "movie",
            "artistid",
            "artist",
            "businessid",
            "business",
            "asin",
            "productid",
            "product",
            "trackid",
            "track",
            "sid",
            "songid",
            "song",
            "bookid",
            "isbn",
            "locationid",
            "location",
            "venueid",
            "poiid",
            "poi",
            "tagid",
            "trustee",
            "target",
        }
    ),
    "rating": frozenset(
        {
            "rating",
            "ratings",
            "score",
            "stars",
            "star",
            "value",
            "weight",
            "preference",
            "overall",
            "count",
            "playcount",
            "plays",
            "rate",
            "r",
            "feedback",
            "trustvalue",
            "movierating",
        }
    ),
    "timestamp": frozenset(
        {
            "timestamp",
            "time",
            "ts",
            "datetime",
            "date",
            "unixtime",
            "unixreviewtime",
            "reviewtime",
            "checkintime",
            "createdat",
            "t",
        }
    ),
}
SEPARATORS = ("::", "\t", ",", ";", "|", " ")
SNIFF_LINES = 50
SAMPLE_BYTES = 1 << 18


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _open(path: Path):
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    return openers.get(path.suffix.lower(), open)(path, "rb")


def _sample(path: Path, encoding: str | None) -> tuple[list[str], str]:
    """The first non-empty lines of a file (up to SNIFF_LINES + 1) and the encoding that decodes them."""
    with _open(path) as fh:
        raw = fh.read(SAMPLE_BYTES)
        if len(raw) == SAMPLE_BYTES and b"\n" in raw:
            raw = raw[: raw.rindex(b"\n")]
    if encoding is None:
        try:
            text, encoding = raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
    else:
        text = raw.decode(encoding)
    return [ln for ln in text.splitlines() if ln.strip()][: SNIFF_LINES + 1], encoding


def _parse(path: Path, sep: str, header: bool, encoding: str) -> pd.DataFrame:
    """The whole file as strings; '::' is rewritten to a tab so the fast C parser applies."""
    options = {
        "header": 0 if header else None,
        "dtype": str,
        "keep_default_na": False,
        "skip_blank_lines": True,
    }
    if sep == "::":
        with _open(path) as fh:
            text = fh.read().decode(encoding).replace("::", "\t")
        return pd.read_csv(io.StringIO(text), sep="\t", **options)
    return pd.read_csv(
        path, sep=r"\s+" if sep == " " else sep, encoding=encoding, compression="infer", **options
    )


def _fields(line: str, sep: str) -> list[str]:
    if sep == " ":
        return line.split()
    if sep == "::":
        return line.split("::")
    return next(csv.reader([line], delimiter=sep))


def sniff_separator(lines: list[str]) -> str:
    """The separator that splits every sample line into the same number (>= 2) of fields.

    Candidates are tried in the order '::', tab, ',', ';', '|', whitespace; raises `FormatError` when none
    is consistent.
    """
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        raise FormatError("cannot detect the separator of an empty file")
    for sep in SEPARATORS:
        counts = {len(_fields(line, sep)) for line in lines}
        if len(counts) == 1 and counts.pop() >= 2:
            return sep
    raise FormatError(
        "could not detect the separator: no candidate among '::', tab, ',', ';', '|', space splits every "
        "line into the same number of fields; pass sep=..."
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff_header(rows: list[list[str]]) -> bool:
    """True when the first row names the columns rather than holding data.

    It does when at least two of its fields are known column names, or when some column is numeric in
    every later row but not in the first.
    """
    if not rows:
        return False
    first = rows[0]
    known = set().union(*COLUMN_ALIASES.values())
    if sum(_norm(f) in known for f in first) >= 2:
        return True
    if len(rows) < 2:
        return not any(_is_number(f) for f in first)
    for col, value in enumerate(first):
        rest = [r[col] for r in rows[1:] if col < len(r)]
        if rest and not _is_number(value) and all(_is_number(v) for v in rest):
            return True
    return False


def _resolve_columns(
    names: list[str], header: bool, columns: Mapping[str, str | int] | None, path: Path
) -> dict[str, int]:
    """Map each role to a column position, from explicit options, then names, then position."""
    out: dict[str, int] = {}
    for role, spec in (columns or {}).items():
        if role not in ROLES:
            raise ValueError(f"columns: unknown role {role!r}; expected some of {ROLES}")
        if isinstance(spec, (int, np.integer)):
            if not 0 <= spec < len(names):
                raise ValueError(
                    f"columns[{role!r}] = {spec} is out of range for {len(names)} columns in {path}"
                )
            out[role] = int(spec)
        elif spec in names:
            out[role] = names.index(spec)
        else:
            raise ValueError(f"columns[{role!r}] = {spec!r} is not a column of {path}; columns are {names}")
    if header:
        for col, name in enumerate(names):
            for role in ROLES:
                if role not in out and col not in out.values() and _norm(name) in COLUMN_ALIASES[role]:
                    out[role] = col
    else:
        positional = {2: ("user", "item"), 3: ("user", "item", "rating")}.get(len(names), ROLES)
        for col, role in enumerate(positional):
            if role not in out and col not in out.values():
                out[role] = col
    for role in ("user", "item"):
        if role not in out:
            raise FormatError(
                f"no {role} column recognised in {path} (columns: {names}); name it e.g. "
                f"{sorted(COLUMN_ALIASES[role])[:6]} or pass columns={{{role!r}: NAME_OR_INDEX}}"
            )
    return out


def _ids(col: pd.Series) -> np.ndarray:
    """Integer ids when every id is a plain integer; strings otherwise (leading zeros keep them strings)."""
    text = col.to_numpy(dtype=str)
    digits = np.char.lstrip(text, "-")
    padded = (np.char.str_len(digits) > 1) & np.char.startswith(digits, "0")
    if text.size and np.char.isdigit(digits).all() and not padded.any():
        return text.astype(np.int64)
    return text.astype(object)


def _timestamps(col: pd.Series, path: Path, name: str) -> np.ndarray:
    numeric = pd.to_numeric(col, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy().astype(np.int64)
    try:
        times = pd.to_datetime(col, utc=True, format="mixed")
    except (ValueError, TypeError) as err:
        raise FormatError(f"column {name!r} of {path} holds neither numbers nor dates: {err}") from None
    return (times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def read_table(
    path: str | os.PathLike,
    *,
    sep: str | None = None,
    header: bool | None = None,
    columns: Mapping[str, str | int] | None = None,
    encoding: str | None = None,
    name: str | None = None,
) -> Interactions:
    """Load a delimited interaction file into `Interactions` (ids remapped densely, sorted).

    `sep` and `header` are detected when None. Columns are recognised by common names (userId, user_id,
    movieId, item_id, rating, timestamp, ...); without a header the order user, item[, rating[, time]] is
    assumed. `columns` maps roles ("user", "item", "rating", "timestamp") to column names or 0-based
    positions. Without a rating column every value is 1 (implicit feedback). Dates are converted to
    unix seconds. The checksum is the file's sha256.
    """
    from .download import file_sha256

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"interaction file not found: {path}")
    sample, detected = _sample(path, encoding)
    sep = sniff_separator(sample) if sep is None else sep
    rows = [_fields(ln, sep) for ln in sample]
    header = sniff_header(rows) if header is None else header
    try:
        try:
            frame = _parse(path, sep, header, detected)
        except UnicodeDecodeError:
            if encoding is not None:
                raise
            frame = _parse(path, sep, header, "latin-1")
    except (pd.errors.ParserError, ValueError) as err:
        raise FormatError(f"could not parse {path} with separator {sep!r}: {err}") from None
    names = [str(c) for c in frame.columns]
    roles = _resolve_columns(names, bool(header), columns, path)
    for role, col in roles.items():
        empty = frame.iloc[:, col].str.strip() == ""
        if role in ("user", "item") and empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 1 + int(bool(header))
            raise FormatError(f"{path}, line {row}: empty {role} id in column {names[col]!r}")
    values = None
    if "rating" in roles:
        raw = frame.iloc[:, roles["rating"]]
        numeric = pd.to_numeric(raw, errors="coerce")
        if numeric.isna().any():
            bad = raw[numeric.isna()].iloc[0]
            raise FormatError(
                f"column {names[roles['rating']]!r} of {path} holds a non-numeric rating {bad!r}"
            )
        values = numeric.to_numpy(dtype=np.float32)
    timestamps = None
    if "timestamp" in roles:
        timestamps = _timestamps(frame.iloc[:, roles["timestamp"]], path, names[roles["timestamp"]])
    return Interactions.from_raw(
        _ids(frame.iloc[:, roles["user"]]),
        _ids(frame.iloc[:, roles["item"]]),
        values,
        None if timestamps is None else np.asarray(timestamps, dtype=np.int64),
        name=name or path.name,
        checksum=file_sha256(path),
    )


def describe_columns(path: str | os.PathLike, **options: Any) -> dict[str, Any]:
    """What `read_table` would detect for a file: separator, header and the role of each column."""
    path = Path(path)
    sample, _ = _sample(path, options.get("encoding"))
    sep = options.get("sep") or sniff_separator(sample)
    rows = [_fields(ln, sep) for ln in sample]
    header = sniff_header(rows) if options.get("header") is None else options["header"]
    names = rows[0] if header else [str(i) for i in range(len(rows[0]))]
    roles = _resolve_columns(names, bool(header), options.get("columns"), path)
    return {"sep": sep, "header": bool(header), "columns": {r: names[c] for r, c in roles.items()}}
