"""Item content features for visually-aware recommenders (VBPR, AMR, TAaMR, VAR): load, extract, stand in.

VBPR (He & McAuley, AAAI 2016) and AMR (Tang et al., IEEE TKDE 2019) read one CNN feature vector per
item (ResNet-50 pool5 of the product image). `load_features` aligns precomputed vectors (.npz, .npy or
.csv keyed by item id) to a dataset's items; `extract_features` computes them from image files with a
torchvision backbone (torchvision is not a dependency of advrec: install it to use that path);
`tag_features` builds the offline stand-in used when no images exist: a TF-IDF + truncated-SVD embedding
of the tags users gave each item (e.g. HetRec Last.fm artist tags), dense and row-normalised like pooled
CNN features after L2 normalisation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

MISSING = ("error", "zero", "mean")


def align_features(ids: Sequence[Any], features: np.ndarray, item_ids: Sequence[Any],
                   missing: str = "error", source: str = "features") -> np.ndarray:
    """Rows of `features` (row r belongs to item `ids[r]`) reordered to follow `item_ids` (float32).

    Ids are matched by their string form, so 42 and "42" are the same item. An item of `item_ids` with
    no row raises (missing="error"), gets zeros ("zero") or the mean feature vector ("mean").
    """
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}, got {missing!r}")
    feats = np.asarray(features, dtype=np.float32)
    keys = [str(i) for i in ids]
    if feats.ndim != 2 or feats.shape[0] != len(keys):
        raise ValueError(f"{source}: expected a 2-D array with one row per id ({len(keys)} ids), "
                         f"got shape {feats.shape}")
    if not np.isfinite(feats).all():
        raise ValueError(f"{source}: features hold NaN or infinite values")
    position = pd.Series(np.arange(len(keys)), index=pd.Index(keys))
    if position.index.has_duplicates:
        dup = position.index[position.index.duplicated()][0]
        raise ValueError(f"{source}: item id {dup!r} has more than one feature row")
    rows = position.reindex([str(i) for i in item_ids]).to_numpy()
    absent = np.isnan(rows)
    if absent.any() and missing == "error":
        examples = [str(item_ids[i]) for i in np.flatnonzero(absent)[:5]]
        raise ValueError(f"{source}: {int(absent.sum())} of {len(rows)} items have no feature row "
                         f"(e.g. ids {', '.join(examples)}); pass missing='zero' or 'mean' to fill them")
    out = np.zeros((len(rows), feats.shape[1]), dtype=np.float32)
    out[~absent] = feats[rows[~absent].astype(np.int64)]
    if absent.any() and missing == "mean":
        out[absent] = feats.mean(axis=0)
    return out


def load_features(path: str | os.PathLike[str], item_ids: Sequence[Any], *, ids: Sequence[Any] | None = None,
                  missing: str = "error") -> np.ndarray:
    """Precomputed item features from `path`, aligned to `item_ids` (a dataset's original item ids).

    Formats: .npz with arrays `ids` and `features`; .npy holding the [n, F] matrix, with its row ids given
    by `ids`; .csv/.tsv whose first column is the item id and the others the features (a header row is
    detected when its feature cells are not numbers). `missing` as in `align_features`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"feature file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            absent = [k for k in ("ids", "features") if k not in archive.files]
            if absent:
                raise ValueError(f"{path}: .npz must hold arrays 'ids' and 'features'; missing {absent}")
            row_ids, feats = archive["ids"].tolist(), archive["features"]
    elif suffix == ".npy":
        if ids is None:
            raise ValueError(f"{path}: a .npy file holds no item ids; pass ids=[the item id of each row]")
        row_ids, feats = list(ids), np.load(path, allow_pickle=False)
    elif suffix in (".csv", ".tsv"):
        row_ids, feats = _read_table(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise ValueError(f"{path}: unsupported feature file type {suffix!r}; use .npz, .npy, .csv or .tsv")
    return align_features(row_ids, feats, item_ids, missing=missing, source=str(path))


def _read_table(path: Path, sep: str) -> tuple[list[Any], np.ndarray]:
    table = pd.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False)
    if table.shape[1] < 2:
        raise ValueError(f"{path}: expected an item id column and at least one feature column")
    values = table.iloc[:, 1:].apply(pd.to_numeric, errors="coerce")
    if values.iloc[0].isna().all():
        table, values = table.iloc[1:], values.iloc[1:]
    if values.isna().to_numpy().any():
        row = int(np.flatnonzero(values.isna().any(axis=1).to_numpy())[0])
        raise ValueError(f"{path}: row {row + 1} of the data has a feature that is not a number")
    return table.iloc[:, 0].tolist(), values.to_numpy(dtype=np.float32)


def extract_features(images: Mapping[Any, str | os.PathLike[str]], item_ids: Sequence[Any], *,
                     backbone: str = "resnet50", weights: str | os.PathLike[str] | None = None,
                     batch_size: int = 32, device: str = "cpu", missing: str = "error") -> np.ndarray:
    """Pooled CNN features of item images ({item id: image path}), aligned to `item_ids`.

    The backbone is a torchvision classification model (`backbone` names it, e.g. "resnet50" as in VBPR
    and AMR) with its classifier removed; `weights` is a local state-dict file (offline), else
    torchvision's default pretrained weights are downloaded. Images are resized to 256, centre-cropped to
    224 and normalised with ImageNet statistics. Needs torchvision and Pillow.
    """
    try:
        import torchvision
        from PIL import Image
    except ImportError as err:
        raise ImportError("extract_features needs torchvision and Pillow, which advrec does not install: "
                          "`pip install torchvision pillow` (matching your torch version), or precompute the "
                          f"features and read them with load_features ({err.name} is missing)") from None
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    import torch

    builder = getattr(torchvision.models, backbone, None)
    if builder is None:
        raise ValueError(f"backbone {backbone!r} is not a torchvision.models constructor")
    model = builder(weights=None if weights is not None else "DEFAULT")
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu"))
    for head in ("fc", "classifier", "head"):
        if hasattr(model, head):
            setattr(model, head, torch.nn.Identity())
    model = model.eval().to(device)
    from torchvision import transforms

    prepare = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    keys = list(images)
    rows = []
    with torch.no_grad():
        for start in range(0, len(keys), batch_size):
            batch = [prepare(Image.open(images[k]).convert("RGB")) for k in keys[start:start + batch_size]]
            rows.append(model(torch.stack(batch).to(device)).flatten(1).cpu().numpy())
    feats = np.concatenate(rows) if rows else np.zeros((0, 1), dtype=np.float32)
    return align_features(keys, feats, item_ids, missing=missing, source="extracted image features")


def tag_features(items: np.ndarray, tags: np.ndarray, n_items: int, dim: int = 64,
                 seed: int = 0) -> np.ndarray:
    """Dense content features from tag assignments (one (item, tag) pair per assignment): [n_items, dim].

    Counts per (item, tag) are weighted log(1 + count) * log(n_tagged_items / df(tag)) (TF-IDF), reduced
    to `dim` dimensions by a randomized truncated SVD (Halko et al., SIAM Review 2011; signs fixed so each
    component's largest loading is positive) and every row scaled to unit L2 norm; items without tags (or
    whose tags the kept components do not span) get zero rows. Deterministic for a given `seed`.
    """
    items = np.asarray(items)
    tags = np.asarray(tags)
    if items.shape != tags.shape or items.ndim != 1:
        raise ValueError(f"items and tags must be 1-D arrays of the same length, got {items.shape} and "
                         f"{tags.shape}")
    if len(items) and (items.min() < 0 or items.max() >= n_items):
        raise ValueError(f"items must be dense item ids in [0, {n_items}); drop assignments of unknown items")
    _, tag_col = np.unique(tags, return_inverse=True)
    n_tags = int(tag_col.max()) + 1 if len(tag_col) else 0
    if not isinstance(dim, int) or dim < 1 or dim >= min(n_items, n_tags):
        raise ValueError(f"dim must be an integer in [1, min(n_items, n_tags) - 1] = "
                         f"[1, {min(n_items, n_tags) - 1}], got {dim!r}")
    counts = sp.csr_matrix((np.ones(len(items)), (items.astype(np.int64), tag_col)), shape=(n_items, n_tags))
    counts.sum_duplicates()
    tagged = int((counts.getnnz(axis=1) > 0).sum())
    idf = np.log(tagged / counts.getnnz(axis=0))
    tfidf = sp.csr_matrix((np.log1p(counts.data), counts.indices, counts.indptr), shape=counts.shape)
    tfidf = tfidf @ sp.diags(idf)
    u, s, vt = _randomized_svd(tfidf, dim, np.random.default_rng(seed))
    signs = np.sign(vt[np.arange(dim), np.abs(vt).argmax(axis=1)])
    emb = (u * s) * signs
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    nonzero = norms > 1e-9 * max(float(norms.max(initial=0.0)), np.finfo(float).tiny)
    return np.where(nonzero, emb / np.where(nonzero, norms, 1.0), 0.0).astype(np.float32)


def _randomized_svd(a: sp.csr_matrix, k: int, rng: np.random.Generator, oversample: int = 10,
                    power_iterations: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-`k` singular triplets of `a` by a randomized range finder with power iterations.

    The dense factorisations run in torch, so they follow `torch.set_num_threads` (numpy's BLAS may
    oversubscribe a shared machine).
    """
    import torch

    def orthonormal(x: np.ndarray) -> np.ndarray:
        return torch.linalg.qr(torch.from_numpy(np.ascontiguousarray(x))).Q.numpy()

    q = orthonormal(a @ rng.standard_normal((a.shape[1], min(k + oversample, min(a.shape)))))
    for _ in range(power_iterations):
        q = orthonormal(a @ orthonormal(a.T @ q))
    u_small, s, vt = (t.numpy() for t in torch.linalg.svd(torch.from_numpy(np.ascontiguousarray((a.T @ q).T)),
                                                            full_matrices=False))
    return (q @ u_small)[:, :k], s[:k], vt[:k]
