"""Strong-generalisation evaluation helpers shared by the VAE-based GAN recommenders."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

from advrec.gan.variational import FoldInScorer, capped_recall_at_k, evaluate_fold_in, strong_generalisation


class _Fixed(nn.Module):
    """Scores item i as -i for every row (item 0 first), plus 100 on the items of the row itself."""

    def __init__(self, n_items: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.n_items = n_items

    def forward_rows(self, rows: torch.Tensor):
        return (-torch.arange(self.n_items, dtype=torch.float32).expand(rows.shape[0], -1) + 100 * rows,)


def test_capped_recall_divides_by_min_k_n():
    hits = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 0]], dtype=bool)
    out = capped_recall_at_k(hits, np.array([5, 2, 0]), 3)
    assert out[0] == pytest.approx(2 / 3)  # min(3, 5) = 3
    assert out[1] == pytest.approx(3 / 2)  # hits can only be <= n in real data; formula is hits / min(k, n)
    assert np.isnan(out[2])


def test_fold_in_scorer_reads_fold_in_rows():
    fold = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0]], dtype=np.float32))
    scores = FoldInScorer(_Fixed(3), fold).full_scores(torch.tensor([1]))
    assert scores.tolist() == [[100.0, -1.0, -2.0]]
    with pytest.raises(TypeError, match="forward_rows"):
        FoldInScorer(nn.Linear(2, 2), fold)


def test_evaluate_fold_in_masks_fold_in_and_counts_groups():
    # 2 users, 6 items; the model ranks items 0,1,2,... ; user 0 folds in item 0 -> ranking 1,2,3,4,5
    fold = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=np.float32))
    held = sp.csr_matrix(np.array([[0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0]], dtype=np.float32))
    out = evaluate_fold_in(_Fixed(6), fold, held, recall_ks=(2,), ndcg_k=3, groups={"TAIL": [4, 5]})
    assert out["users"].tolist() == [0, 1]
    # user 0: top-2 = [1, 2], 1 hit of min(2, 2) -> 0.5; user 1: top-2 = [0, 1], 0 hits
    assert out["RECALL@2"].tolist() == [0.5, 0.0]
    # NDCG@3 of user 0: hit at rank 1 -> 1 / (1 + 1/log2(3))
    assert out["NDCG@3"][0] == pytest.approx(1 / (1 + 1 / np.log2(3)))
    # tail items: user 0 has item 5 (not in top-2), user 1 item 4 (not in top-2)
    assert out["TAIL/RECALL@2"].tolist() == [0.0, 0.0]
    out = evaluate_fold_in(_Fixed(6), fold, held, recall_ks=(5,), ndcg_k=3, groups={"TAIL": [4, 5]})
    assert out["TAIL/RECALL@5"].tolist() == [1.0, 1.0]


def test_strong_generalisation_partitions_users_and_items():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((50, 30)) < 0.4).astype(np.float32))
    train, fold, held = strong_generalisation(x, 10, holdout=0.2, seed=3)
    test_users = np.flatnonzero(held.getnnz(axis=1) > 0)
    assert test_users.size == 10
    assert train[test_users].nnz == 0 and fold.nnz + held.nnz == x[test_users].nnz
    assert (train + fold + held != x).nnz == 0  # every entry in exactly one part
    assert fold.multiply(held).nnz == 0
    n = x[test_users].getnnz(axis=1)
    expected = np.maximum(1, np.floor(0.2 * n + 0.5)).astype(int)
    assert held[test_users].getnnz(axis=1).tolist() == expected.tolist()
    again = strong_generalisation(x, 10, holdout=0.2, seed=3)
    assert (again[2] != held).nnz == 0
    with pytest.raises(ValueError, match="n_heldout"):
        strong_generalisation(x, 1000)
