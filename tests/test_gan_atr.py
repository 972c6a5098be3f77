"""ATR: pair reviews from tag assignments, GRU review generator, CNN discriminator (advrec.gan.atr)."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.atr import ATR, pair_reviews


def test_pair_reviews_orders_by_date_maps_tokens_and_drops_unknown_pairs_and_tags():
    assignments = pd.DataFrame({
        "user": [0, 0, 0, 1, 2, 1, 1, 1],
        "item": [1, 1, 1, 0, 2, 2, 2, 2],
        "tag_id": [10, 30, 99, 20, 10, 30, 20, 10],
        "date": pd.to_datetime(["2009-02-01", "2009-01-01", "2009-01-01", "2009-01-01", "2009-01-01",
                                "2009-01-01", "2009-01-01", "2009-01-01"]),
    })
    pairs = sp.csr_matrix((np.ones(3), ([0, 1, 1], [1, 0, 2])), shape=(3, 3))
    users, items, tokens = pair_reviews(assignments, pairs, np.array([10, 20, 30]), max_len=2)
    np.testing.assert_array_equal(users, [0, 1, 1])
    np.testing.assert_array_equal(items, [1, 0, 2])
    # (0, 1): tag 30 (January) then tag 10 (February), tag 99 unknown; (1, 0): tag 20 alone;
    # (1, 2): same date, ordered by token 1, 2, 3 and cut to max_len = 2; (2, 2) is not in `pairs`
    np.testing.assert_array_equal(tokens, [[3, 1], [2, 0], [1, 2]])
    with pytest.raises(ValueError, match="vocabulary"):
        pair_reviews(assignments, pairs, np.array([30, 10]))


def _planted():
    """Users 0-3 rate items 0-2 high and review them with token 1; users 4-7 rate items 3-5 high with
    token 2; cross-group ratings are low and unreviewed."""
    grid_u, grid_i = np.meshgrid(np.arange(8), np.arange(6), indexing="ij")
    users, items = grid_u.ravel(), grid_i.ravel()
    same = (users // 4) == (items // 3)
    ratings = np.where(same, 5.0, 1.0)
    train = sp.csr_matrix((ratings, (users, items)), shape=(8, 6))
    tokens = np.zeros((int(same.sum()), 3), dtype=np.int64)
    tokens[:, 0] = 1 + users[same] // 4
    return train, (users[same], items[same], tokens)


def test_score_is_mf_plus_review_term_and_generation_is_a_distribution():
    train, _ = _planted()
    model = ATR(8, 6, n_tokens=2, dim=3, embed=4, hidden=5, max_len=3, seed=0)
    users, items = torch.tensor([0, 5]), torch.tensor([1, 4])
    probs, review = model.generate(users, items)
    assert probs.shape == (2, 3, 2) and review.shape == (2, 5)
    assert torch.allclose(probs.sum(-1), torch.ones(2, 3))
    expected = ((model.user[users] * model.item[items]).sum(-1) + model.review_weight(review).squeeze(-1)
                + model.user_bias[users] + model.item_bias[items] + model.mean)
    assert torch.allclose(model.score(users, items), expected, atol=1e-6)
    assert torch.allclose(model.full_scores(users)[[0, 1], [1, 4]], expected, atol=1e-6)


def test_fit_learns_ratings_and_each_group_s_review_token():
    train, reviews = _planted()
    model = ATR(8, 6, n_tokens=2, dim=4, embed=4, hidden=8, max_len=3, seed=0)
    history = model.fit(train, reviews, epochs=60, batch_size=16, review_batch=16, lr=0.03, seed=0)
    assert all(math.isfinite(r.g_loss) and math.isfinite(r.d_loss) for r in history.epochs)
    users, items = torch.tensor([0, 1, 4, 6]), torch.tensor([0, 5, 3, 1])
    with torch.no_grad():
        pred = model.score(users, items).numpy()
        probs, _ = model.generate(torch.tensor([0, 6]), torch.tensor([1, 4]))
    np.testing.assert_allclose(pred, [5.0, 1.0, 5.0, 1.0], atol=0.75)
    assert probs[0, 0, 0] > 0.8 and probs[1, 0, 1] > 0.8  # token 1 for group 0, token 2 for group 1


def test_without_adversary_discriminator_stays_untouched():
    train, reviews = _planted()
    model = ATR(8, 6, n_tokens=2, dim=3, embed=4, hidden=5, max_len=3, adversarial=False, seed=0)
    critics = list(model.d_embedding.parameters()) + list(model.discriminator.parameters())
    before = [p.detach().clone() for p in critics]
    history = model.fit(train, reviews, epochs=2, batch_size=16, seed=0)
    assert all(math.isnan(r.d_loss) for r in history.epochs)
    assert all(torch.equal(a, b) for a, b in zip(before, critics, strict=True))


def test_bad_inputs_are_named():
    train, (users, items, tokens) = _planted()
    model = ATR(8, 6, n_tokens=2, dim=3, max_len=3)
    with pytest.raises(ValueError, match="max_len=3"):
        model.fit(train, (users, items, tokens[:, :2]))
    with pytest.raises(ValueError, match="review tokens"):
        model.fit(train, (users, items, tokens + 5))
    with pytest.raises(ValueError, match="train has shape"):
        model.fit(train[:, :3], (users, items, tokens))
    with pytest.raises(ValueError, match="n_tokens"):
        ATR(8, 6, n_tokens=0)
