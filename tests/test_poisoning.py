"""Poisoning attacks: fake-profile shape, budgets, ratings, and the optimised attack against random."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks import (
    AverageAttack,
    BandwagonAttack,
    LoveHateAttack,
    OptimizedAttack,
    RandomAttack,
    SegmentAttack,
    fit_surrogate,
    inject,
)


@pytest.fixture(autouse=True)
def one_thread():
    """Batched tiny solves of the surrogate are many times slower with contended intra-op threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def explicit(n_users: int = 20, n_items: int = 15, seed: int = 0) -> sp.csr_matrix:
    """Integer ratings 1..5, each user rating 5 items; item i is rated by about n_users/3 users."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(n_users):
        items = rng.choice(n_items, 5, replace=False)
        rows += [u] * 5
        cols += list(items)
    vals = rng.integers(1, 6, len(rows)).astype(np.float64)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_users, n_items))


HEURISTICS = [
    (RandomAttack, {}),
    (AverageAttack, {}),
    (BandwagonAttack, {"n_popular": 2}),
    (SegmentAttack, {"segment_items": [0, 1, 2]}),
    (LoveHateAttack, {}),
]


@pytest.mark.parametrize(("cls", "extra"), HEURISTICS)
def test_profiles_have_the_budgeted_shape_filler_size_and_push_rating(cls, extra) -> None:
    ratings = explicit()
    fakes = cls([7, 9], n_fake=0.25, filler_size=4, seed=3, **extra)(ratings)
    assert isinstance(fakes, sp.csr_matrix)
    assert fakes.shape == (5, 15)  # 25% of 20 users
    selected = len(extra.get("segment_items", [])) + extra.get("n_popular", 0)
    dense = fakes.toarray()
    for row in dense:
        assert np.count_nonzero(row) == 2 + selected + 4
        assert row[7] == 5 and row[9] == 5
    values = fakes.data
    assert np.all((values >= 1) & (values <= 5)) and np.all(values == np.rint(values))


def test_budgets_as_counts_and_shares() -> None:
    ratings = explicit()
    fakes = RandomAttack(3, n_fake=3, filler_size=0.2, seed=0)(ratings)
    assert fakes.shape == (3, 15)
    assert np.all(np.diff(fakes.indptr) == 1 + 3)  # 20% of 15 items = 3 fillers
    assert RandomAttack(3, n_fake=0.001, filler_size=0)(ratings).shape == (1, 15)  # at least one profile


def test_seed_makes_profiles_reproducible_and_distinct_across_profiles() -> None:
    ratings = explicit()
    a = RandomAttack(3, n_fake=4, filler_size=5, seed=1)(ratings)
    b = RandomAttack(3, n_fake=4, filler_size=5, seed=1)(ratings)
    c = RandomAttack(3, n_fake=4, filler_size=5, seed=2)(ratings)
    assert (a != b).nnz == 0 and (a != c).nnz > 0
    assert len({tuple(np.flatnonzero(r)) for r in a.toarray()}) > 1


def test_bandwagon_rates_the_most_popular_items_at_the_maximum() -> None:
    ratings = explicit()
    counts = np.diff(ratings.tocsc().indptr)
    counts[4] = -1  # the target is not a bandwagon item
    popular = set(np.argsort(-counts, kind="stable")[:3])
    fakes = BandwagonAttack(4, n_popular=3, n_fake=6, filler_size=2, seed=0)(ratings).toarray()
    for row in fakes:
        assert all(row[i] == 5 for i in popular)
    assert np.all(fakes[:, sorted(popular)] == 5)


def test_segment_rates_the_segment_max_and_fillers_min() -> None:
    fakes = SegmentAttack(10, segment_items=[1, 2], n_fake=3, filler_size=4, seed=0)(explicit()).toarray()
    assert np.all(fakes[:, [1, 2, 10]] == 5)
    fillers = fakes.copy()
    fillers[:, [1, 2, 10]] = 0
    assert np.all(fillers[fillers > 0] == 1) and np.all(np.count_nonzero(fillers, axis=1) == 4)


def test_love_hate_nuke_gives_the_target_the_minimum_and_fillers_the_maximum() -> None:
    fakes = LoveHateAttack(6, goal="nuke", n_fake=4, filler_size=3, seed=0)(explicit()).toarray()
    assert np.all(fakes[:, 6] == 1)
    others = np.delete(fakes, 6, axis=1)
    assert np.all(others[others > 0] == 5) and np.all(np.count_nonzero(others, axis=1) == 3)
    push = LoveHateAttack(6, n_fake=4, filler_size=3, seed=0)(explicit()).toarray()
    assert np.all(push[:, 6] == 5) and np.all(np.delete(push, 6, axis=1)[np.delete(push, 6, axis=1) > 0] == 1)


def test_average_attack_rates_fillers_with_their_item_mean() -> None:
    # every rating of item i equals 1 + i % 5: item means are exact and spreads are zero
    rng = np.random.default_rng(0)
    dense = np.zeros((30, 10))
    for u in range(30):
        items = rng.choice(10, 4, replace=False)
        dense[u, items] = 1 + items % 5
    fakes = AverageAttack(0, n_fake=5, filler_size=6, seed=0)(sp.csr_matrix(dense)).toarray()
    for row in fakes:
        for i in np.flatnonzero(row):
            assert row[i] == (5 if i == 0 else 1 + i % 5)


def test_random_attack_draws_fillers_around_the_global_mean() -> None:
    dense = np.where(np.random.default_rng(0).random((40, 30)) < 0.3, 4.0, 0.0)
    attack = RandomAttack(0, n_fake=10, filler_size=10, rating_range=(1, 5), implicit=False)
    fakes = attack(sp.csr_matrix(dense))
    fillers = fakes.toarray()[:, 1:]
    assert np.all(fillers[fillers > 0] == 4)  # the spread is zero, so N(4, 0) rounds to 4


def test_implicit_data_gives_binary_profiles_and_refuses_nuke() -> None:
    binary = explicit()
    binary.data[:] = 1
    fakes = BandwagonAttack(2, n_popular=2, n_fake=3, filler_size=3)(binary)
    assert np.all(fakes.data == 1) and np.all(np.diff(fakes.indptr) == 6)
    with pytest.raises(ValueError, match="nuke"):
        RandomAttack(2, goal="nuke")(binary)
    with pytest.raises(ValueError, match="explicit"):
        LoveHateAttack(2, filler_size=2)(binary)


def test_inject_appends_fake_users() -> None:
    ratings = explicit()
    fakes = RandomAttack(3, n_fake=4, filler_size=2)(ratings)
    poisoned = inject(ratings, fakes)
    assert poisoned.shape == (24, 15)
    assert (poisoned[:20] != ratings).nnz == 0 and (poisoned[20:] != fakes).nnz == 0
    with pytest.raises(ValueError, match="item columns"):
        inject(ratings, sp.csr_matrix((1, 14)))


def test_bad_inputs_raise_clear_errors() -> None:
    ratings = explicit()
    with pytest.raises(ValueError, match="target_items"):
        RandomAttack(15)(ratings)
    with pytest.raises(ValueError, match="filler"):
        RandomAttack(0, filler_size=15)(ratings)
    with pytest.raises(ValueError, match="n_fake"):
        RandomAttack(0, n_fake=1.5)
    with pytest.raises(TypeError, match="n_fake"):
        RandomAttack(0, n_fake="10")
    with pytest.raises(ValueError, match="goal"):
        RandomAttack(0, goal="boost")
    with pytest.raises(TypeError, match="ratings"):
        RandomAttack(0)([[1, 2]])


def test_threat_models_state_knowledge_and_budget() -> None:
    tm = AverageAttack([1, 2], n_fake=0.05, filler_size=0.1).threat_model
    assert (tm.knowledge, tm.fake_share, tm.filler_size, tm.target) == ("gray-box", 0.05, 0.1, "items [1, 2]")
    assert tm.goal == "push the target items"
    assert RandomAttack(1).threat_model.knowledge == "black-box"
    assert OptimizedAttack(1, attack_steps=7).threat_model.iterations == 7


def planted(seed: int = 0, n_users: int = 100, n_items: int = 50, per_user: int = 8) -> sp.csr_matrix:
    """Implicit data with three taste groups and a heavy-tailed item popularity."""
    rng = np.random.default_rng(seed)
    user_group, item_group = rng.integers(0, 3, n_users), rng.integers(0, 3, n_items)
    popularity = rng.pareto(1.5, n_items) + 0.2
    rows, cols = [], []
    for u in range(n_users):
        w = popularity * np.where(item_group == user_group[u], 4.0, 1.0)
        rows += [u] * per_user
        cols += list(rng.choice(n_items, per_user, replace=False, p=w / w.sum()))
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))


def test_optimized_attack_respects_the_budget_and_beats_random_on_a_fresh_surrogate() -> None:
    ratings = planted()
    target = int(np.argsort(np.diff(ratings.tocsc().indptr), kind="stable")[5])  # a rarely rated item
    not_rated = ratings[:, target].toarray().ravel() == 0

    def target_score(fakes: sp.csr_matrix) -> float:
        """Mean predicted score of the target for real users, on surrogates retrained from new seeds."""
        out = []
        for seed in (11, 12):
            p, q = fit_surrogate(inject(ratings, fakes), dim=4, sweeps=30, seed=seed)
            out.append(float((p[: ratings.shape[0]][not_rated] @ q[target]).mean()))
        return float(np.mean(out))

    fakes = OptimizedAttack(target, n_fake=5, filler_size=4, dim=4, attack_steps=20, seed=0)(ratings)
    assert fakes.shape == (5, 50)
    assert np.all(np.diff(fakes.indptr) == 5) and np.all(fakes.toarray()[:, target] == 1)
    randoms = [RandomAttack(target, n_fake=5, filler_size=4, seed=s)(ratings) for s in range(5)]
    random_scores = [target_score(f) for f in randoms]
    clean = fit_surrogate(ratings, dim=4, sweeps=30, seed=11)
    assert target_score(fakes) > max(random_scores[0], np.mean(random_scores)) + 0.02
    assert np.mean(random_scores) > float((clean[0][not_rated] @ clean[1][target]).mean())
