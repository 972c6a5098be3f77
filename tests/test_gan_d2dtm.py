"""D2D-TM (VAE-GAN-CC): translation of source-domain clicks into target-domain recommendations."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.d2dtm import D2DTM


def _domains() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """12 users in two tastes: even users click A items 0-2 and B items 0-2, odd users A 3-5 and B 3-5."""
    a = np.zeros((12, 6), np.float32)
    b = np.zeros((12, 6), np.float32)
    for u in range(12):
        cols = [0, 1, 2] if u % 2 == 0 else [3, 4, 5]
        a[u, cols] = 1
        b[u, cols] = 1
    return sp.csr_matrix(a), sp.csr_matrix(b)


def test_translation_recommends_the_matching_target_items_to_unseen_users():
    a, b = _domains()
    model = D2DTM(12, 6, 6, hidden=16, latent=4, d_hidden=8, dropout=0.0, seed=0)
    history = model.fit(a, b, users=np.arange(10), epochs=120, batch=10, lr_g=0.01, lr_d=0.01, seed=0)
    assert len(history) == 120 and all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    scores = model.full_scores(torch.tensor([10, 11])).detach().numpy()  # never trained on
    assert set(np.argsort(-scores[0])[:3]) == {0, 1, 2}
    assert set(np.argsort(-scores[1])[:3]) == {3, 4, 5}


def test_scores_read_only_the_source_row():
    a, b = _domains()
    model = D2DTM(12, 6, 6, hidden=8, latent=2, d_hidden=4, seed=1)
    model.fit(a, b, epochs=1, batch=4, seed=1)
    before = model.full_scores(torch.tensor([0])).detach()
    model._source = a.tolil()
    model._source[0, 3] = 1.0
    model._source = model._source.tocsr()
    assert not torch.allclose(before, model.full_scores(torch.tensor([0])).detach())
    assert torch.allclose(model.score(torch.tensor([1, 1]), torch.tensor([2, 4])),
                          model.full_scores(torch.tensor([1]))[0, [2, 4]])


def test_adversary_changes_training_and_seed_reproduces_it():
    a, b = _domains()
    runs = []
    for adv in (0.0, 1.0, 1.0):
        model = D2DTM(12, 6, 6, hidden=8, latent=2, d_hidden=4, seed=2)
        model.fit(a, b, epochs=3, batch=6, adv_weight=adv, seed=2)
        runs.append(model.full_scores(torch.arange(12)).detach())
    assert torch.equal(runs[1], runs[2])
    assert not torch.allclose(runs[0], runs[1])


def test_bad_input_is_named():
    a, b = _domains()
    model = D2DTM(12, 6, 6, hidden=4, latent=2)
    with pytest.raises(RuntimeError, match="fit"):
        model.full_scores(torch.tensor([0]))
    with pytest.raises(ValueError, match="source has shape"):
        model.fit(a[:, :5], b)
    with pytest.raises(ValueError, match="cycle_weight"):
        model.fit(a, b, cycle_weight=-1.0)
    with pytest.raises(ValueError, match="both domains"):
        model.fit(a, sp.csr_matrix((12, 6), dtype=np.float32))
