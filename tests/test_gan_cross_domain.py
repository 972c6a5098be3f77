"""Cross-domain data helpers: social matrices and item domains with shared users."""

import numpy as np
import pytest

from advrec.data.interactions import Interactions
from advrec.gan.cross_domain import item_domains, restrict_to_domain, social_matrix


def test_social_matrix_symmetric_drops_self_links_and_repeats():
    m = social_matrix(np.array([[0, 1], [1, 0], [2, 2], [0, 1], [3, 1]]), 4)
    dense = m.toarray()
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[0, 1] = expected[1, 0] = expected[3, 1] = expected[1, 3] = 1
    np.testing.assert_array_equal(dense, expected)


def test_social_matrix_directed_keeps_direction():
    dense = social_matrix([[0, 2]], 3, symmetric=False).toarray()
    assert dense[0, 2] == 1 and dense[2, 0] == 0 and dense.sum() == 1


def test_social_matrix_rejects_bad_ids_and_shapes():
    with pytest.raises(ValueError, match="outside"):
        social_matrix([[0, 5]], 3)
    with pytest.raises(ValueError, match=r"\[E, 2\]"):
        social_matrix(np.zeros((2, 3)), 3)
    assert social_matrix(np.empty((0, 2)), 3).nnz == 0


def test_item_domains_one_domain_per_item():
    groups = np.array([[1, 0], [0, 1], [0, 1]], dtype=bool)
    np.testing.assert_array_equal(item_domains(groups), [0, 1, 1])
    with pytest.raises(ValueError, match="exactly one domain"):
        item_domains(np.array([[1, 1], [0, 1]], dtype=bool))


def test_restrict_to_domain_renumbers_items_and_keeps_users():
    data = Interactions.from_raw([10, 10, 20, 30], ["a", "b", "c", "b"])  # items a=0, b=1, c=2
    part = restrict_to_domain(data, np.array([0, 1, 1]), 1)
    assert part.n_users == 3 and part.n_items == 2
    np.testing.assert_array_equal(part.users, [0, 1, 2])  # dense ids of users 10, 20, 30
    np.testing.assert_array_equal(part.items, [0, 1, 0])  # b -> 0, c -> 1
    assert list(part.item_ids) == ["b", "c"]
    with pytest.raises(ValueError, match="no item"):
        restrict_to_domain(data, np.array([0, 1, 1]), 2)
    with pytest.raises(ValueError, match="one domain per item"):
        restrict_to_domain(data, np.array([0, 1]), 1)
