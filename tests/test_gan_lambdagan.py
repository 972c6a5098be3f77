"""LambdaGAN: LambdaRank |Delta NDCG| weights and the weighted pair-wise IRGAN game."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.irgan import IRGAN
from advrec.gan.lambdagan import LambdaGAN, ideal_dcg, lambda_weights, ranks, swap_gain


def test_ranks_count_strictly_higher_scores():
    scores = torch.tensor([[0.5, 2.0, 1.0, 2.0]])
    assert ranks(scores, torch.tensor([[1, 2, 0]])).tolist() == [[1, 3, 4]]
    assert ranks(scores, torch.tensor([[3]])).tolist() == [[1]]  # a tie shares the better rank


def test_ideal_dcg_by_hand():
    expected = [1.0, 1.0 + 1 / math.log2(3), 1.0 + 1 / math.log2(3) + 0.5]
    assert torch.allclose(ideal_dcg(torch.tensor([1, 2, 3])), torch.tensor(expected))


def test_lambda_weights_by_hand():
    # ranking by scores: item 1 (rank 1), item 2 (2), item 0 (3), item 3 (4); user has 2 relevant items
    scores = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    w = lambda_weights(scores, torch.tensor([[1, 0]]), torch.tensor([[3, 2]]), torch.tensor([2]))
    idcg = 1.0 + 1 / math.log2(3)
    expected = [(1.0 - 1 / math.log2(5)) / idcg, (1 / math.log2(3) - 0.5) / idcg]
    assert torch.allclose(w, torch.tensor([expected]))
    # swapping two items at the top matters more than two items deep in the list
    assert w[0, 0] > w[0, 1]


def test_swap_gain_rejects_bad_counts():
    with pytest.raises(ValueError, match="n_relevant"):
        swap_gain(torch.ones(1, 2, dtype=torch.long), torch.ones(1, 2, dtype=torch.long), torch.tensor([0]))
    with pytest.raises(ValueError, match="rank_pos"):
        swap_gain(torch.ones(1, 2, dtype=torch.long), torch.ones(2, 1, dtype=torch.long), torch.tensor([1]))


def _train() -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    dense = (rng.random((12, 15)) < 0.3).astype(np.float32)
    dense[:, 0] = 1.0
    return sp.csr_matrix(dense)


def test_unweighted_lambdagan_is_pairwise_irgan():
    train = _train()
    kwargs = dict(epochs=2, d_steps=2, g_steps=2, d_batch=4, g_batch=3, lr_g=0.05, lr_d=0.05, seed=3)
    ir = IRGAN(12, 15, 4, "pair", seed=1)
    lg = LambdaGAN(12, 15, 4, weighting="none", seed=1)
    h_ir, h_lg = ir.fit(train, **kwargs), lg.fit(train, **kwargs)
    assert np.allclose(h_ir.g_loss, h_lg.g_loss) and np.allclose(h_ir.d_loss, h_lg.d_loss)
    users = torch.arange(12)
    assert torch.allclose(ir.full_scores(users), lg.full_scores(users))


def test_lambda_weighting_changes_the_game_and_stays_finite():
    train = _train()
    kwargs = dict(epochs=2, d_steps=1, g_steps=1, d_batch=4, g_batch=3, lr_g=0.05, lr_d=0.05, seed=3)
    plain = LambdaGAN(12, 15, 4, weighting="none", seed=1)
    lam = LambdaGAN(12, 15, 4, seed=1)
    plain.fit(train, **kwargs)
    history = lam.fit(train, **kwargs)
    users = torch.arange(12)
    assert not torch.allclose(plain.full_scores(users), lam.full_scores(users))
    assert np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()


def test_lambdagan_rejects_mode_and_unknown_weighting():
    with pytest.raises(ValueError, match="pair-wise only"):
        LambdaGAN(3, 4, mode="point")
    with pytest.raises(ValueError, match="weighting"):
        LambdaGAN(3, 4, weighting="map")
