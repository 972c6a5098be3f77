"""Side-information helpers of the hybrid GANs: new-item split, attribute profiles, user features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from advrec.data.interactions import Interactions
from advrec.gan.side_information import (
    AttributeMatch,
    add_interactions,
    attribute_profiles,
    item_cold_start_split,
    tag_profiles,
    user_side_features,
)


def _log() -> Interactions:
    users = np.repeat(np.arange(4), 10)
    items = np.tile(np.arange(10), 4)
    return Interactions.from_dense(users, items, n_users=4, n_items=10)


def test_item_cold_start_split_holds_out_whole_items() -> None:
    data = _log()
    split = item_cold_start_split(data, test=0.2, seed=3)
    new = split.side["new_items"]
    assert len(new) == 2  # 20% of 10 items
    assert set(split.test.items) == set(new)
    assert not np.isin(split.train.items, new).any()
    assert len(split.train) + len(split.test) == len(data)
    assert len(split.test) == 2 * 4  # every user interacted with every item
    assert split.fingerprint == item_cold_start_split(data, test=0.2, seed=3).fingerprint


def test_item_cold_start_split_rejects_bad_share() -> None:
    with pytest.raises(ValueError, match="test must be"):
        item_cold_start_split(_log(), test=1.0)
    with pytest.raises(ValueError, match="min_count"):
        item_cold_start_split(_log(), min_count=0)


def test_attribute_profiles_share_and_max() -> None:
    train = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.float32))
    attrs = np.array([[1, 0], [1, 1], [0, 1]])
    share = attribute_profiles(train, attrs)
    np.testing.assert_allclose(share, [[1.0, 0.5], [0.0, 1.0], [0.0, 0.0]])
    # counts: user 0 -> [2, 1], user 1 -> [0, 1]; column maxima [2, 1]
    np.testing.assert_allclose(attribute_profiles(train, attrs, "max"), [[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="attributes must be"):
        attribute_profiles(train, attrs[:2])
    with pytest.raises(ValueError, match="normalize"):
        attribute_profiles(train, attrs, "sum")


def test_user_side_features_one_hot() -> None:
    frame = pd.DataFrame({"user_id": [1, 2, 3], "age": [10, 30, 60], "gender": ["M", "F", "M"]})
    data = Interactions.from_dense([0, 1, 2], [0, 0, 1], n_users=3, n_items=2,
                                   side={"user_features": frame})
    x, names = user_side_features(data, columns=("age", "gender"), age_bins=(18, 56))
    assert names == ["age<18", "age18-55", "age>=56", "gender=F", "gender=M"]
    np.testing.assert_array_equal(x, [[1, 0, 0, 0, 1], [0, 1, 0, 1, 0], [0, 0, 1, 0, 1]])
    with pytest.raises(KeyError, match="occupation"):
        user_side_features(data, columns=("occupation",))


def test_attribute_match_scores_dot_products() -> None:
    model = AttributeMatch(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[0.5, 2.0], [3.0, 0.0]]))
    np.testing.assert_allclose(model.full_scores(torch.tensor([1, 0])).numpy(), [[2.5, 3.0], [0.5, 3.0]])
    with pytest.raises(ValueError, match="same width"):
        AttributeMatch(np.ones((2, 2)), np.ones((2, 3)))


def test_add_interactions_sets_entries_and_skips_padding() -> None:
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float32) * 5)
    out = add_interactions(train, np.array([0, 1]), np.array([[2, -1], [0, 3]]))
    np.testing.assert_array_equal(out.toarray(), [[1, 0, 1, 0], [1, 0, 0, 1]])
    assert train[0, 0] == 5  # the input is not modified
    with pytest.raises(ValueError, match="items must be ids"):
        add_interactions(train, np.array([0]), np.array([[4]]))


def test_tag_profiles_count_normalise_and_drop_held_out_pairs() -> None:
    assignments = pd.DataFrame({"user": [0, 0, 0, 1, 1, -1], "item": [0, 0, 1, 1, 0, 0],
                                "tag_id": [7, 9, 7, 7, 9, 9]})
    held = sp.csr_matrix(np.array([[0, 0], [1, 0]], dtype=np.float32))  # (user 1, item 0) is a test pair
    users, items, kept = tag_profiles(assignments, n_users=2, n_items=2, n_tags=5, exclude=held)
    np.testing.assert_array_equal(kept, [7, 9])
    # user 0 used tag 7 twice and tag 9 once: (2, 1) / sqrt(5)
    # user 1 keeps only tag 7 (its tag 9 was on a test pair)
    np.testing.assert_allclose(users, [[2 / np.sqrt(5), 1 / np.sqrt(5)], [1.0, 0.0]], rtol=1e-6)
    # item 0: tags 7 and 9 once each (from user 0); item 1: tag 7 twice
    np.testing.assert_allclose(items, [[1 / np.sqrt(2), 1 / np.sqrt(2)], [1.0, 0.0]], rtol=1e-6)
    only_top, _, top = tag_profiles(assignments, n_users=2, n_items=2, n_tags=1)
    np.testing.assert_array_equal(top, [7])  # tag 7 is used 3 times, tag 9 twice (the -1 row is ignored)
    np.testing.assert_allclose(only_top, [[1.0], [1.0]])


def test_feature_matrix_checks_shape_rows_and_finiteness_and_names_the_input() -> None:
    from advrec.gan.side_information import feature_matrix

    x = feature_matrix([[1, 0], [0, 2]], "user_text", rows=2)
    assert x.dtype == torch.float32 and x.tolist() == [[1.0, 0.0], [0.0, 2.0]]
    with pytest.raises(ValueError, match=r"user_text must be a non-empty \[3, features\] array"):
        feature_matrix([[1, 0], [0, 2]], "user_text", rows=3)
    with pytest.raises(ValueError, match=r"item_text must be a non-empty \[rows, features\]"):
        feature_matrix([1.0, 2.0], "item_text")
    with pytest.raises(ValueError, match="knowledge holds non-finite values"):
        feature_matrix([[np.nan]], "knowledge")
