"""RecSys-DAN: a source-trained classifier over user-token documents, adapted to a target domain."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.recsysdan import RecSysDAN


def _domains() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """16 users in two tastes: even users buy source items 0-2 and target items 0-2, odd users source 3-5 and
    target 3-5; users 0 and 1 have no target item (cold in the target domain); target item 6 has no user."""
    s = np.zeros((16, 6), np.float32)
    t = np.zeros((16, 7), np.float32)
    for u in range(16):
        cols = [0, 1, 2] if u % 2 == 0 else [3, 4, 5]
        s[u, cols] = 1
        if u >= 2:
            t[u, cols] = 1
    return sp.csr_matrix(s), sp.csr_matrix(t)


def test_source_classifier_transfers_through_the_shared_users():
    s, t = _domains()
    model = RecSysDAN(16, 7, 6, dim=8, length=8, channels=8, d_hidden=8, seed=0)
    history = model.fit(s, t, epochs=80, adapt_epochs=2, batch=32, lr=0.01, seed=0)
    assert len(model.source_loss) == 80 and model.source_loss[-1] < model.source_loss[0]
    assert len(history) == 2 and all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    model.adapted = False
    with torch.no_grad():
        scores = model.full_scores(torch.tensor([0, 1]))
    assert torch.isfinite(scores).all()  # item 6 has an empty document
    assert scores[0, :3].min() > scores[0, 3:6].max()  # no target label of users 0, 1 was ever seen
    assert scores[1, 3:6].min() > scores[1, :3].max()


def test_adaptation_moves_only_the_target_encoders():
    s, t = _domains()
    fitted = []
    for adapt in (0, 3):
        model = RecSysDAN(16, 7, 6, dim=4, length=4, channels=4, d_hidden=4, seed=1)
        model.fit(s, t, epochs=2, adapt_epochs=adapt, batch=16, lr_t=0.01, seed=1)
        with torch.no_grad():
            model.adapted = False
            source_only = model.full_scores(torch.arange(16))
            model.adapted = True
            adapted = model.full_scores(torch.arange(16))
        fitted.append((source_only, adapted))
    assert torch.equal(fitted[0][0], fitted[0][1])  # target encoders start as copies of the source ones
    assert torch.equal(fitted[0][0], fitted[1][0])  # stage 2 leaves the source side untouched
    assert not torch.allclose(fitted[1][0], fitted[1][1])


def test_pair_scores_match_full_scores():
    s, t = _domains()
    model = RecSysDAN(16, 7, 6, dim=4, length=4, channels=4, d_hidden=4, seed=2)
    model.fit(s, t, epochs=1, adapt_epochs=1, batch=16, seed=2)
    with torch.no_grad():
        full = model.full_scores(torch.tensor([3]))
        pairs = model.score(torch.tensor([3, 3, 3]), torch.tensor([0, 4, 6]))
    assert torch.allclose(pairs, full[0, [0, 4, 6]], atol=1e-5)


def test_bad_input_is_named():
    s, t = _domains()
    model = RecSysDAN(16, 7, 6, dim=4)
    with pytest.raises(ValueError, match="target has shape"):
        model.fit(s, t[:, :6])
    with pytest.raises(ValueError, match="adapt_epochs"):
        model.fit(s, t, adapt_epochs=-1)
    with pytest.raises(ValueError, match="domain"):
        model.item_vectors("other", torch.tensor([0]))
