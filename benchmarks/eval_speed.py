"""Seconds for full-ranking nDCG@10 of every user on an ML-1M-shaped problem (6,040 x 3,706, dim-64 MF).

Synthetic data with ML-1M's shape and density (about 1M interactions, 80/20 random hold-out per user);
prints one line per measurement: `python benchmarks/eval_speed.py [--repeats 5] [--threads N]`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
import torch

from advrec.evaluation import evaluate, rank

N_USERS, N_ITEMS, DIM, N_INTERACTIONS = 6040, 3706, 64, 1_000_209


def ml1m_shaped(seed: int = 0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Train/test matrices with ML-1M's shape, density and skewed user and item degrees."""
    rng = np.random.default_rng(seed)
    user_w = rng.pareto(1.5, N_USERS) + 1
    item_w = rng.pareto(1.2, N_ITEMS) + 1
    p = np.outer(user_w, item_w)
    scale = N_INTERACTIONS / p.sum()
    for _ in range(20):  # clipping at 1 loses mass: rescale until the expected count is ML-1M's
        scale *= N_INTERACTIONS / np.minimum(p * scale, 1.0).sum()
    dense = rng.random((N_USERS, N_ITEMS)) < np.minimum(p * scale, 1.0)
    in_test = rng.random(dense.shape) < 0.2
    return sp.csr_matrix(dense & ~in_test), sp.csr_matrix(dense & in_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = ml1m_shaped()
    gen = torch.Generator().manual_seed(0)
    user_emb = torch.randn(N_USERS, DIM, generator=gen) * 0.1
    item_emb = torch.randn(N_ITEMS, DIM, generator=gen) * 0.1

    def scorer(users: torch.Tensor) -> torch.Tensor:
        return user_emb[users] @ item_emb.T

    users = np.arange(N_USERS)
    print(f"data: {N_USERS} users x {N_ITEMS} items, train {train.nnz}, test {test.nnz}, "
          f"torch threads {torch.get_num_threads()}")
    jobs = {
        "rank top-10 (all users)": lambda: rank(scorer, train, users, 10),
        "evaluate NDCG@10 full ranking": lambda: evaluate(scorer, train, test, ("NDCG",), (10,)),
        "evaluate HR,NDCG @10 sampled-100": lambda: evaluate(scorer, train, test, candidates=100),
    }
    for name, job in jobs.items():
        job()  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        print(f"{name}: min {min(times):.3f} s, median {float(np.median(times)):.3f} s")


if __name__ == "__main__":
    main()
