"""Splits and filters: leave-one-out, ratio hold-out, fingerprints and k-core on hand-checkable data."""

import subprocess
import sys

import numpy as np
import pytest

from advrec.data import Interactions, filter_values, kcore, leave_one_out, ratio_split, synthetic


def pairs(part: Interactions) -> set[tuple[int, int]]:
    return set(zip(part.users.tolist(), part.items.tolist(), strict=True))


@pytest.fixture(scope="module")
def data() -> Interactions:
    return synthetic(60, 40, 700, seed=3)


def test_leave_one_out_latest_holds_exactly_the_latest_item(data):
    split = leave_one_out(data, mode="latest")
    counts = data.user_counts()
    test_users = split.test.users
    assert sorted(test_users.tolist()) == np.flatnonzero(counts >= 2).tolist()  # one each, all eligible
    for u, i, t in zip(split.test.users, split.test.items, split.test.timestamps, strict=True):
        assert t == data.timestamps[data.users == u].max()
        assert (u, i) not in pairs(split.train)
    assert len(split.train) + len(split.test) == len(data)
    assert split.protocol == "leave-one-out-latest" and split.seed is None


def test_leave_one_out_keeps_single_interaction_users_in_train():
    d = Interactions.from_dense([0, 1, 1], [0, 0, 1], timestamps=[5, 1, 2])
    split = leave_one_out(d)
    assert pairs(split.test) == {(1, 1)} and pairs(split.train) == {(0, 0), (1, 0)}


def test_leave_one_out_removes_repeats_of_the_held_out_pair_from_train():
    d = Interactions.from_dense([0, 0, 0], [5, 6, 5], timestamps=[1, 2, 3], n_items=7)
    split = leave_one_out(d)
    assert pairs(split.test) == {(0, 5)} and pairs(split.train) == {(0, 6)}


def test_leave_one_out_ties_in_time_go_to_the_later_row():
    d = Interactions.from_dense([0, 0, 0], [1, 2, 3], timestamps=[7, 9, 9])
    assert pairs(leave_one_out(d).test) == {(0, 3)}


def test_leave_one_out_with_validation_takes_the_one_before():
    d = Interactions.from_dense([0, 0, 0, 1, 1], [0, 1, 2, 0, 1], timestamps=[3, 1, 2, 1, 2])
    split = leave_one_out(d, valid=True)
    assert pairs(split.test) == {(0, 0), (1, 1)}
    assert pairs(split.valid) == {(0, 2)}  # user 1 has only 2 rows: no validation item
    assert pairs(split.train) == {(0, 1), (1, 0)}


def test_leave_one_out_random_is_seeded(data):
    a, b, c = (leave_one_out(data, mode="random", seed=s) for s in (1, 1, 2))
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.seed == 1 and len(a.test) == int((data.user_counts() >= 2).sum())
    latest = leave_one_out(data, mode="latest")
    assert a.fingerprint != latest.fingerprint


def test_fingerprint_is_stable_across_processes(data):
    code = (
        "from advrec.data import synthetic, leave_one_out;"
        "print(leave_one_out(synthetic(60, 40, 700, seed=3), mode='random', seed=1).fingerprint)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == leave_one_out(data, mode="random", seed=1).fingerprint


def test_latest_needs_timestamps():
    d = Interactions.from_dense([0, 0], [0, 1])
    with pytest.raises(ValueError, match="needs timestamps"):
        leave_one_out(d)
    with pytest.raises(ValueError, match="mode must be one of"):
        leave_one_out(d, mode="oldest")


def test_ratio_split_per_user_temporal_counts():
    # user 0: 10 rows at times 0..9; user 1: 3 rows; user 2: 2 rows; user 3: 1 row.
    users = [0] * 10 + [1] * 3 + [2] * 2 + [3]
    items = list(range(10)) + [0, 1, 2] + [0, 1] + [0]
    times = list(range(10)) + [5, 6, 7] + [1, 2] + [0]
    d = Interactions.from_dense(users, items, timestamps=times)
    split = ratio_split(d, test=0.2, valid=0.1, mode="temporal")
    # round-half-up: user 0 -> 2 test (times 8, 9) + 1 valid (time 7); user 1 -> round(0.6)=1 test,
    # round(0.3)=0 valid; user 2 -> round(0.4)=0; user 3 -> 0.
    assert pairs(split.test) == {(0, 8), (0, 9), (1, 2)}
    assert pairs(split.valid) == {(0, 7)}
    assert len(split.train) == 16 - 4
    assert split.protocol == "ratio-temporal-user"


def test_ratio_split_always_keeps_a_training_row():
    d = Interactions.from_dense([0, 0], [0, 1], timestamps=[1, 2])
    split = ratio_split(d, test=0.5, valid=0.4, mode="temporal")
    assert len(split.train) == 1 and pairs(split.test) == {(0, 1)} and len(split.valid) == 0


def test_ratio_split_random_is_seeded_and_disjoint(data):
    a, b = ratio_split(data, test=0.25, seed=5), ratio_split(data, test=0.25, seed=5)
    assert a.fingerprint == b.fingerprint != ratio_split(data, test=0.25, seed=6).fingerprint
    assert not pairs(a.train) & pairs(a.test)
    assert len(a.train) + len(a.test) == len(data)


def test_ratio_split_global_temporal_takes_the_latest_rows():
    d = Interactions.from_dense(
        [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], list(range(10)), timestamps=list(range(10, 0, -1))
    )
    split = ratio_split(d, test=0.3, mode="temporal", by_user=False)
    assert sorted(split.test.timestamps.tolist()) == [8, 9, 10]


def test_ratio_split_validates_fractions(data):
    with pytest.raises(ValueError, match="test \\+ valid < 1"):
        ratio_split(data, test=0.6, valid=0.5)


def test_kcore_iterates_until_stable():
    # 2-core: user 3 (1 row) goes, then item 2 (1 row left), then user 2 (1 row left).
    d = Interactions.from_raw([10, 10, 11, 11, 12, 12, 13], [0, 1, 0, 1, 1, 2, 2])
    core = kcore(d, 2)
    assert (core.n_users, core.n_items, len(core)) == (2, 2, 4)
    assert core.user_ids.tolist() == [10, 11] and core.item_ids.tolist() == [0, 1]
    kept = kcore(d, 2, compact=False)
    assert (kept.n_users, kept.n_items, len(kept)) == (4, 3, 4)
    assert len(kcore(d, user_k=1, item_k=3)) == 3  # only item 1 has 3 rows


def test_kcore_result_satisfies_the_core_property(data):
    core = kcore(data, 5)
    assert core.user_counts().min() >= 5 and core.item_counts().min() >= 5


def test_filter_values_is_a_rating_threshold():
    d = Interactions.from_dense([0, 0, 1], [0, 1, 0], [1.0, 4.0, 5.0])
    assert filter_values(d, 4).values.tolist() == [4.0, 5.0]
    assert filter_values(d, max_value=4).values.tolist() == [1.0, 4.0]
