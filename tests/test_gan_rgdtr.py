"""RGD-TR: tag-profile encoders, decoders and profile discriminator (advrec.gan.rgdtr)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.rgdtr import RGDTR


def _planted(seed: int = 0):
    """Two user groups and two item groups; group g's users and items carry tags of block g only and
    each user interacts with every item of its own group."""
    rng = np.random.default_rng(seed)
    users = np.zeros((8, 6), dtype=np.float32)
    items = np.zeros((10, 6), dtype=np.float32)
    users[:4, :3] = rng.random((4, 3)) + 0.5
    users[4:, 3:] = rng.random((4, 3)) + 0.5
    items[:5, :3] = rng.random((5, 3)) + 0.5
    items[5:, 3:] = rng.random((5, 3)) + 0.5
    dense = np.zeros((8, 10), dtype=np.float32)
    dense[:4, :5] = 1
    dense[4:, 5:] = 1
    return users, items, sp.csr_matrix(dense)


def test_scores_are_dot_products_of_encoded_profiles():
    users, items, _ = _planted()
    model = RGDTR(users, items, dim=4, hidden=(8,), seed=0)
    u, i = torch.tensor([0, 5]), torch.tensor([2, 7])
    zu = model.user_encoder(torch.as_tensor(users[[0, 5]]))
    zi = model.item_encoder(torch.as_tensor(items[[2, 7]]))
    assert torch.allclose(model.score(u, i), (zu * zi).sum(-1), atol=1e-6)
    full = model.full_scores(u)
    assert full.shape == (2, 10)
    assert torch.allclose(full[[0, 1], [2, 7]], model.score(u, i), atol=1e-6)


def test_fit_learns_the_planted_groups_and_records_both_losses():
    users, items, train = _planted()
    model = RGDTR(users, items, dim=4, hidden=(16,), seed=0)
    history = model.fit(train, epochs=60, batch_size=16, neg_ratio=2, lr=0.01, seed=0)
    assert len(history) == 60
    assert all(math.isfinite(r.g_loss) and math.isfinite(r.d_loss) for r in history.epochs)
    with torch.no_grad():
        scores = model.full_scores(torch.arange(8)).numpy()
    own = np.where(train.toarray() > 0, scores, np.nan)
    other = np.where(train.toarray() == 0, scores, np.nan)
    assert (np.nanmin(own, axis=1) > np.nanmax(other, axis=1)).all()


def test_without_adversary_no_discriminator_loss_and_d_untouched():
    users, items, train = _planted()
    model = RGDTR(users, items, dim=4, hidden=(8,), adversarial=False, seed=0)
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    history = model.fit(train, epochs=2, batch_size=16, seed=0)
    assert all(math.isnan(r.d_loss) for r in history.epochs)
    assert all(torch.equal(a, b) for a, b in zip(before, model.discriminator.parameters(), strict=True))


def test_same_seed_same_fit():
    users, items, train = _planted()
    runs = []
    for _ in range(2):
        model = RGDTR(users, items, dim=4, hidden=(8,), seed=3)
        model.fit(train, epochs=2, batch_size=16, seed=1)
        runs.append(model.full_scores(torch.arange(8)).detach())
    assert torch.equal(runs[0], runs[1])


def test_bad_inputs_are_named():
    users, items, train = _planted()
    with pytest.raises(ValueError, match="share their tags"):
        RGDTR(users, items[:, :4])
    with pytest.raises(ValueError, match="user_profiles"):
        RGDTR(users[0], items)
    with pytest.raises(ValueError, match="train has shape"):
        RGDTR(users, items, dim=4).fit(train[:, :5])
    with pytest.raises(ValueError, match="epochs"):
        RGDTR(users, items, dim=4).fit(train, epochs=0)
