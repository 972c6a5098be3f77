"""advrec.gan.aae: the adversarial auto-encoder's three steps, its ablation and its scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.aae import AdversarialAutoEncoder


def blocks() -> sp.csr_matrix:
    """Two groups of users, each with items of its own block (users 0-5 items 0-3, users 6-11 items 4-7)."""
    dense = np.zeros((12, 8), dtype=np.float32)
    dense[:6, :4] = 1
    dense[6:, 4:] = 1
    return sp.csr_matrix(dense)


def test_aae_reconstructs_the_block_of_a_partial_row() -> None:
    train = blocks()
    model = AdversarialAutoEncoder(12, 8, hidden=16, code=4, dropout=0.0, seed=0)
    history = model.fit(train, epochs=60, batch_size=12, lr=0.01)
    assert history.metric("reconstruction")[-1] < history.metric("reconstruction")[0]
    assert all(math.isfinite(v) for v in history.g_loss + history.d_loss)
    partial = train.tolil()
    partial[0, 0] = 0
    partial[6, 7] = 0
    model.prepare(partial.tocsr())
    scores = model.full_scores(torch.tensor([0, 6]))
    assert scores[0, :4].min() > scores[0, 4:].max()
    assert scores[1, 4:].min() > scores[1, :4].max()


def test_aae_codes_follow_the_prior_better_than_the_plain_auto_encoder() -> None:
    train = blocks()
    stds = {}
    for adversarial in (True, False):
        model = AdversarialAutoEncoder(12, 8, hidden=16, code=4, dropout=0.0, adversarial=adversarial, seed=0)
        history = model.fit(train, epochs=80, batch_size=12, lr=0.01)
        assert math.isnan(history.g_loss[0]) != adversarial
        with torch.no_grad():
            codes = model.encode(torch.from_numpy(train.toarray()))
        stds[adversarial] = float(codes.std())
    # the prior is N(0, I): the adversary pulls the code spread towards 1, the plain AE leaves it free
    assert abs(stds[True] - 1.0) < abs(stds[False] - 1.0)


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="hidden and code"):
        AdversarialAutoEncoder(2, 3, hidden=0)
    with pytest.raises(ValueError, match="no user with an observed item"):
        AdversarialAutoEncoder(2, 3).fit(sp.csr_matrix((2, 3), dtype=np.float32))
