"""CnGAN: target-to-source preference generation for users without a source-network profile."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.cngan import CnGAN


def _networks() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """8 users; target items 0-3, source items 0-3. Users who like target items {0, 1} like source item 0,
    the others like source item 3. Users 6 and 7 have no source profile (non-overlapped)."""
    target = np.zeros((8, 4), np.float32)
    source = np.zeros((8, 4), np.float32)
    for u in range(8):
        if u % 2 == 0:
            target[u, [0, 1]] = 1
            source[u, 0] = 1
        else:
            target[u, [2, 3]] = 1
            source[u, 3] = 1
    source[6:] = 0
    return sp.csr_matrix(target), sp.csr_matrix(source)


def test_generator_learns_the_cross_network_mapping():
    target, source = _networks()
    model = CnGAN(8, 4, 4, hidden=8, dropout=0.0, seed=0)
    history = model.fit(target, source, epochs=150, batch=8, lr_g=0.01, lr_d=0.01, lr_r=0.01, seed=0)
    assert len(history) == 150 and all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    generated = model.generate(torch.tensor([6, 7])).detach().numpy()
    assert generated[0].argmax() == 0 and generated[1].argmax() == 3  # unseen users, inferred source taste


def test_scoring_fills_missing_source_with_generated_or_zeros():
    target, source = _networks()
    model = CnGAN(8, 4, 4, hidden=4, seed=1)
    model.fit(target, source, epochs=1, batch=8, seed=0)
    users = torch.tensor([0, 6])
    t = torch.as_tensor(target[[0, 6]].toarray())
    s_real = torch.as_tensor(source[[0]].toarray())
    expected_gen = model.recommender(torch.cat([t, torch.cat([s_real, model.generate(users[1:])])], 1))
    torch.testing.assert_close(model.full_scores(users), expected_gen)
    model.use_generated = False
    expected_zero = model.recommender(torch.cat([t, torch.cat([s_real, torch.zeros(1, 4)])], 1))
    torch.testing.assert_close(model.full_scores(users), expected_zero)


def test_bad_input_raises():
    target, source = _networks()
    with pytest.raises(RuntimeError, match="fit"):
        CnGAN(8, 4, 4).full_scores(torch.tensor([0]))
    with pytest.raises(ValueError, match="source has shape"):
        CnGAN(8, 4, 5).fit(target, source, epochs=1)
    with pytest.raises(ValueError, match="no user has both"):
        CnGAN(8, 4, 4).fit(target, sp.csr_matrix((8, 4), dtype=np.float32), epochs=1)
    with pytest.raises(ValueError, match="dropout"):
        CnGAN(8, 4, 4, dropout=1.0)
