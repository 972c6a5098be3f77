"""The numba BPR/APR engine: its per-sample step equals autograd's, its sampler respects the training
data, one thread is bitwise reproducible, and it learns as well as the eager path."""

from __future__ import annotations

from collections.abc import Iterator

import numba
import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.models import MatrixFactorization
from advrec.models.fast_bpr import FastBPRData, draw_block, seen_bitset, sgd_step
from advrec.training import Hook, fit


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def clusters(n_users: int = 200, n_items: int = 100, groups: int = 5, per_user: int = 8, seed: int = 0):
    """Users and items in clusters; one held-out item of the user's cluster per user."""
    rng = np.random.default_rng(seed)
    size = n_items // groups
    rows, cols, test = [], [], []
    for u in range(n_users):
        c = u % groups
        items = rng.choice(np.arange(c * size, (c + 1) * size), per_user + 1, replace=False)
        rows += [u] * per_user
        cols += list(items[:-1])
        test.append(items[-1])
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items)), np.array(
        test
    )


def hr10(model: MatrixFactorization, train: sp.csr_matrix, test: np.ndarray) -> float:
    with torch.no_grad():
        scores = model.full_scores(torch.arange(model.n_users)).numpy().copy()
    scores[train.nonzero()] = -np.inf
    return float((np.argsort(-scores, axis=1)[:, :10] == test[:, None]).any(axis=1).mean())


def eager_step(p, q_i, q_j, b_i, b_j, lr, reg, eps, lam):
    """Autograd's SGD step on l(x) + lam l(x~) + reg/2 |rows|^2 for one sample, the APR perturbation taken
    from autograd's gradient, normalised per row, and held constant."""
    t = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in (p, q_i, q_j, b_i, b_j)]
    P, Qi, Qj, Bi, Bj = t

    def loss(dp, di, dj):
        return -F.logsigmoid((P + dp) @ ((Qi + di) - (Qj + dj)) + Bi - Bj)

    zeros = [torch.zeros(len(p), requires_grad=True) for _ in range(3)]
    grads = torch.autograd.grad(loss(*zeros), zeros)
    deltas = [eps * g / g.norm() if g.norm() > 0 else torch.zeros_like(g) for g in grads]
    total = loss(*[torch.zeros(len(p))] * 3) + lam * loss(*deltas)
    total = total + reg / 2 * sum(v.pow(2).sum() for v in t)
    total.backward()
    return [(v - lr * v.grad).detach().numpy() for v in t]


@pytest.mark.parametrize("eps, lam", [(0.0, 0.0), (0.5, 1.0), (2.0, 0.3)])
def test_kernel_step_equals_the_autograd_step(eps: float, lam: float) -> None:
    rng = np.random.default_rng(3)
    P = rng.normal(size=(2, 8)).astype(np.float32)
    Q = rng.normal(size=(3, 8)).astype(np.float32)
    B = rng.normal(size=3).astype(np.float32)
    untouched = P[0].copy()
    expected = eager_step(P[1], Q[2], Q[0], B[2], B[0], 0.05, 0.01, eps, lam)
    fit_clean, fit_adv = sgd_step(P, Q, B, True, 1, 2, 0, 0.05, 0.01, eps, lam)
    got = [P[1], Q[2], Q[0], B[2], B[0]]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6)
    assert np.array_equal(P[0], untouched)
    assert 0 < fit_clean < 1 and 0 < fit_adv <= 1


def one_triple_model() -> tuple[sp.csr_matrix, MatrixFactorization]:
    """One user whose only item is 1 among 2: every sample is the triple (0, 1, 0)."""
    model = MatrixFactorization(1, 2, 4, bias=True)
    with torch.no_grad():
        model.item_bias.copy_(torch.tensor([0.3, -0.2]))
    return sp.csr_matrix(np.array([[0, 1]], dtype=np.float32)), model


def test_fast_and_torch_engines_take_the_same_step_through_fit() -> None:
    train, fast = one_triple_model()
    _, eager = one_triple_model()
    history = fit(fast, train, engine="fast", lr=0.1, reg=0.02, epochs=1)
    fit(eager, train, optimizer="sgd", batch_size=1, lr=0.1, reg=0.02, epochs=1)
    for name in ("user", "item", "item_bias"):
        torch.testing.assert_close(getattr(fast, name), getattr(eager, name), rtol=2e-5, atol=2e-6)
    assert history.engine == "fast" and history.deterministic and len(history) == 1


def test_fast_apr_step_through_fit_equals_the_autograd_step() -> None:
    train, model = one_triple_model()
    p, q, b = (t.detach().numpy().copy() for t in (model.user, model.item, model.item_bias))
    expected = eager_step(p[0], q[1], q[0], b[1], b[0], 0.1, 0.02, 0.5, 1.0)
    fit(model, train, engine="fast", lr=0.1, reg=0.02, epochs=1, apr_epsilon=0.5, apr_lambda=1.0)
    got = [model.user[0], model.item[1], model.item[0], model.item_bias[1], model.item_bias[0]]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.detach().numpy(), e, rtol=2e-5, atol=2e-6)


def test_bitset_marks_exactly_the_training_pairs() -> None:
    train = sp.csr_matrix(([1.0] * 4, ([0, 0, 1, 2], [0, 65, 64, 3])), shape=(3, 70))
    bits = seen_bitset(train)
    assert bits.shape == (3, 2) and bits.dtype == np.uint64
    assert bits[0].tolist() == [1, 2] and bits[1].tolist() == [0, 1] and bits[2].tolist() == [8, 0]


def test_drawn_samples_are_training_pairs_with_unseen_negatives() -> None:
    train, _ = clusters(n_users=50, n_items=30, groups=3, per_user=6)
    data = FastBPRData(train)
    out = [np.empty(2000, np.int64) for _ in range(3)]
    draw_block(np.uint64(11), 4, 2000, data.rows_of, data.items, data.bits, 30, *out)
    seen = train.toarray() > 0
    users, pos, neg = out
    assert seen[users, pos].all() and not seen[users, neg].any()
    again = [np.empty(2000, np.int64) for _ in range(3)]
    draw_block(np.uint64(11), 4, 2000, data.rows_of, data.items, data.bits, 30, *again)
    assert all(np.array_equal(a, b) for a, b in zip(out, again, strict=True))
    draw_block(np.uint64(12), 4, 2000, data.rows_of, data.items, data.bits, 30, *again)
    assert not np.array_equal(out[2], again[2])
    # every interaction has the same chance: a user's share of samples follows its share of interactions
    assert abs(np.mean(users < 25) - 0.5) < 0.05


def test_one_thread_is_bitwise_reproducible() -> None:
    train, _ = clusters()
    runs = []
    for _ in range(2):
        model = MatrixFactorization(200, 100, 16, bias=True)
        history = fit(model, train, engine="fast", lr=0.05, reg=0.01, epochs=3, seed=5, threads=1)
        runs.append((model.user.detach().numpy().copy(), model.item_bias.detach().numpy().copy(), history))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][2].metric("loss") == runs[1][2].metric("loss")
    assert runs[0][2].deterministic
    other = MatrixFactorization(200, 100, 16, bias=True)
    fit(other, train, engine="fast", lr=0.05, reg=0.01, epochs=3, seed=6, threads=1)
    assert not np.array_equal(other.user.detach().numpy(), runs[0][0])


@pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2, reason="Hogwild needs 2 numba threads on this machine"
)
def test_more_threads_are_recorded_as_not_deterministic() -> None:
    train, test = clusters()
    model = MatrixFactorization(200, 100, 16)
    history = fit(model, train, engine="fast", lr=0.05, reg=0.01, epochs=20, threads=2)
    assert not history.deterministic and history.config["threads"] == 2
    assert hr10(model, train, test) > 0.6


def test_fast_and_torch_engines_reach_the_same_accuracy() -> None:
    train, test = clusters()
    hrs = {}
    for seed in (0, 1):
        fast, eager = (
            MatrixFactorization(200, 100, 16, seed=seed),
            MatrixFactorization(200, 100, 16, seed=seed),
        )
        fit(fast, train, engine="fast", lr=0.05, reg=0.01, epochs=20, seed=seed)
        fit(eager, train, lr=0.01, batch_size=256, epochs=20, seed=seed)
        hrs.setdefault("fast", []).append(hr10(fast, train, test))
        hrs.setdefault("torch", []).append(hr10(eager, train, test))
    assert min(hrs["fast"]) > 0.7 and min(hrs["torch"]) > 0.7
    assert abs(np.mean(hrs["fast"]) - np.mean(hrs["torch"])) < 0.08


def test_apr_in_the_kernel_still_learns_and_logs_its_adversarial_loss() -> None:
    train, test = clusters()
    bpr, apr = MatrixFactorization(200, 100, 16), MatrixFactorization(200, 100, 16)
    plain = fit(bpr, train, engine="fast", lr=0.05, reg=0.01, epochs=20)
    adv = fit(apr, train, engine="fast", lr=0.05, reg=0.01, epochs=20, apr_epsilon=0.1, apr_lambda=1.0)
    assert hr10(apr, train, test) > 0.7
    assert adv.metric("loss")[0] > plain.metric("loss")[0]  # BPR loss plus lambda times a larger loss


def test_a_graph_built_before_the_kernel_cannot_be_backpropagated() -> None:
    train, _ = clusters(n_users=20, n_items=20, groups=2, per_user=3)
    model = MatrixFactorization(20, 20, 4)
    stale = model.full_scores(torch.arange(20)).sum()
    fit(model, train, engine="fast", epochs=1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()


def test_fast_engine_rejects_what_it_cannot_do() -> None:
    train, _ = clusters(n_users=20, n_items=20, groups=2, per_user=3)
    model = MatrixFactorization(20, 20, 4)

    class Adversary(Hook):
        def extra_loss(self, model, batch, loss_fn):
            return None

    with pytest.raises(ValueError, match="optimizer='adam' is not supported"):
        fit(model, train, engine="fast", optimizer="adam")
    with pytest.raises(ValueError, match="cannot add hooks' extra_loss"):
        fit(model, train, engine="fast", hooks=[Adversary()])
    with pytest.raises(ValueError, match="trains the 'bpr' loss only"):
        fit(model, train, engine="fast", loss="bce")
    with pytest.raises(ValueError, match="trains MatrixFactorization only"):
        from advrec.models import GMF

        fit(GMF(20, 20, 4), train, engine="fast")
    with pytest.raises(ValueError, match="runs on the CPU, got device='cuda'"):
        fit(model, train, engine="fast", device="cuda")
    with pytest.raises(ValueError, match="threads must be in"):
        fit(model, train, engine="fast", threads=numba.config.NUMBA_NUM_THREADS + 1)


def test_the_kernel_runs_on_the_workqueue_layer_so_no_openmp_workers_keep_spinning() -> None:
    if numba.config.THREADING_LAYER != "workqueue":
        pytest.skip(f"NUMBA_THREADING_LAYER is set to {numba.config.THREADING_LAYER!r} by the environment")
    train, _ = clusters(n_users=20, n_items=20, groups=2, per_user=3)
    fit(MatrixFactorization(20, 20, dim=4, seed=0), train, engine="fast", epochs=1, lr=0.05, seed=0)
    assert numba.threading_layer() == "workqueue"
