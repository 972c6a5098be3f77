"""The recommenders: each learns planted structure, scores pairs and catalogues consistently, reads its
embeddings through `table()`, and the simple ones match hand-computed values."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.metrics import hit_matrix, hr_at_k, n_relevant
from advrec.models import (
    CDAE,
    GMF,
    MLP,
    PITF,
    VBPR,
    BiasedMF,
    EmbeddingRecommender,
    GRU4Rec,
    ItemKNN,
    ItemPop,
    LightGCN,
    MatrixFactorization,
    MultVAE,
    NeuMF,
    Recommender,
    SASRec,
)
from advrec.models.sequential import sequences_from_matrix
from advrec.training import fit


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models run faster on one thread, and the test machine's cores are shared."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def clusters(n_users: int = 200, n_items: int = 100, groups: int = 5, per_user: int = 8, seed: int = 0):
    """Users and items in `groups` clusters; each user holds `per_user` items of its cluster in train
    and one more in test. Items are equally popular, so popularity cannot find the test item."""
    rng = np.random.default_rng(seed)
    size = n_items // groups
    rows, cols, test = [], [], []
    for u in range(n_users):
        c = u % groups
        items = rng.choice(np.arange(c * size, (c + 1) * size), per_user + 1, replace=False)
        rows += [u] * per_user
        cols += list(items[:-1])
        test.append(items[-1])
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))
    return train, np.array(test)


def cycles(n_users: int = 150, n_items: int = 40, length: int = 8, seed: int = 0):
    """Each user walks the item cycle s, s+1, ... (values = positions); the test item is the next step."""
    rng = np.random.default_rng(seed)
    rows, cols, vals, test = [], [], [], []
    for u in range(n_users):
        seq = (rng.integers(n_items) + np.arange(length + 1)) % n_items
        rows += [u] * length
        cols += list(seq[:-1])
        vals += list(range(1, length + 1))
        test.append(seq[-1])
    train = sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(n_users, n_items))
    return train, np.array(test)


def hr10(scores: np.ndarray, seen: sp.csr_matrix, test: np.ndarray) -> float:
    """HR@10 of full-ranking scores with seen items excluded."""
    scores = scores.copy()
    scores[seen.nonzero()] = -np.inf
    topk = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    truth = sp.csr_matrix((np.ones(len(test)), (np.arange(len(test)), test)), shape=scores.shape)
    return float(np.nanmean(hr_at_k(hit_matrix(topk, truth), n_relevant(truth), 10)))


def all_scores(model: Recommender, **context: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model.full_scores(torch.arange(model.n_users), **context).numpy()


def side_features(n_items: int = 100, groups: int = 5) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.eye(groups)[np.arange(n_items) // (n_items // groups)] + 0.1 * rng.standard_normal(
        (n_items, groups)
    )


# name -> (model factory, fit arguments); all learn the cluster data
CLUSTER_MODELS: dict[str, tuple[Callable[[int, int], Recommender], dict]] = {
    "ItemKNN": (lambda nu, ni: ItemKNN(nu, ni, k=20), {}),
    "MatrixFactorization": (
        lambda nu, ni: MatrixFactorization(nu, ni, 16),
        dict(epochs=20, lr=0.01, batch_size=256),
    ),
    "VBPR": (lambda nu, ni: VBPR(nu, ni, side_features(ni), 8, 8), dict(epochs=20, lr=0.01, batch_size=256)),
    "GMF": (lambda nu, ni: GMF(nu, ni, 16), dict(epochs=20, lr=0.01, batch_size=256)),
    "MLP": (lambda nu, ni: MLP(nu, ni, (32, 16), init_std=0.1), dict(epochs=20, lr=0.01, batch_size=256)),
    "NeuMF": (lambda nu, ni: NeuMF(nu, ni, 16, (32, 16)), dict(epochs=20, lr=0.01, batch_size=256)),
    "CDAE": (lambda nu, ni: CDAE(nu, ni, 32), dict(epochs=30, lr=0.01, batch_size=64)),
    "MultVAE": (
        lambda nu, ni: MultVAE(nu, ni, 64, 16, anneal_steps=100),
        dict(epochs=50, lr=0.005, batch_size=64),
    ),
    "LightGCN": (lambda nu, ni: LightGCN(nu, ni, 16, layers=2), dict(epochs=20, lr=0.01, batch_size=256)),
}


@pytest.fixture(scope="module")
def cluster_data():
    train, test = clusters()
    pop = ItemPop(*train.shape)
    fit(pop, train)
    return train, test, hr10(all_scores(pop), train, test)


@pytest.mark.parametrize("name", sorted(CLUSTER_MODELS))
def test_model_learns_planted_clusters(name: str, cluster_data) -> None:
    train, test, pop_hr = cluster_data
    factory, kwargs = CLUSTER_MODELS[name]
    model = factory(*train.shape)
    fit(model, train, **kwargs)
    hr = hr10(all_scores(model), train, test)
    assert pop_hr < 0.2  # the test item is one of ~91 equally popular candidates
    assert hr > 0.5 and hr > pop_hr + 0.35, f"{name}: HR@10 {hr:.3f} vs ItemPop {pop_hr:.3f}"


@pytest.mark.parametrize("cls", [GRU4Rec, SASRec])
def test_sequential_model_learns_the_next_item(cls) -> None:
    train, test = cycles()
    pop = ItemPop(*train.shape)
    fit(pop, train)
    model = cls(*train.shape, dim=32, max_len=10)
    fit(model, train, epochs=30, lr=0.01, batch_size=64)
    hr, pop_hr = hr10(all_scores(model), train, test), hr10(all_scores(pop), train, test)
    assert hr > 0.9 and hr > pop_hr + 0.4, f"HR@10 {hr:.3f} vs ItemPop {pop_hr:.3f}"


def test_pitf_ranks_items_by_tag_context() -> None:
    rng = np.random.default_rng(0)
    n_users, n_items, n_tags = 100, 60, 3
    triples, held_out = [], []
    for u in range(n_users):  # a user's items under tag t come from item block t
        for t in rng.choice(n_tags, 2, replace=False):
            items = rng.choice(np.arange(t * 20, t * 20 + 20), 6, replace=False)
            triples += [(u, i, t) for i in items[:-1]]
            held_out.append((u, t, items[-1]))
    triples, held_out = np.array(triples), np.array(held_out)
    model = PITF(n_users, n_items, n_tags, 16)
    fit(model, triples, epochs=30, lr=0.01, batch_size=128)
    seen = sp.csr_matrix((np.ones(len(triples)), (triples[:, 0], triples[:, 1])), shape=(n_users, n_items))
    seen.data[:] = 1
    users, tags = torch.from_numpy(held_out[:, 0]), torch.from_numpy(held_out[:, 1])
    with torch.no_grad():
        scores = model.full_scores(users, tags).numpy()
    popularity = np.tile(np.bincount(triples[:, 1], minlength=n_items).astype(float), (len(held_out), 1))
    hr = hr10(scores, seen[held_out[:, 0]], held_out[:, 2])
    pop_hr = hr10(popularity, seen[held_out[:, 0]], held_out[:, 2])
    assert hr > pop_hr + 0.3, f"HR@10 {hr:.3f} vs popularity {pop_hr:.3f}"
    with torch.no_grad():  # without a tag only the user-item interaction counts
        expected = model.user[users] @ model.item.T
        torch.testing.assert_close(model.full_scores(users), expected)


def test_biased_mf_predicts_ratings_better_than_the_mean() -> None:
    rng = np.random.default_rng(0)
    n_users, n_items = 200, 100
    ratings = 3 + 0.7 * rng.normal(size=(n_users, 3)) @ rng.normal(size=(n_items, 3)).T
    u, i = np.nonzero(rng.random((n_users, n_items)) < 0.3)
    order = rng.permutation(len(u))
    u, i = u[order], i[order]
    r = ratings[u, i] + rng.normal(0, 0.1, len(u))
    cut = int(0.8 * len(u))
    train = sp.csr_matrix((r[:cut].astype(np.float32), (u[:cut], i[:cut])), shape=(n_users, n_items))
    model = BiasedMF(n_users, n_items, 8, init_std=0.1)
    fit(model, train, epochs=30, lr=0.01, batch_size=256, reg=0.01)
    assert float(model.mean) == pytest.approx(r[:cut].mean(), rel=1e-5)
    with torch.no_grad():
        pred = model.score(torch.from_numpy(u[cut:]), torch.from_numpy(i[cut:])).numpy()
    rmse = np.sqrt(np.mean((pred - r[cut:]) ** 2))
    baseline = np.sqrt(np.mean((r[:cut].mean() - r[cut:]) ** 2))
    assert rmse < 0.5 * baseline


# ------------------------------------------------------------------------- contract: score vs full


def contract_models() -> dict[str, tuple[Recommender, sp.spmatrix | np.ndarray]]:
    train, _ = clusters(n_users=30, n_items=20, groups=2, per_user=4)
    seq, _ = cycles(n_users=30, n_items=20, length=5)
    n_users, n_items = train.shape
    triples = np.array([[u, i, (u + i) % 3] for u, i in zip(*train.nonzero(), strict=True)])
    models: dict[str, tuple[Recommender, sp.spmatrix | np.ndarray]] = {
        name: (factory(n_users, n_items), train) for name, (factory, _) in CLUSTER_MODELS.items()
    }
    models["VBPR"] = (VBPR(n_users, n_items, side_features(n_items, 2), 4, 4), train)
    models["ItemPop"] = (ItemPop(n_users, n_items), train)
    models["MatrixFactorization+bias"] = (MatrixFactorization(n_users, n_items, 4, bias=True), train)
    models["BiasedMF"] = (BiasedMF(n_users, n_items, 4), train)
    models["PITF"] = (PITF(n_users, n_items, 3, 4), triples)
    models["GRU4Rec"] = (GRU4Rec(n_users, n_items, 8, max_len=4), seq)
    models["SASRec"] = (SASRec(n_users, n_items, 8, max_len=4), seq)
    return models


CONTRACT = contract_models()


def context(model: Recommender, users: torch.Tensor) -> dict[str, torch.Tensor]:
    """The tag context of PITF's scores (each user with tag user % 3); nothing for other models."""
    return {"tags": users % 3} if isinstance(model, PITF) else {}


@pytest.fixture(scope="module")
def trained_contract_models() -> dict[str, Recommender]:
    out = {}
    for name, (model, train) in CONTRACT.items():
        fit(model, train, epochs=1, batch_size=64, lr=0.01)
        model.eval()
        out[name] = model
    return out


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_score_agrees_with_full_scores(name: str, trained_contract_models) -> None:
    model = trained_contract_models[name]
    users = torch.tensor([0, 3, 3, 7, 29])
    items = torch.tensor([1, 0, 19, 5, 11])
    ctx = context(model, users)
    with torch.no_grad():
        full = model.full_scores(users, **ctx)
        pairs = model.score(users, items, **ctx)
    assert full.shape == (5, model.n_items)
    torch.testing.assert_close(pairs, full[torch.arange(5), items], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "name", sorted(n for n, (m, _) in CONTRACT.items() if isinstance(m, EmbeddingRecommender))
)
def test_every_embedding_table_reaches_the_scores(name: str, trained_contract_models) -> None:
    model = trained_contract_models[name]
    users = torch.arange(model.n_users)
    ctx = context(model, users)
    with torch.no_grad():
        clean = model.full_scores(users, **ctx)
        for table_name, table in model.embeddings().items():
            with model.perturbed({table_name: torch.zeros_like(table)}):
                torch.testing.assert_close(model.full_scores(users, **ctx), clean)
            delta = torch.randn(table.shape, generator=torch.Generator().manual_seed(0))
            with model.perturbed({table_name: delta}):
                moved = (model.full_scores(users, **ctx) - clean).abs().max()
            assert moved > 1e-3, f"perturbing {table_name!r} does not change {name}'s scores"
        torch.testing.assert_close(model.full_scores(users, **ctx), clean)


# ------------------------------------------------------------------------------ hand-computed cases


def test_item_pop_counts_training_interactions() -> None:
    train = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0], [5, 0, 0]], dtype=np.float32))
    model = ItemPop(3, 3)
    history = fit(model, train)
    assert len(history) == 0
    assert model.full_scores(torch.tensor([0, 2])).tolist() == [[3.0, 0.0, 1.0]] * 2
    assert model.score(torch.tensor([1]), torch.tensor([2])).tolist() == [1.0]


def test_item_knn_sums_cosine_of_the_k_nearest_neighbours() -> None:
    # items (columns): a = users {0,1}, b = users {0}, c = users {1,2}
    train = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]], dtype=np.float32))
    model = ItemKNN(3, 3, k=1)
    fit(model, train)
    # cos(a,b) = 1/sqrt(2), cos(a,c) = 1/2, cos(b,c) = 0; with k=1: a -> b, b -> a, c -> a
    expected_sim = np.array([[0, 1 / np.sqrt(2), 0], [1 / np.sqrt(2), 0, 0], [0.5, 0, 0]])
    np.testing.assert_allclose(model.similarity.toarray(), expected_sim, rtol=1e-6)
    # score(u, i) = sum over i's neighbours j of sim(i -> j) * r(u, j)
    expected = train.toarray() @ expected_sim.T
    np.testing.assert_allclose(all_scores(model), expected, rtol=1e-6)
    assert all_scores(model)[1, 1] == pytest.approx(1 / np.sqrt(2))  # user 1 holds a, b's neighbour


def test_lightgcn_averages_propagated_layers() -> None:
    train = sp.csr_matrix(np.array([[1, 1], [0, 1]], dtype=np.float32))
    model = LightGCN(2, 2, 3, layers=1)
    model.prepare(train)
    e0 = torch.cat([model.user, model.item]).detach().numpy()
    adj = np.zeros((4, 4))
    adj[:2, 2:], adj[2:, :2] = train.toarray(), train.toarray().T
    d = adj.sum(1)
    norm = adj / np.sqrt(np.outer(d, d))
    final = (e0 + norm @ e0) / 2
    expected = final[:2] @ final[2:].T
    np.testing.assert_allclose(all_scores(model), expected, rtol=1e-5, atol=1e-6)


def test_matrix_factorization_l2_penalty_is_half_the_squared_rows() -> None:
    model = MatrixFactorization(2, 3, 2, bias=True)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
        model.item.copy_(torch.tensor([[1.0, 0.0], [0.0, 3.0], [1.0, 1.0]]))
        model.item_bias.copy_(torch.tensor([0.5, 0.0, 2.0]))
    batch = {
        "users": torch.tensor([0, 1]),
        "pos_items": torch.tensor([0, 1]),
        "neg_items": torch.tensor([2, 2]),
    }
    # sample 1: |p0|^2 5 + |q0|^2 1 + b0^2 .25 + |q2|^2 2 + b2^2 4 = 12.25; sample 2: 1 + 9 + 0 + 2 + 4 = 16
    assert float(model.l2_penalty(batch).detach()) == pytest.approx(0.5 * (12.25 + 16) / 2)
    assert model.score(torch.tensor([0]), torch.tensor([2])).detach().item() == pytest.approx(1 + 2 + 2)


def test_sequences_follow_the_matrix_values() -> None:
    train = sp.csr_matrix(np.array([[3, 1, 0, 2], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=np.float32))
    seqs = sequences_from_matrix(train)
    assert [s.tolist() for s in seqs] == [[1, 3, 0], [], [0, 2]]  # ties broken by item id
    model = GRU4Rec(3, 4, 4, max_len=2)
    model.prepare(train)
    assert model.histories(torch.tensor([0, 1, 2])).tolist() == [[4, 1], [0, 0], [1, 3]]


def test_mult_vae_anneals_the_kl_weight() -> None:
    train, _ = clusters(n_users=20, n_items=10, groups=2, per_user=3)
    model = MultVAE(20, 10, 8, 4, beta_cap=0.3, anneal_steps=100)
    fit(model, train, epochs=2, batch_size=5)  # 4 batches per epoch
    assert int(model.updates) == 8
    assert model.beta == pytest.approx(0.08)
    model.updates.fill_(1000)
    assert model.beta == pytest.approx(0.3)


def test_bad_inputs_raise_clear_errors() -> None:
    train, _ = clusters(n_users=10, n_items=10, groups=2, per_user=2)
    with pytest.raises(ValueError, match=r"shape \(10, 10\).*\(10 users, 12 items\)"):
        fit(MatrixFactorization(10, 12, 4), train)
    with pytest.raises(ValueError, match="features must have shape"):
        VBPR(10, 10, np.zeros((9, 3)))
    with pytest.raises(ValueError, match="n_users and n_items must be positive"):
        ItemPop(0, 3)
    model = GRU4Rec(2, 3, 4)
    with pytest.raises(ValueError, match="outside"):
        model.set_sequences([np.array([0, 3]), np.array([1])])


@pytest.mark.parametrize("model_cls", [ItemKNN, LightGCN])
def test_preparing_a_model_leaves_the_callers_matrix_untouched(model_cls) -> None:
    ratings = sp.csr_matrix(np.array([[5.0, 0, 3.0], [0, 4.0, 1.0]], dtype=np.float32))
    before = ratings.toarray().copy()
    model_cls(2, 3).prepare(ratings)
    np.testing.assert_array_equal(ratings.toarray(), before)
