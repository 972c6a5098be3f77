"""BPR-MF against Cornac's BPR on ML-100K: same split, initial factors, hyperparameters and epochs.

Leave-one-out (latest) split of ML-100K; HR@10 and nDCG@10 under full ranking with training items
excluded, both models scored by advrec.evaluation on the users whose test item occurs in training (an
item absent from training is unknown to Cornac). Both are per-sample SGD on the same BPR objective with
item bias; ours is the fast engine with one thread. Mean and 95% CI over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from common import cornac_dataset, record

from advrec.data import leave_one_out, load_dataset
from advrec.evaluation import evaluate, mean_ci
from advrec.models import MatrixFactorization
from advrec.training import fit

DIM, LR, REG, EPOCHS = 64, 0.05, 0.01, 50


def _cornac_scores(train_shape: tuple[int, int], seed: int, init: MatrixFactorization, train: Any) -> Any:
    import cornac

    bpr = cornac.models.BPR(
        k=DIM,
        max_iter=EPOCHS,
        learning_rate=LR,
        lambda_reg=REG,
        seed=seed,
        verbose=False,
        init_params={
            "U": init.user.detach().numpy().copy(),
            "V": init.item.detach().numpy().copy(),
            "Bi": np.zeros(train_shape[1], dtype=np.float32),
        },
    )
    bpr.fit(cornac_dataset(train, seed=seed))
    user, item, bias = (
        torch.from_numpy(np.asarray(a, dtype=np.float32))
        for a in (bpr.u_factors, bpr.i_factors, bpr.i_biases)
    )
    return lambda users: user[users] @ item.T + bias


def run(seeds: int = 5) -> list[dict[str, Any]]:
    """HR@10 and nDCG@10 records (ours vs Cornac, mean over seeds, 95% CIs in extra fields)."""
    split = leave_one_out(load_dataset("ml-100k"), mode="latest")
    train, test = split.train.to_csr(), split.test.to_csr()
    in_train = np.diff(train.tocsc().indptr) > 0
    users = np.flatnonzero(np.asarray(test[:, in_train].sum(axis=1)).ravel() > 0)
    scores: dict[str, dict[str, list[float]]] = {"ours": {}, "cornac": {}}
    for seed in range(seeds):
        ours = MatrixFactorization(*train.shape, DIM, bias=True, seed=seed)
        cornac_scorer = _cornac_scores(train.shape, seed, ours, train)  # same initial factors
        fit(ours, train, engine="fast", lr=LR, reg=REG, epochs=EPOCHS, seed=seed, threads=1)
        for name, scorer in (("ours", ours), ("cornac", cornac_scorer)):
            for metric, value in (
                evaluate(scorer, train, test, ("HR", "NDCG"), (10,), users=users).summary().items()
            ):
                scores[name].setdefault(metric, []).append(value)
    note = (
        f"ML-100K leave-one-out latest (split {split.fingerprint[:12]}), "
        f"{len(users)} of {test.shape[0]} users, dim {DIM}, lr {LR}, reg {REG}, {EPOCHS} epochs, "
        f"{seeds} seeds"
    )
    out = []
    for metric in ("HR@10", "NDCG@10"):
        ours_mean, *ours_ci = mean_ci(scores["ours"][metric])
        peer_mean, *peer_ci = mean_ci(scores["cornac"][metric])
        out.append(
            record(
                "correctness",
                "ml-100k",
                metric,
                ours_mean,
                "cornac BPR",
                peer_mean,
                "fraction",
                ours_ci95=ours_ci,
                peer_ci95=peer_ci,
                ours_values=scores["ours"][metric],
                peer_values=scores["cornac"][metric],
                note=note,
            )
        )
    return out
