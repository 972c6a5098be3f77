"""Seconds per BPR epoch and per full-ranking evaluation, ours beside Cornac, implicit and RecBole.

ML-1M-shaped synthetic data (advrec.data.synthetic: 6,040 users, 3,706 items, 1,000,209 interactions),
dimension 64, the same number of threads for every library. An epoch is one pass of per-sample SGD over
as many samples as interactions; its time is (time of 11 epochs - time of 1) / 10, so set-up costs
(data conversion, compilation) are left out for every library alike, best of 3 rounds measured in
alternation. Evaluation: nDCG@10 of every user
under full ranking with training items excluded, on a 80/20 per-user random split, each library with
its own evaluator.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import torch
from common import cornac_dataset, epoch_seconds, load_avg, record, seconds

from advrec.data import ratio_split, synthetic
from advrec.evaluation import evaluate
from advrec.models import MatrixFactorization
from advrec.training import fit

N_USERS, N_ITEMS, N_INTERACTIONS, DIM, LR, REG = 6040, 3706, 1_000_209, 64, 0.05, 0.01
DATASET = "synthetic ML-1M-shaped (6040 x 3706, 1M)"


def _ours(train: Any, threads: int, epsilon: float = 0.0) -> MatrixFactorization:
    def train_for(epochs: int) -> MatrixFactorization:
        model = MatrixFactorization(*train.shape, DIM, bias=True)
        fit(
            model,
            train,
            engine="fast",
            lr=LR,
            reg=REG,
            epochs=epochs,
            threads=threads,
            apr_epsilon=epsilon,
            apr_lambda=1.0 if epsilon else 0.0,
        )
        return model

    return train_for


def _cornac(train: Any, threads: int):
    import cornac

    data = cornac_dataset(train)

    def train_for(epochs: int):
        model = cornac.models.BPR(
            k=DIM, max_iter=epochs, learning_rate=LR, lambda_reg=REG, num_threads=threads, verbose=False
        )
        return model.fit(data)

    return train_for


def _implicit(train: Any, threads: int):
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    user_items = train.astype(np.float32).tocsr()

    def train_for(epochs: int):
        model = BayesianPersonalizedRanking(
            factors=DIM,
            learning_rate=LR,
            regularization=REG,
            iterations=epochs,
            num_threads=threads,
            random_state=0,
        )
        model.fit(user_items, show_progress=False)
        return model

    return train_for


def _eval_peers(train: Any, test: Any, threads: int) -> dict[str, tuple[float, float]]:
    """(seconds, nDCG@10) of each peer's own evaluator on a model trained for one epoch."""
    import cornac
    from implicit.evaluation import ndcg_at_k

    out = {}
    model = _cornac(train, threads)(1)
    test_set = cornac_dataset(test)
    metric = cornac.metrics.NDCG(k=10)
    result: list[Any] = []
    elapsed = seconds(
        lambda: result.append(
            cornac.eval_methods.ranking_eval(
                model, [metric], model.train_set, test_set, exclude_unknowns=False
            )
        )
    )
    out["cornac ranking_eval"] = (elapsed, float(result[0][0][0]))
    model = _implicit(train, threads)(1)
    result.clear()
    elapsed = seconds(
        lambda: result.append(
            ndcg_at_k(
                model,
                train.astype(np.float32),
                test.astype(np.float32),
                K=10,
                show_progress=False,
                num_threads=threads,
            )
        )
    )
    out["implicit ndcg_at_k"] = (elapsed, float(result[0]))
    return out


def run(threads: int = 2) -> list[dict[str, Any]]:
    """Epoch and evaluation timing records, ours vs each installed peer."""
    torch.set_num_threads(threads)
    data = synthetic(N_USERS, N_ITEMS, N_INTERACTIONS, seed=0)
    train = data.to_csr()
    note = f"{threads} threads, dim {DIM}, {load_avg()}"
    times = epoch_seconds(
        {
            "ours BPR": _ours(train, threads),
            "ours APR": _ours(train, threads, epsilon=0.5),
            "cornac BPR": _cornac(train, threads),
            "implicit BPR": _implicit(train, threads),
        }
    )
    ours_bpr = times["ours BPR"]
    out = [
        record(
            "speed",
            DATASET,
            "APR epoch / BPR epoch (target <= 2.2)",
            times["ours APR"] / ours_bpr,
            "ours BPR",
            1.0,
            "ratio",
            ours_apr_s=times["ours APR"],
            ours_bpr_s=ours_bpr,
            note=note,
        )
    ]
    for name in ("cornac BPR", "implicit BPR"):
        out.append(
            record("speed", DATASET, "seconds per BPR epoch", ours_bpr, name, times[name], "s", note=note)
        )
    if importlib.util.find_spec("recbole") is None:
        out.append(
            record(
                "speed",
                DATASET,
                "seconds per BPR epoch",
                ours_bpr,
                "RecBole BPR",
                None,
                "s",
                note="skipped: recbole is not installed (import recbole fails)",
            )
        )
    split = ratio_split(data, test=0.2, seed=0)
    tr, te = split.train.to_csr(), split.test.to_csr()
    model = _ours(tr, threads)(1)
    result: list[Any] = []
    ours_eval = seconds(lambda: result.append(evaluate(model, tr, te, ("NDCG",), (10,)).summary()["NDCG@10"]))
    eval_note = (
        f"{note}; ours: advrec.evaluation.evaluate (chunked torch topk); models trained 1 epoch; "
        f"our nDCG@10 {result[0]:.4f}"
    )
    for name, (elapsed, ndcg) in _eval_peers(tr, te, threads).items():
        out.append(
            record(
                "speed",
                "synthetic ML-1M-shaped, 80/20 split",
                "seconds for full-ranking nDCG@10, all users",
                ours_eval,
                name,
                elapsed,
                "s",
                note=f"{eval_note}, peer nDCG@10 {ndcg:.4f}",
            )
        )
    return out
