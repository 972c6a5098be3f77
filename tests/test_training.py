"""The training loop: samplers, losses, hooks, history, seeds and input validation."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.models import GRU4Rec, ItemPop, MatrixFactorization, Recommender
from advrec.models.sequential import next_item_bpr_loss
from advrec.training import (
    ContextPairwiseSampler,
    History,
    Hook,
    PairwiseSampler,
    PointwiseSampler,
    RatingSampler,
    RowSampler,
    SequencePairSampler,
    SequenceSampler,
    Trainer,
    bce_loss,
    bpr_loss,
    fit,
    mse_loss,
)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def small_train(n_users: int = 30, n_items: int = 20, per_user: int = 5, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_users), per_user)
    cols = np.concatenate([rng.choice(n_items, per_user, replace=False) for _ in range(n_users)])
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))


def pairs(matrix: sp.csr_matrix) -> set[tuple[int, int]]:
    return set(zip(*(a.tolist() for a in matrix.nonzero()), strict=True))


# ------------------------------------------------------------------------------------------ samplers


def test_pairwise_sampler_covers_each_interaction_once_with_unseen_negatives() -> None:
    train = small_train()
    batches = list(PairwiseSampler(train).batches(16, np.random.default_rng(0)))
    assert [len(b["users"]) for b in batches] == [16] * 9 + [6]  # 150 interactions
    users = torch.cat([b["users"] for b in batches]).numpy()
    pos = torch.cat([b["pos_items"] for b in batches]).numpy()
    neg = torch.cat([b["neg_items"] for b in batches]).numpy()
    assert sorted(zip(users.tolist(), pos.tolist(), strict=True)) == sorted(pairs(train))
    assert not pairs(train) & set(zip(users.tolist(), neg.tolist(), strict=True))


def test_samplers_reject_a_user_who_has_seen_every_item() -> None:
    train = sp.csr_matrix(np.array([[1, 1], [1, 0]], dtype=np.float32))
    for sampler in (PairwiseSampler(train), PointwiseSampler(train)):
        with pytest.raises(ValueError, match="user 0 has interacted with every item"):
            list(sampler.batches(4, np.random.default_rng(0)))


def test_pointwise_sampler_labels_positives_and_unseen_negatives() -> None:
    train = small_train()
    (batch,) = PointwiseSampler(train, negatives=3).batches(10_000, np.random.default_rng(0))
    labels = batch["labels"].numpy()
    assert len(labels) == 150 * 4 and labels.sum() == 150
    got = list(zip(batch["users"].tolist(), batch["items"].tolist(), strict=True))
    seen = pairs(train)
    assert all((p in seen) == bool(y) for p, y in zip(got, labels, strict=True))


def test_rating_row_and_context_samplers() -> None:
    train = sp.csr_matrix(np.array([[4, 0, 2], [0, 0, 0], [0, 5, 0]], dtype=np.float32))
    (batch,) = RatingSampler(train).batches(10, np.random.default_rng(0))
    got = sorted(zip(batch["users"].tolist(), batch["items"].tolist(), batch["labels"].tolist(), strict=True))
    assert got == [(0, 0, 4.0), (0, 2, 2.0), (2, 1, 5.0)]
    (rows,) = RowSampler(train).batches(10, np.random.default_rng(0))
    assert sorted(rows["users"].tolist()) == [0, 2]  # user 1 has no interaction
    for u, row in zip(rows["users"].tolist(), rows["rows"].numpy(), strict=True):
        assert row.tolist() == (train[u].toarray()[0] > 0).astype(float).tolist()
    triples = np.array([[0, 1, 2], [1, 0, 0], [1, 2, 1]])
    (ctx,) = ContextPairwiseSampler(triples, 2, 4, 3).batches(10, np.random.default_rng(0))
    got = sorted(zip(ctx["users"].tolist(), ctx["pos_items"].tolist(), ctx["tags"].tolist(), strict=True))
    assert got == [(0, 1, 2), (1, 0, 0), (1, 2, 1)]
    assert all(
        n not in ({1} if u == 0 else {0, 2})
        for u, n in zip(ctx["users"].tolist(), ctx["neg_items"].tolist(), strict=True)
    )
    with pytest.raises(ValueError, match=r"column 2 \(tags\) must hold ids in \[0, 2\)"):
        ContextPairwiseSampler(triples, 2, 4, 2)


def test_sequence_sampler_builds_left_padded_next_item_windows() -> None:
    sampler = SequenceSampler([np.array([5, 6, 7, 8]), np.array([3]), np.array([1, 2])], max_len=2)
    (batch,) = sampler.batches(10, np.random.default_rng(0))
    rows = {
        u: (i, t)
        for u, i, t in zip(
            batch["users"].tolist(), batch["inputs"].tolist(), batch["targets"].tolist(), strict=True
        )
    }
    assert rows == {0: ([7, 8], [7, 8]), 2: ([0, 2], [-1, 2])}  # inputs are ids + 1; user 1 is too short


def test_sequence_pair_sampler_draws_unseen_negatives_on_real_positions_only() -> None:
    sequences = [np.array([0, 1, 2, 3]), np.array([4]), np.array([5, 0])]
    sampler = SequencePairSampler(sequences, max_len=3, n_items=7)
    for seed in range(5):
        (batch,) = sampler.batches(10, np.random.default_rng(seed))
        for u, t, n in zip(batch["users"].tolist(), batch["targets"].tolist(), batch["negatives"].tolist(),
                           strict=True):
            assert [x < 0 for x in n] == [x < 0 for x in t]
            assert not set(n) & set(sequences[u].tolist())  # never an item the user has
            assert all(x in (-1, 4, 5, 6) if u == 0 else x in (-1, 1, 2, 3, 4, 6) for x in n)
    with pytest.raises(ValueError, match="every item"):
        SequencePairSampler([np.array([0, 1])], max_len=2, n_items=2)


def test_sequence_bpr_is_log2_when_scores_tie_and_falls_when_trained() -> None:
    train = small_train()
    train.data = np.arange(1, train.nnz + 1, dtype=np.float32)
    model = GRU4Rec(30, 20, 8, max_len=4)
    with torch.no_grad():
        model.item.zero_()  # every item scores 0 for every state: BPR = -log sigmoid(0) = log 2
    model.prepare(train)
    sampler = SequencePairSampler(model.sequences, 4, 20)
    (batch,) = sampler.batches(100, np.random.default_rng(0))
    assert next_item_bpr_loss(model, batch).item() == pytest.approx(np.log(2.0))
    fresh = GRU4Rec(30, 20, 8, max_len=4, seed=1)
    history = fit(fresh, train, loss="next_item_bpr", epochs=10, lr=0.01, seed=0)
    losses = history.metric("loss")
    assert losses[-1] < losses[0]


# -------------------------------------------------------------------------------------------- losses


class Fixed(Recommender):
    """score(u, i) = w[u, i]: a model whose scores are its parameters."""

    def __init__(self, w: list[list[float]]) -> None:
        super().__init__(len(w), len(w[0]))
        self.w = torch.nn.Parameter(torch.tensor(w))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.w[users, items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.w[users]


def test_losses_match_hand_computed_values() -> None:
    model = Fixed([[2.0, 0.0, 1.0], [0.5, 0.5, 3.0]])
    pair = {
        "users": torch.tensor([0, 1]),
        "pos_items": torch.tensor([0, 0]),
        "neg_items": torch.tensor([2, 2]),
    }
    # margins 1 and -2.5: mean of log(1 + e^-1) and log(1 + e^2.5)
    expected = (np.log1p(np.exp(-1.0)) + np.log1p(np.exp(2.5))) / 2
    assert bpr_loss(model, pair).item() == pytest.approx(expected, rel=1e-6)
    point = {"users": torch.tensor([0, 1]), "items": torch.tensor([0, 2]), "labels": torch.tensor([1.0, 0.0])}
    expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(3.0))) / 2
    assert bce_loss(model, point).item() == pytest.approx(expected, rel=1e-6)
    rated = {"users": torch.tensor([0, 1]), "items": torch.tensor([0, 2]), "labels": torch.tensor([3.0, 1.0])}
    assert mse_loss(model, rated).item() == pytest.approx((1.0 + 4.0) / 2)


def test_one_torch_sgd_step_matches_the_bpr_update_by_hand() -> None:
    # one user, two items: the only triple is (0, 0, 1)
    train = sp.csr_matrix(np.array([[1, 0]], dtype=np.float32))
    model = MatrixFactorization(1, 2, 2, bias=True)
    p, qi, qj, bi, bj = np.array([0.5, -1.0]), np.array([1.0, 2.0]), np.array([-0.5, 0.5]), 0.25, -0.5
    with torch.no_grad():
        model.user.copy_(torch.tensor(p[None]))
        model.item.copy_(torch.tensor(np.stack([qi, qj])))
        model.item_bias.copy_(torch.tensor([bi, bj]))
    lr, reg = 0.1, 0.05
    history = fit(model, train, optimizer="sgd", lr=lr, reg=reg, epochs=1, batch_size=1)
    x = p @ (qi - qj) + bi - bj
    g = 1 / (1 + np.exp(x))
    assert history.last["loss"] == pytest.approx(np.log1p(np.exp(-x)), rel=1e-6)
    np.testing.assert_allclose(model.user.detach().numpy()[0], p + lr * (g * (qi - qj) - reg * p), rtol=1e-6)
    np.testing.assert_allclose(model.item.detach().numpy()[0], qi + lr * (g * p - reg * qi), rtol=1e-6)
    np.testing.assert_allclose(model.item.detach().numpy()[1], qj + lr * (-g * p - reg * qj), rtol=1e-6)
    np.testing.assert_allclose(
        model.item_bias.detach().numpy(), [bi + lr * (g - reg * bi), bj + lr * (-g - reg * bj)]
    )


# ------------------------------------------------------------------------------ fit: logs, seeds, hooks


def test_history_logs_every_epoch_with_validation() -> None:
    train = small_train()
    calls = []

    def validate(model: Recommender) -> dict[str, float]:
        calls.append(model.training)
        return {"hr@10": 0.5}

    history = fit(MatrixFactorization(30, 20, 4), train, epochs=3, validate=validate)
    assert isinstance(history, History) and len(history) == 3
    assert [e["epoch"] for e in history.epochs] == [0, 1, 2]
    assert history.metric("hr@10") == [0.5] * 3 and calls == [False] * 3
    assert all(e["time"] > 0 and np.isfinite(e["loss"]) for e in history.epochs)
    assert history.engine == "torch" and history.deterministic and history.config["loss"] == "bpr"
    assert list(history.to_frame().columns) == ["epoch", "loss", "time", "hr@10"]
    with pytest.raises(KeyError, match="no log named 'ndcg'"):
        history.metric("ndcg")


def test_same_seed_same_model_and_the_global_rng_is_left_alone() -> None:
    train = small_train()

    def trained(seed: int) -> torch.Tensor:
        model = MatrixFactorization(30, 20, 4, seed=1)
        fit(model, train, epochs=2, seed=seed, batch_size=32)
        return model.user.detach().clone()

    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = trained(7)
    assert torch.equal(torch.rand(3), expected_next)
    assert torch.equal(first, trained(7))
    assert not torch.equal(first, trained(8))


class Recorder(Hook):
    def __init__(self, extra: float | None = None) -> None:
        self.started: list[Trainer] = []
        self.ended: list[tuple[int, dict]] = []
        self.extra = extra

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        self.started.append(trainer)

    def extra_loss(self, model, batch, loss_fn):
        return None if self.extra is None else torch.tensor(self.extra)

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict) -> None:
        self.ended.append((epoch, dict(logs)))


def test_hooks_are_called_and_their_extra_loss_is_added() -> None:
    train = small_train()
    plain, recorder = MatrixFactorization(30, 20, 4), Recorder(extra=5.0)
    shifted = MatrixFactorization(30, 20, 4)
    base = fit(plain, train, epochs=2, hooks=[Recorder()])
    history = fit(shifted, train, epochs=2, hooks=[recorder])
    assert len(recorder.started) == 1 and isinstance(recorder.started[0].optimizer, torch.optim.Adam)
    assert [e for e, _ in recorder.ended] == [0, 1]
    assert recorder.ended[1][1]["loss"] == history.last["loss"]
    # a constant extra term moves the logged loss by exactly 5 and leaves the gradients unchanged
    assert np.allclose(np.array(history.metric("loss")) - base.metric("loss"), 5.0)
    assert torch.equal(plain.user, shifted.user)


def test_extra_loss_gradients_reach_the_model() -> None:
    class ShrinkItems(Hook):
        def extra_loss(self, model, batch, loss_fn):
            return 10.0 * model.item.pow(2).sum()

    train = small_train()
    plain, shrunk = MatrixFactorization(30, 20, 4), MatrixFactorization(30, 20, 4)
    fit(plain, train, epochs=3, lr=0.01, optimizer="sgd", batch_size=32)
    fit(shrunk, train, epochs=3, lr=0.01, optimizer="sgd", batch_size=32, hooks=[ShrinkItems()])
    assert shrunk.item.norm() < 0.1 * plain.item.norm()  # 15 steps of decay by 1 - 0.01 * 20


def test_custom_loss_with_its_sampler() -> None:
    class Ones:
        def batches(self, batch_size, rng):
            yield {"users": torch.tensor([0, 1]), "items": torch.tensor([0, 0])}

    def push_up(model, batch):
        return -model.score(batch["users"], batch["items"]).mean()

    model = MatrixFactorization(30, 20, 4)
    before = model.score(torch.tensor([0]), torch.tensor([0])).item()
    history = fit(model, small_train(), loss=push_up, sampler=Ones(), epochs=3, lr=0.1)
    assert model.score(torch.tensor([0]), torch.tensor([0])).item() > before
    assert history.config["loss"] == "push_up"


def test_models_without_parameters_are_only_prepared() -> None:
    model = ItemPop(30, 20)
    history = fit(model, small_train(), epochs=5)
    assert len(history) == 0 and model.counts.sum() == 150


def test_sequential_models_train_from_timestamped_matrices() -> None:
    train = small_train()
    train.data = np.arange(1, train.nnz + 1, dtype=np.float32)
    model = GRU4Rec(30, 20, 8, max_len=4)
    history = fit(model, train, epochs=2)
    assert len(history) == 2 and len(model.sequences) == 30


def test_fit_rejects_bad_arguments() -> None:
    train = small_train()
    model = MatrixFactorization(30, 20, 4)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fit(model, train, loss="hinge")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        fit(model, train, optimizer="rmsprop")
    with pytest.raises(ValueError, match="engine must be one of"):
        fit(model, train, engine="jax")
    with pytest.raises(ValueError, match="lr must be positive"):
        fit(model, train, lr=0)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        fit(model, train, epochs=-1)
    with pytest.raises(ValueError, match="apr_epsilon/apr_lambda belong to engine='fast'"):
        fit(model, train, apr_epsilon=0.5, apr_lambda=1.0)
    with pytest.raises(TypeError, match="train must be a scipy.sparse"):
        fit(model, train.toarray().tolist())
    with pytest.raises(ValueError, match="reg > 0 needs the model's l2_penalty"):
        fit(Fixed([[0.0] * 20] * 30), train, reg=0.1)
