"""aae-RS: play-count ratings and rating/review auto-encoders aligned adversarially (advrec.gan.aaers)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.data.interactions import Interactions
from advrec.gan.aaers import AAERS, playcount_ratings, rating_triples


def test_playcount_ratings_are_per_user_quantiles():
    data = Interactions.from_dense([0, 0, 0, 0, 0, 1, 1, 1], [0, 1, 2, 3, 4, 0, 1, 2],
                                   np.array([10, 50, 30, 20, 40, 7, 7, 3], dtype=np.float32))
    rated = playcount_ratings(data)
    # user 0: ranks 1,5,3,2,4 of five -> 1 + floor(5 (r - 1) / 5) = r; user 1: ties share rank 2 of three
    np.testing.assert_array_equal(rated.values, [1, 5, 3, 2, 4, 2, 2, 1])
    np.testing.assert_array_equal(data.values, [10, 50, 30, 20, 40, 7, 7, 3])
    with pytest.raises(ValueError, match="levels"):
        playcount_ratings(data, levels=1)


def _planted(seed: int = 0):
    """Users of group g rate items of group g 5 and the other group's items 1; text says the group."""
    rng = np.random.default_rng(seed)
    group_u, group_i = np.repeat([0, 1], 6), np.repeat([0, 1], 5)
    dense = np.where(group_u[:, None] == group_i[None, :], 5.0, 1.0).astype(np.float32)
    dense[rng.random(dense.shape) < 0.3] = 0.0
    text_u = np.eye(2, dtype=np.float32)[group_u]
    text_i = np.eye(2, dtype=np.float32)[group_i]
    return text_u, text_i, sp.csr_matrix(dense), dense


def test_scores_are_biases_plus_fused_code_dot_product():
    text_u, text_i, train, _ = _planted()
    model = AAERS(text_u, text_i, dim=3, hidden=(4,), seed=0)
    model.prepare(train)
    assert float(model.mean) == pytest.approx(train.data.mean())
    users, items = torch.tensor([0, 7]), torch.tensor([1, 8])
    hu = (model.users.rating_encoder(model.ratings[users] / 5)
          + model.users.text_encoder(model.user_text[users])) / 2
    hi = (model.items.rating_encoder(model.ratings.T[items] / 5)
          + model.items.text_encoder(model.item_text[items])) / 2
    expected = model.mean + (hu * hi).sum(-1)
    assert torch.allclose(model.score(users, items), expected, atol=1e-6)
    assert torch.allclose(model.full_scores(users)[[0, 1], [1, 8]], expected, atol=1e-6)


def test_fit_learns_the_planted_ratings():
    text_u, text_i, train, dense = _planted()
    model = AAERS(text_u, text_i, dim=4, hidden=(8,), seed=0)
    users, items, values = rating_triples(train)
    history = model.fit(train, epochs=40, batch_size=128, lr=0.03, seed=0)
    assert all(math.isfinite(r.g_loss) and math.isfinite(r.d_loss) for r in history.epochs)
    pred = model.score(torch.as_tensor(users), torch.as_tensor(items)).detach().numpy()
    assert np.sqrt(np.mean((pred - values) ** 2)) < 0.5  # the rating mean alone is off by about 2
    held = np.argwhere(dense == 0)
    held_pred = model.score(torch.as_tensor(held[:, 0]), torch.as_tensor(held[:, 1])).detach().numpy()
    same = (held[:, 0] // 6) == (held[:, 1] // 5)
    assert held_pred[same].mean() > held_pred[~same].mean() + 1.0


def test_without_adversary_discriminators_stay_untouched():
    text_u, text_i, train, _ = _planted()
    model = AAERS(text_u, text_i, dim=3, hidden=(4,), adversarial=False, seed=0)
    critics = [p for side in (model.users, model.items) for p in side.discriminator.parameters()]
    before = [p.detach().clone() for p in critics]
    history = model.fit(train, epochs=2, batch_size=16, seed=0)
    assert all(math.isnan(r.d_loss) for r in history.epochs)
    assert all(torch.equal(a, b) for a, b in zip(before, critics, strict=True))


def test_bad_inputs_are_named():
    text_u, text_i, train, _ = _planted()
    with pytest.raises(ValueError, match="share their features"):
        AAERS(text_u, np.ones((10, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="train has shape"):
        AAERS(text_u, text_i).fit(train[:, :4])
    with pytest.raises(ValueError, match="positive ratings"):
        AAERS(text_u, text_i).fit(sp.csr_matrix(-train.toarray()))
