"""Interactions and Split: construction, validation, views and id remapping, on hand-made data."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from advrec.data import Interactions, Split


def tiny() -> Interactions:
    """Users b, b, a, a, a, c and items 10, 20, 10, 30, 10, 40; (a, 10) occurs twice (times 2 and 9).

    Sorted remapping: a->0, b->1, c->2; 10->0, 20->1, 30->2, 40->3.
    """
    return Interactions.from_raw(
        np.array(["b", "b", "a", "a", "a", "c"]),
        np.array([10, 20, 10, 30, 10, 40]),
        [4, 2, 5, 3, 1, 5],
        [5, 1, 2, 3, 9, 4],
        name="tiny",
    )


def test_from_raw_remaps_ids_densely_in_sorted_order():
    d = tiny()
    assert (d.n_users, d.n_items, len(d)) == (3, 4, 6)
    assert d.users.tolist() == [1, 1, 0, 0, 0, 2]
    assert d.items.tolist() == [0, 1, 0, 2, 0, 3]
    assert d.user_ids.tolist() == ["a", "b", "c"]
    assert d.item_ids.tolist() == [10, 20, 30, 40]
    assert d.users.dtype == np.int64 and d.values.dtype == np.float32 and d.timestamps.dtype == np.int64


def test_from_raw_with_given_id_lists_keeps_unused_ids():
    d = Interactions.from_raw([3, 1], [7, 7], user_ids=[1, 2, 3], item_ids=[5, 7])
    assert (d.n_users, d.n_items) == (3, 2)
    assert d.users.tolist() == [2, 0] and d.items.tolist() == [1, 1]
    with pytest.raises(ValueError, match="user id 9"):
        Interactions.from_raw([9], [7], user_ids=[1, 2], item_ids=[7])


def test_validation_names_the_bad_field():
    with pytest.raises(ValueError, match="items ids must lie in \\[0, 2\\)"):
        Interactions.from_dense([0, 1], [0, 2], n_users=2, n_items=2)
    with pytest.raises(ValueError, match="same length"):
        Interactions.from_dense([0, 1], [0], n_users=2, n_items=2)
    with pytest.raises(ValueError, match="user_ids must have length"):
        Interactions([0], [0], [1.0], None, 2, 1, np.array([5]), np.array([5]))
    with pytest.raises(ValueError, match="integer ids"):
        Interactions.from_dense([0.5], [0])


def test_to_csr_binary_collapses_duplicates_and_valued_keeps_latest():
    d = tiny()
    binary = d.to_csr()
    assert binary.shape == (3, 4) and binary.nnz == 5
    assert binary.toarray().tolist() == [[1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]]
    valued = d.to_csr(binary=False).toarray()
    # (a, 10) was rated 5 at time 2 and 1 at time 9: the latest rating (1) wins, nothing is summed.
    assert valued[0, 0] == 1.0 and valued[1, 0] == 4.0 and valued[0, 2] == 3.0


def test_implicit_view_thresholds_and_keeps_id_space():
    imp = tiny().implicit(3)
    assert len(imp) == 4 and set(imp.values.tolist()) == {1.0}
    assert (imp.n_users, imp.n_items) == (3, 4)
    assert tiny().implicit(None).values.tolist() == [1.0] * 6


def test_dedupe_keeps_latest_occurrence_in_row_order():
    d = tiny().dedupe()
    assert d.timestamps.tolist() == [5, 1, 3, 9, 4]
    assert d.values.tolist() == [4, 2, 3, 1, 5]


def test_stats_hand_computed():
    s = tiny().stats()
    assert s["n_interactions"] == 6 and s["n_duplicate_pairs"] == 1
    assert s["density"] == pytest.approx(5 / 12)
    assert (s["value_min"], s["value_max"], s["time_min"], s["time_max"]) == (1.0, 5.0, 1, 9)
    assert s["value_mean"] == pytest.approx(20 / 6)
    assert s["implicit"] is False and s["timestamps"] is True


def test_compact_drops_unused_ids_and_remaps_side_information():
    d = tiny().replace(
        side={
            "user_features": pd.DataFrame({"age": [30, 40, 50]}),
            "item_genres": np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=bool),
            "trust": np.array([[0, 2], [1, 0], [2, 1]]),
            "note": "kept verbatim",
        }
    )
    without_c = d.subset(d.users != 2).compact()
    assert (without_c.n_users, without_c.n_items) == (2, 3)
    assert without_c.user_ids.tolist() == ["a", "b"] and without_c.item_ids.tolist() == [10, 20, 30]
    assert without_c.side["user_features"].age.tolist() == [30, 40]
    assert without_c.side["item_genres"].tolist() == [[True, False], [False, True], [True, True]]
    assert without_c.side["trust"].tolist() == [[1, 0]]
    assert without_c.side["note"] == "kept verbatim"


def test_reindex_rejects_maps_with_gaps():
    with pytest.raises(ValueError, match="without gaps"):
        tiny().reindex(np.array([0, 2, -1]), np.arange(4))


def test_to_frame_with_original_ids():
    frame = tiny().to_frame(original_ids=True)
    assert frame.user.tolist() == ["b", "b", "a", "a", "a", "c"]
    assert list(frame.columns) == ["user", "item", "value", "timestamp"]


def test_split_requires_one_id_space_and_fingerprints_its_indices():
    d = tiny()
    train, test = d.subset(np.arange(4)), d.subset(np.array([4, 5]))
    split = Split(train, test, name="tiny", protocol="manual")
    h = hashlib.sha256()
    for label, part in (("train", train), ("test", test)):
        h.update(f"{label}:3:4:{len(part)};".encode())
        h.update(part.users.astype("<i8").tobytes())
        h.update(part.items.astype("<i8").tobytes())
    assert split.fingerprint == h.hexdigest()
    assert len(split.union()) == 6 and split.union().timestamps.tolist() == [5, 1, 2, 3, 9, 4]
    other = Interactions.from_dense([0], [0], n_users=4, n_items=4)
    with pytest.raises(ValueError, match="one id space"):
        Split(train, other)


def test_split_fingerprint_changes_with_content_only():
    d = tiny()
    a = Split(d.subset(np.arange(5)), d.subset(np.array([5])))
    b = Split(d.subset(np.arange(5)), d.subset(np.array([5])))
    c = Split(d.subset(np.array([0, 1, 2, 3, 5])), d.subset(np.array([4])))
    assert a.fingerprint == b.fingerprint != c.fingerprint
    # Values are not indices: the implicit view of the same split keeps its fingerprint.
    assert a.implicit().fingerprint == a.fingerprint


def test_record_side_tables_follow_a_reindex_and_keep_outside_rows():
    d = tiny().replace(
        side={"tag_assignments": pd.DataFrame({"user": [0, 2, 1], "item": [3, 0, -1], "tag_id": [7, 8, 9]})}
    )
    out = d.subset(d.users != 2).compact()  # drops user c (2) and item 40 (3)
    tags = out.side["tag_assignments"]
    # (0, 3) loses its item, (2, 0) its user; (1, -1) was outside the item space and stays so.
    assert tags.to_dict("list") == {"user": [1], "item": [-1], "tag_id": [9]}
