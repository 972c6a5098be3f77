"""Shuffled batches of the GAN epoch loops: every item once, nearly equal sizes, rows dense and binary."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from advrec.gan.trainer import dense_row_batches, shuffled_batches


def test_shuffled_batches_cover_each_item_once_in_nearly_equal_batches() -> None:
    batches = shuffled_batches(np.array([10, 11, 12, 13, 14, 15, 16]), 3, np.random.default_rng(0))
    assert [len(b) for b in batches] == [3, 2, 2]
    assert sorted(np.concatenate(batches).tolist()) == [10, 11, 12, 13, 14, 15, 16]
    assert [len(b) for b in shuffled_batches(5, 10, np.random.default_rng(0))] == [5]
    order = np.concatenate(shuffled_batches(6, 4, np.random.default_rng(1)))
    assert order.tolist() == np.random.default_rng(1).permutation(6).tolist()


def test_dense_row_batches_yield_binary_rows_of_the_shuffled_users() -> None:
    matrix = sp.csr_matrix(np.array([[0, 2, 0], [1, 0, 0], [0, 0, 5], [3, 3, 0]], dtype=np.float32))
    users = np.array([0, 2, 3])
    rows = list(dense_row_batches(matrix, users, 2, np.random.default_rng(0), torch.device("cpu")))
    order = np.random.default_rng(0).permutation(users)
    expected = (matrix[order].toarray() > 0).astype(np.float32)
    assert [r.shape[0] for r in rows] == [2, 1]
    assert torch.equal(torch.cat(rows), torch.from_numpy(expected))
