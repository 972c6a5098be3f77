"""Readers: one function per distributed file layout, turning the files into `Interactions` or `Split`.

Each reader takes the resolved paths of its spec's `inputs` (in that order) plus the spec's options and
knows the exact format of the files (separator, encoding, header, id base) as documented by their
publishers; the loader adds the dataset name and checksum.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import FormatError
from .interactions import Interactions, Split

Reader = Callable[..., "Interactions | Split"]
READERS: dict[str, Reader] = {}


def reader(name: str) -> Callable[[Reader], Reader]:
    """Register a reader function under `name` (the `reader` field of a `DatasetSpec`)."""

    def wrap(fn: Reader) -> Reader:
        READERS[name] = fn
        return fn

    return wrap


def _table(
    path: Path,
    sep: str,
    names: list[str],
    *,
    header: bool = False,
    encoding: str = "utf-8",
    dtype: Any = None,
) -> pd.DataFrame:
    """A delimited file with known layout; '::' is rewritten to a tab so the fast C parser applies."""
    try:
        if len(sep) > 1:
            text = path.read_bytes().decode(encoding).replace(sep, "\t")
            from io import StringIO

            return pd.read_csv(
                StringIO(text),
                sep="\t",
                names=names,
                header=0 if header else None,
                dtype=dtype,
                quoting=csv.QUOTE_NONE,
                keep_default_na=False,
            )
        return pd.read_csv(
            path,
            sep=sep,
            names=names,
            header=0 if header else None,
            encoding=encoding,
            dtype=dtype,
            quoting=csv.QUOTE_NONE,
            keep_default_na=False,
            skipinitialspace=sep == " ",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as err:
        raise FormatError(f"could not parse {path} as {sep!r}-separated {names}: {err}") from None


def _align(frame: pd.DataFrame, key: str, ids: np.ndarray) -> pd.DataFrame:
    """Rows of a side table reordered to follow the dense ids (`ids[d]` = original id of dense d)."""
    out = frame.drop_duplicates(key).set_index(key).reindex(ids)
    return out.reset_index()


def _edges(left: np.ndarray, right: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Dense (E, 2) edges between entities of `ids`; edges touching an unknown id are dropped."""
    order = np.argsort(ids)
    sorted_ids = ids[order]
    out = []
    for col in (left, right):
        pos = np.clip(np.searchsorted(sorted_ids, col), 0, len(ids) - 1)
        out.append(np.where(sorted_ids[pos] == col, order[pos], -1))
    edges = np.stack(out, axis=1).astype(np.int64)
    return edges[(edges >= 0).all(axis=1)]


def _lookup(col: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Dense ids of original ids `col` (-1 where unknown)."""
    order = np.argsort(ids)
    sorted_ids = ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, col), 0, len(ids) - 1)
    return np.where(sorted_ids[pos] == col, order[pos], -1).astype(np.int64)


# ---------------------------------------------------------------- MovieLens


def _ml100k_side(
    user_path: Path,
    item_path: Path,
    genre_path: Path,
    occ_path: Path,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
) -> dict[str, Any]:
    users = _table(
        user_path, "|", ["user_id", "age", "gender", "occupation", "zip_code"], dtype={"zip_code": str}
    )
    genres = [ln.split("|")[0] for ln in genre_path.read_text(encoding="latin-1").splitlines() if ln.strip()]
    items = _table(
        item_path,
        "|",
        ["item_id", "title", "release_date", "video_release_date", "url", *genres],
        encoding="latin-1",
    )
    occupations = [ln.strip() for ln in occ_path.read_text(encoding="latin-1").splitlines() if ln.strip()]
    item_features = _align(items, "item_id", item_ids)
    flags = item_features[genres].fillna(0).to_numpy(dtype=np.int8).astype(bool)
    return {
        "user_features": _align(users, "user_id", user_ids),
        "item_features": item_features.drop(columns=genres),
        "item_genres": flags,
        "genre_names": genres,
        "occupation_names": occupations,
    }


@reader("ml100k")
def read_ml100k(data: Path, user: Path, item: Path, genre: Path, occupation: Path) -> Interactions:
    """MovieLens 100K `u.data` (tab: user, item, rating, time) with demographics and genres."""
    r = _table(data, "\t", ["user", "item", "rating", "timestamp"])
    out = Interactions.from_raw(
        r.user.to_numpy(), r.item.to_numpy(), r.rating.to_numpy(), r.timestamp.to_numpy()
    )
    return out.replace(side=_ml100k_side(user, item, genre, occupation, out.user_ids, out.item_ids))


@reader("ml100k_split")
def read_ml100k_split(
    base: Path, test: Path, user: Path, item: Path, genre: Path, occupation: Path, *, part: str
) -> Split:
    """An official MovieLens 100K split (uN.base / uN.test) over the full 943 x 1,682 id space."""
    users = _table(user, "|", ["user_id", "age", "gender", "occupation", "zip_code"], dtype={"zip_code": str})
    items = pd.read_csv(item, sep="|", header=None, usecols=[0], encoding="latin-1")[0].to_numpy()
    user_ids, item_ids = np.sort(users.user_id.to_numpy()), np.sort(items)
    side = _ml100k_side(user, item, genre, occupation, user_ids, item_ids)
    parts = []
    for path in (base, test):
        r = _table(path, "\t", ["user", "item", "rating", "timestamp"])
        parts.append(
            Interactions.from_raw(
                r.user.to_numpy(),
                r.item.to_numpy(),
                r.rating.to_numpy(),
                r.timestamp.to_numpy(),
                user_ids=user_ids,
                item_ids=item_ids,
                side=side,
            )
        )
    return Split(
        parts[0], parts[1], protocol="ratio-80-20-random" if part[1].isdigit() else "10-per-user-test"
    )


ML1M_AGES = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}
ML1M_OCCUPATIONS = (
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)


@reader("ml1m")
def read_ml1m(ratings: Path, users: Path, movies: Path) -> Interactions:
    """MovieLens 1M (`::`-separated ratings, users, movies) with demographics and genres."""
    r = _table(ratings, "::", ["user", "item", "rating", "timestamp"])
    out = Interactions.from_raw(
        r.user.to_numpy(), r.item.to_numpy(), r.rating.to_numpy(), r.timestamp.to_numpy()
    )
    u = _table(users, "::", ["user_id", "gender", "age", "occupation", "zip_code"], dtype={"zip_code": str})
    m = _table(movies, "::", ["item_id", "title", "genres"], encoding="latin-1")
    genres = sorted({g for gs in m.genres for g in gs.split("|") if g})
    item_features = _align(m, "item_id", out.item_ids)
    flags = np.array([[g in str(gs).split("|") for g in genres] for gs in item_features.genres], dtype=bool)
    return out.replace(
        side={
            "user_features": _align(u, "user_id", out.user_ids),
            "item_features": item_features,
            "item_genres": flags.reshape(out.n_items, len(genres)),
            "genre_names": genres,
            "occupation_names": list(ML1M_OCCUPATIONS),
            "age_groups": dict(ML1M_AGES),
        }
    )


# ---------------------------------------------------------------- trust / social datasets


@reader("filmtrust")
def read_filmtrust(ratings: Path, trust: Path) -> Interactions:
    """FilmTrust `ratings.txt` (space: user item rating) and the directed trust links of `trust.txt`.

    `side["trust"]` holds the links between users who rate (dense ids); `side["trust_raw"]` every link
    with the original ids (some trust users rate nothing).
    """
    r = _table(ratings, " ", ["user", "item", "rating"])
    t = _table(trust, " ", ["trustor", "trustee", "value"])
    out = Interactions.from_raw(r.user.to_numpy(), r.item.to_numpy(), r.rating.to_numpy())
    edges = _edges(t.trustor.to_numpy(), t.trustee.to_numpy(), out.user_ids)
    return out.replace(side={"trust": edges, "trust_raw": t})


@reader("ciaodvd")
def read_ciaodvd(ratings: Path, trusts: Path) -> Interactions:
    """CiaoDVD `movie-ratings.txt` (user, movie, genre, review, rating, date) and `trusts.txt`."""
    r = _table(ratings, ",", ["user", "item", "genre", "review", "rating", "date"])
    times = (pd.to_datetime(r.date, format="%Y-%m-%d", utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(
        seconds=1
    )
    out = Interactions.from_raw(r.user.to_numpy(), r.item.to_numpy(), r.rating.to_numpy(), times.to_numpy())
    t = _table(trusts, ",", ["trustor", "trustee", "value"])
    genre = r[["item", "genre"]].rename(columns={"item": "item_id"})
    return out.replace(
        side={
            "item_features": _align(genre, "item_id", out.item_ids),
            "trust": _edges(t.trustor.to_numpy(), t.trustee.to_numpy(), out.user_ids),
            "trust_raw": t,
        }
    )


@reader("lastfm")
def read_lastfm(user_artists: Path, artists: Path, friends: Path, tags: Path, tagged: Path) -> Interactions:
    """HetRec Last.fm 2K: play counts as values, artists, friends and tag assignments.

    `side["tag_assignments"]` has one row per (user, artist, tag) with dense `user`/`item` (item -1 for
    artists nobody listened to), `artist_id`, `tag_id` and `date`; `side["tags"]` maps tag ids to names.
    """
    ua = _table(user_artists, "\t", ["user", "item", "weight"], header=True)
    out = Interactions.from_raw(ua.user.to_numpy(), ua.item.to_numpy(), ua.weight.to_numpy())
    art = _table(artists, "\t", ["item_id", "name", "url", "picture_url"], header=True)
    fr = _table(friends, "\t", ["user", "friend"], header=True)
    tg = _table(tags, "\t", ["tag_id", "tag"], header=True, encoding="latin-1")
    ta = _table(tagged, "\t", ["user", "artist_id", "tag_id", "day", "month", "year"], header=True)
    dates = pd.to_datetime(
        {"year": ta.year.clip(lower=1678), "month": ta.month.clip(1, 12), "day": ta.day.clip(1, 31)},
        errors="coerce",
    )
    assignments = pd.DataFrame(
        {
            "user": _lookup(ta.user.to_numpy(), out.user_ids),
            "item": _lookup(ta.artist_id.to_numpy(), out.item_ids),
            "artist_id": ta.artist_id.to_numpy(),
            "tag_id": ta.tag_id.to_numpy(),
            "date": dates,
        }
    )
    return out.replace(
        side={
            "item_features": _align(art, "item_id", out.item_ids),
            "friends": _edges(fr.user.to_numpy(), fr.friend.to_numpy(), out.user_ids),
            "tags": tg,
            "tag_assignments": assignments,
        }
    )


# ---------------------------------------------------------------- raw web-scale sources


@reader("gowalla")
def read_gowalla(checkins: Path) -> Interactions:
    """SNAP Gowalla check-ins (tab: user, ISO time, latitude, longitude, location id), one row each."""
    c = _table(checkins, "\t", ["user", "time", "lat", "lon", "location"])
    times = (pd.to_datetime(c.time, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    out = Interactions.from_raw(c.user.to_numpy(), c.location.to_numpy(), None, times.to_numpy())
    loc = c[["location", "lat", "lon"]].rename(columns={"location": "item_id"})
    return out.replace(side={"item_features": _align(loc, "item_id", out.item_ids)})


def _json_lines(path: Path, fields: tuple[str, ...]) -> pd.DataFrame:
    opener = gzip.open if path.suffix == ".gz" else open
    cols: dict[str, list[Any]] = {f: [] for f in fields}
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                try:  # some Amazon 2014 files hold Python literals (single quotes) rather than JSON
                    rec = ast.literal_eval(line)
                except (ValueError, SyntaxError):
                    raise FormatError(f"{path}, line {lineno}: not a JSON object ({err})") from None
            for f in fields:
                if f not in rec:
                    raise FormatError(f"{path}, line {lineno}: field {f!r} missing")
                cols[f].append(rec[f])
    return pd.DataFrame(cols)


@reader("yelp")
def read_yelp(reviews: Path) -> Interactions:
    """Yelp Open Dataset reviews (JSON lines: user_id, business_id, stars, date) as ratings."""
    r = _json_lines(reviews, ("user_id", "business_id", "stars", "date"))
    times = (pd.to_datetime(r.date, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return Interactions.from_raw(
        r.user_id.to_numpy(), r.business_id.to_numpy(), r.stars.to_numpy(), times.to_numpy()
    )


@reader("amazon_ratings")
def read_amazon_ratings(ratings: Path) -> Interactions:
    """Amazon 2014 ratings-only CSV (no header: user, item, rating, unix time)."""
    r = _table(ratings, ",", ["user", "item", "rating", "timestamp"], dtype={"user": str, "item": str})
    return Interactions.from_raw(
        r.user.to_numpy(), r.item.to_numpy(), r.rating.to_numpy(), r.timestamp.to_numpy()
    )


@reader("amazon_reviews")
def read_amazon_reviews(reviews: Path) -> Interactions:
    """Amazon 2014 review JSON lines (reviewerID, asin, overall, unixReviewTime), e.g. a 5-core file."""
    r = _json_lines(reviews, ("reviewerID", "asin", "overall", "unixReviewTime"))
    return Interactions.from_raw(
        r.reviewerID.to_numpy(), r.asin.to_numpy(), r.overall.to_numpy(), r.unixReviewTime.to_numpy()
    )


# ---------------------------------------------------------------- the papers' released splits


def _dense_parts(
    frames: list[pd.DataFrame],
    *,
    n_users: int | None = None,
    n_items: int | None = None,
    side: dict | None = None,
) -> list[Interactions]:
    """Parts whose ids are already dense 0-based integers, sized to the largest id of any part."""
    n_users = n_users or max(int(f.user.max()) for f in frames if len(f)) + 1
    n_items = n_items or max(int(f.item.max()) for f in frames if len(f)) + 1
    out = []
    for f in frames:
        values = f.rating.to_numpy() if "rating" in f else None
        times = f.timestamp.to_numpy() if "timestamp" in f else None
        out.append(
            Interactions.from_dense(
                f.user.to_numpy(),
                f.item.to_numpy(),
                values,
                times,
                n_users=n_users,
                n_items=n_items,
                side=side or {},
            )
        )
    return out


def _id_lists(path: Path) -> dict[int, np.ndarray]:
    """AUSH `<key>\\t<comma separated ids>` files as {key: ids}."""
    out: dict[int, np.ndarray] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, _, rest = line.partition("\t")
            out[int(key)] = np.array([int(x) for x in rest.split(",") if x.strip()], dtype=np.int64)
    return out


@reader("aush")
def read_aush(train: Path, test: Path, selected: Path, targets: Path) -> Split:
    """AUSH/Leg-UP released split (tab: user item rating, 0-based) with the attack's target files.

    `side["target_items"]` lists the attacked items, `side["selected_items"]` maps each target to the
    items the attacker's profiles are built around and, where released, `side["target_users"]` maps each
    target to the users whose recommendations are attacked.
    """
    frames = [_table(p, "\t", ["user", "item", "rating"]) for p in (train, test)]
    tr, te = _dense_parts(frames)
    side: dict[str, Any] = {"selected_items": _id_lists(selected)}
    if targets.name.endswith("_target_users"):
        side["target_users"] = _id_lists(targets)
        side["target_items"] = np.array(sorted(side["target_users"]), dtype=np.int64)
    else:
        side["target_items"] = np.array([int(x) for x in targets.read_text().split()], dtype=np.int64)
    return Split(tr, te, protocol="released-train-test", side=side)


def _ncf_negatives(path: Path) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            head, *negs = line.split("\t")
            user = int(head.strip("()").split(",")[0])
            out[user] = np.array([int(x) for x in negs if x.strip()], dtype=np.int64)
    return out


@reader("ncf")
def read_ncf(train: Path, test: Path, negatives: Path) -> Split:
    """NCF/APR files: `*.rating` (tab: user item rating time, 0-based) and `*.test.negative`.

    `side["test_negatives"]` is an int64 array (n_users, k): row u holds the sampled negatives released
    for user u's test item (-1 rows for users without a test item).
    """
    names = ["user", "item", "rating", "timestamp"]
    frames = [_table(p, "\t", names) for p in (train, test)]
    negs = _ncf_negatives(negatives)
    n_items = max(max(int(f.item.max()) for f in frames), max(int(v.max()) for v in negs.values())) + 1
    tr, te = _dense_parts(frames, n_items=n_items)
    k = max(len(v) for v in negs.values())
    table = np.full((tr.n_users, k), -1, dtype=np.int64)
    for user, items in negs.items():
        table[user, : len(items)] = items
    return Split(tr, te, protocol="leave-one-out-latest", side={"test_negatives": table})


@reader("apl")
def read_apl(train: Path, test: Path) -> Split:
    """APL released split (space: user item 1, 0-based), implicit."""
    frames = [_table(p, " ", ["user", "item", "rating"]) for p in (train, test)]
    tr, te = _dense_parts(frames)
    return Split(tr, te, protocol="released-train-test")


@reader("irgan")
def read_irgan(train: Path, test: Path, user_emb: Path, item_emb: Path, item_bias: Path) -> Split:
    """IRGAN's split (tab: user item rating, 0-based) and its pre-trained generator initialisation.

    The id space has 1,683 items as in IRGAN's code (`ITEM_NUM = 1683`; item 1682 is never rated), so the
    pre-trained tables in `side["pretrained"]` line up with the dense ids.
    """
    frames = [_table(p, "\t", ["user", "item", "rating"]) for p in (train, test)]
    emb = {
        "user_embeddings": pd.read_csv(user_emb, sep="\t").to_numpy(np.float32)[:, 1:],
        "item_embeddings": pd.read_csv(item_emb, sep="\t").to_numpy(np.float32)[:, 1:],
        "item_bias": pd.read_csv(item_bias, sep="\t").to_numpy(np.float32)[:, 1],
    }
    tr, te = _dense_parts(frames, n_items=emb["item_embeddings"].shape[0])
    return Split(tr, te, protocol="released-train-test", side={"pretrained": emb})


@reader("cfgan")
def read_cfgan(train: Path, test: Path) -> Split:
    """CFGAN released split (space: user item rating, CRLF, 0-based)."""
    frames = [_table(p, " ", ["user", "item", "rating"]) for p in (train, test)]
    tr, te = _dense_parts(frames)
    return Split(tr, te, protocol="released-train-test")


@reader("cofigan")
def read_cofigan(train: Path, test: Path) -> Split:
    """CoFiGAN ML100K copy-1 split (space: user item, MovieLens ids) over its 943 x 1,682 id space."""
    frames = [_table(p, " ", ["user", "item"]) for p in (train, test)]
    user_ids, item_ids = np.arange(1, 944, dtype=np.int64), np.arange(1, 1683, dtype=np.int64)
    parts = [
        Interactions.from_raw(f.user.to_numpy(), f.item.to_numpy(), user_ids=user_ids, item_ids=item_ids)
        for f in frames
    ]
    return Split(parts[0], parts[1], protocol="released-train-test")


@reader("ganvaecf")
def read_ganvaecf(
    train: Path,
    valid_tr: Path,
    valid_te: Path,
    test_tr: Path,
    test_te: Path,
    profiles: Path,
    item2id: Path,
    niche: Path,
) -> Split:
    """Long-Tail-GAN's Ask Ubuntu sample under strong generalisation.

    train = the training users' pairs; valid / test = the held-out pairs of validation / test users, whose
    fold-in pairs (given to the model at evaluation time) are `side["fold_in_valid"]` /
    `side["fold_in_test"]`.
    Users are renumbered densely (original uids kept in `user_ids`); items are the 1,000 sids.
    `side["niche_items"]` holds the sids of the 900 long-tail tags.
    """
    frames = [pd.read_csv(p) for p in (train, valid_tr, valid_te, test_tr, test_te)]
    user_ids = np.unique(np.concatenate([f.uid.to_numpy() for f in frames]))
    item_map = _table(item2id, "\t", ["raw", "sid"])
    item_ids = np.sort(item_map.sid.to_numpy())
    parts = [
        Interactions.from_raw(f.uid.to_numpy(), f.sid.to_numpy(), user_ids=user_ids, item_ids=item_ids)
        for f in frames
    ]
    niche_raw = np.array([int(x) for x in niche.read_text().split()], dtype=np.int64)
    niche_sids = _lookup(niche_raw, item_map.raw.to_numpy())
    side = {
        "fold_in_valid": parts[1],
        "fold_in_test": parts[3],
        "niche_items": np.sort(item_map.sid.to_numpy()[niche_sids[niche_sids >= 0]]),
        "item_raw_ids": item_map.sort_values("sid").raw.to_numpy(),
        "train_profiles": _table(profiles, "\t", ["raw_user", "uid"]),
    }
    return Split(parts[0], parts[4], parts[2], protocol="strong-generalisation", side=side)


@reader("graphgan")
def read_graphgan(train: Path, test: Path, negatives: Path) -> Split:
    """GraphGAN link-prediction edges (tab: node node, 0-based) as node x node interactions.

    Users and items are the same 5,242 nodes; `side["test_negatives"]` is the (E, 2) array of sampled
    non-edges the accuracy is measured against.
    """
    frames = [_table(p, "\t", ["user", "item"]) for p in (train, test, negatives)]
    n = max(max(int(f.user.max()), int(f.item.max())) for f in frames) + 1
    tr, te = _dense_parts(frames[:2], n_users=n, n_items=n)
    neg = frames[2][["user", "item"]].to_numpy(np.int64)
    return Split(tr, te, protocol="link-prediction", side={"test_negatives": neg})


@reader("dpr")
def read_dpr(
    train: Path, valid: Path, test: Path, users: Path, items: Path, groups: Path, genre_count: Path
) -> Split:
    """DPR released split (TSV with header user_id, item_id; implicit) with item groups.

    Items carry `item_groups` (bool, n_items x groups, in `key_genre` order) and `item_features`
    (raw id, key and all genres); users carry `user_genre_count` (RSP denominators). `side["groups"]`
    holds `groups.json` (key_genre, genre_count, key_genre_rating).
    """
    u = pd.read_csv(users, sep="\t", dtype={"raw_id": str})
    it = pd.read_csv(items, sep="\t", dtype={"raw_id": str}, keep_default_na=False)
    meta = json.loads(groups.read_text())
    key = list(meta["key_genre"])
    flags = np.array([[g in str(gs).split("|") for g in key] for gs in it.key_genres], dtype=bool)
    side = {
        "item_features": it,
        "item_groups": flags.reshape(len(it), len(key)),
        "user_genre_count": pd.read_csv(genre_count, sep="\t"),
        "user_features": u,
    }
    frames = [
        pd.read_csv(p, sep="\t").rename(columns={"user_id": "user", "item_id": "item"})
        for p in (train, valid, test)
    ]
    tr, va, te = _dense_parts(frames, n_users=len(u), n_items=len(it))
    parts = [
        p.replace(user_ids=u.raw_id.to_numpy(), item_ids=it.raw_id.to_numpy(), side=side)
        for p in (tr, va, te)
    ]
    return Split(parts[0], parts[2], parts[1], protocol="released-train-valid-test", side={"groups": meta})
