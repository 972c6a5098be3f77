"""RRGAN (Chen et al., IJCNN 2019) reconstructed on IRGAN's game with text-aware players."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.rrgan import RRGAN, TextLFM
from advrec.models import MatrixFactorization


def _text() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((6, 3)).astype(np.float32), rng.random((5, 3)).astype(np.float32)


def test_text_lfm_scores_by_hand() -> None:
    item_text = np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    g = TextLFM(item_text, n_users=1, dim=2, init_delta=0.0, seed=0)
    with torch.no_grad():
        g.user.copy_(torch.tensor([[1.0, 2.0]]))
        g.item.copy_(torch.tensor([[0.5, 0.0], [0.0, 1.0]]))
        g.text.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.5]]))
        g.item_bias.copy_(torch.tensor([0.1, -0.1]))
    # item 0: q + W t = [0.5, 0] + [1, 1] = [1.5, 1] -> 1.5 + 2 + 0.1
    # item 1: q + W t = [0, 1] + 2 * [0, 0.5] = [0, 2] -> 4 - 0.1
    torch.testing.assert_close(g.full_scores(torch.tensor([0])), torch.tensor([[3.6, 3.9]]))
    torch.testing.assert_close(g.score(torch.tensor([0, 0]), torch.tensor([1, 0])), torch.tensor([3.9, 3.6]))


def test_discriminator_scores_any_batch_shape() -> None:
    user_text, item_text = _text()
    model = RRGAN(user_text, item_text, dim=4, d_hidden=[8], seed=0)
    d = model.discriminator
    grid = d.score(torch.tensor([[0, 1], [2, 3]]), torch.tensor([[4, 0], [1, 2]]))
    flat = d.score(torch.tensor([0, 1, 2, 3]), torch.tensor([4, 0, 1, 2]))
    torch.testing.assert_close(grid.reshape(-1), flat)
    assert d.full_scores(torch.tensor([5])).shape == (1, 5)


def test_fit_runs_the_irgan_game_and_g_init_copies_factors() -> None:
    user_text, item_text = _text()
    train = sp.csr_matrix(np.eye(6, 5, dtype=np.float32) + np.eye(6, 5, k=1, dtype=np.float32))
    mf = MatrixFactorization(6, 5, dim=4, seed=0)
    model = RRGAN(user_text, item_text, dim=4, d_hidden=[8], g_init=mf, seed=0)
    torch.testing.assert_close(model.generator.user.detach(), mf.embeddings()["user"].detach())
    history = model.fit(train, epochs=2, d_steps=1, g_steps=1, d_batch=4, g_batch=2, lr_g=0.01, lr_d=0.01,
                        optimizer="adam", seed=0)
    assert len(history) == 2 and np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    assert model.full_scores(torch.tensor([0, 1])).shape == (2, 5)


def test_bad_inputs_are_named() -> None:
    user_text, item_text = _text()
    with pytest.raises(ValueError, match="share their features"):
        RRGAN(user_text, item_text[:, :2])
    with pytest.raises(ValueError, match="g_init's 'user' table"):
        RRGAN(user_text, item_text, dim=4, g_init=MatrixFactorization(6, 5, dim=3))
