"""Seconds per BPR epoch as data grows (100K, 1M and, with --scale, 10M interactions), ours beside
Cornac, and the peak memory of one epoch plus full-ranking nDCG@10 of every user at the largest size.

Each size runs in a fresh subprocess (`python benchmarks/scale.py WORKDIR`) that loads the prepared
leave-one-out split from an .npz file, so its peak resident memory (getrusage ru_maxrss) counts training
and evaluation only, not data generation.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from common import cornac_dataset, epoch_seconds, load_avg, record

from advrec.data import leave_one_out, synthetic
from advrec.evaluation import evaluate
from advrec.models import MatrixFactorization
from advrec.training import fit

# name -> (users, items, interactions)
SIZES = {
    "100K": (943, 1682, 100_000),
    "1M": (6040, 3706, 1_000_209),
    "10M": (60_000, 37_000, 10_000_000),
}
DIM, LR, REG = 64, 0.05, 0.01
MEMORY_BUDGET_GB = 4.0


def _save(path: Path, train: sp.csr_matrix, test: sp.csr_matrix) -> None:
    np.savez(
        path,
        shape=np.array(train.shape),
        train_indptr=train.indptr,
        train_indices=train.indices,
        test_indptr=test.indptr,
        test_indices=test.indices,
    )


def _load(path: Path) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    z = np.load(path)
    shape = tuple(int(v) for v in z["shape"])
    mats = []
    for part in ("train", "test"):
        indices = z[f"{part}_indices"]
        mats.append(
            sp.csr_matrix((np.ones(len(indices), np.float32), indices, z[f"{part}_indptr"]), shape=shape)
        )
    return mats[0], mats[1]


def worker(path: Path, threads: int) -> dict[str, Any]:
    """Run in the subprocess: one timed epoch, full-ranking nDCG@10, peak memory; epoch times vs Cornac."""
    import cornac

    torch.set_num_threads(threads)
    train, test = _load(path)
    model = MatrixFactorization(*train.shape, DIM, bias=True)
    start = time.perf_counter()
    fit(model, train, engine="fast", lr=LR, reg=REG, epochs=1, threads=threads)
    first = time.perf_counter() - start
    start = time.perf_counter()
    ndcg = evaluate(model, train, test, ("NDCG",), (10,)).summary()["NDCG@10"]
    eval_s = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    out = {"peak_gb": peak_gb, "first_fit_s": first, "eval_s": eval_s, "ndcg": ndcg, "nnz": int(train.nnz)}

    def ours(epochs: int) -> None:
        model = MatrixFactorization(*train.shape, DIM, bias=True)
        fit(model, train, engine="fast", lr=LR, reg=REG, epochs=epochs, threads=threads)

    data = cornac_dataset(train)

    def cornac_bpr(epochs: int) -> None:
        model = cornac.models.BPR(
            k=DIM, max_iter=epochs, learning_rate=LR, lambda_reg=REG, num_threads=threads, verbose=False
        )
        model.fit(data)

    times = epoch_seconds({"ours": ours, "cornac": cornac_bpr}, extra=2, repeats=2)
    out["ours_epoch_s"], out["cornac_epoch_s"] = times["ours"], times["cornac"]
    return out


def run(scale: bool = False, threads: int = 2) -> list[dict[str, Any]]:
    """Epoch-time records per size and, for the largest size run, a peak-memory record."""
    names = list(SIZES) if scale else ["100K", "1M"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            n_users, n_items, n = SIZES[name]
            split = leave_one_out(synthetic(n_users, n_items, n, seed=0), mode="latest")
            path = Path(tmp) / f"{name}.npz"
            _save(path, split.train.to_csr(), split.test.to_csr())
            del split
            proc = subprocess.run(
                [sys.executable, __file__, str(path), str(threads)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"scale worker for {name} failed:\n{proc.stderr[-3000:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            dataset = f"synthetic {n_users} x {n_items}, {name}"
            note = f"{threads} threads, dim {DIM}, train {res['nnz']} interactions, {load_avg()}"
            out.append(
                record(
                    "scale",
                    dataset,
                    "seconds per BPR epoch",
                    res["ours_epoch_s"],
                    "cornac BPR",
                    res["cornac_epoch_s"],
                    "s",
                    note=note,
                )
            )
            if name == names[-1]:
                out.append(
                    record(
                        "scale",
                        dataset,
                        "peak RSS GB: 1 BPR epoch + full-ranking nDCG@10 of all users",
                        res["peak_gb"],
                        "budget",
                        MEMORY_BUDGET_GB,
                        "GB",
                        note=f"{note}; first fit (with set-up) {res['first_fit_s']:.2f} s, "
                        f"evaluation {res['eval_s']:.2f} s, nDCG@10 {res['ndcg']:.4f}",
                    )
                )
    return out


if __name__ == "__main__":
    print(json.dumps(worker(Path(sys.argv[1]), int(sys.argv[2]))))
