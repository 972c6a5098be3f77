"""DPR's F1, KL-loss and adversarial hook, FAN's decomposed model, and the post-hoc attribute attacker."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.defenses import AdversarialRegularizer
from advrec.fairness import (
    DecomposedMF,
    DecompositionLoss,
    DPRRegularizer,
    attribute_attack,
    f1_from_means,
    kl_score_loss,
    score_moments,
    score_vectors,
)
from advrec.models import MatrixFactorization
from advrec.training import bpr_loss, fit


def _mf(user: list[list[float]], item: list[list[float]], bias: bool = False) -> MatrixFactorization:
    model = MatrixFactorization(len(user), len(item), dim=len(user[0]), bias=bias)
    with torch.no_grad():
        model.user.copy_(torch.tensor(user))
        model.item.copy_(torch.tensor(item))
    return model


def test_f1_from_means_uses_averaged_precision_and_recall() -> None:
    # mean P = 0.15, mean R = 0.35 -> 2 * 0.15 * 0.35 / 0.5 = 0.21 (the per-user F1 mean would be 0.2190...)
    assert f1_from_means([0.2, 0.1, np.nan], [0.4, 0.3, np.nan]) == pytest.approx(0.21)
    assert f1_from_means([0.0], [0.0]) == 0.0
    with pytest.raises(ValueError, match="precision and recall"):
        f1_from_means([0.1, 0.2], [0.1])


def test_score_moments_closed_form_matches_hand_values() -> None:
    # user 0 scores items [1, 3]: mean 2, variance 1; user 1 = (0, 2) scores [0, 0]
    model = _mf([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [3.0, 0.0]])
    mean, var = score_moments(model)
    assert mean.tolist() == pytest.approx([2.0, 0.0])
    assert var.tolist() == pytest.approx([1.0, 0.0], abs=1e-6)
    # the full-scores path (an item bias forces it) agrees with the closed form
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(4, 3)).tolist(), rng.normal(size=(6, 3)).tolist()
    closed, biased = _mf(p, q), _mf(p, q, bias=True)
    scores = np.asarray(p) @ np.asarray(q).T
    for m in (closed, biased):
        mean, var = score_moments(m)
        assert mean.detach().numpy() == pytest.approx(scores.mean(1), abs=1e-5)
        assert var.detach().numpy() == pytest.approx(scores.var(1), abs=1e-5)


def test_kl_score_loss_is_zero_for_standard_normal_scores() -> None:
    # scores [-1, 1]: mean 0, variance 1 -> 0; scores [1, 3]: 4 + 1 - log 1 - 1 = 4
    with torch.no_grad():
        assert float(kl_score_loss(_mf([[1.0]], [[-1.0], [1.0]]))) == pytest.approx(0.0, abs=1e-6)
        assert float(kl_score_loss(_mf([[1.0]], [[1.0], [3.0]]))) == pytest.approx(4.0, abs=1e-5)


def test_dpr_weights_and_reversed_gradient() -> None:
    # groups: item 0 in g0, item 1 in g0 and g1, item 2 in g1 -> sizes (2, 2) -> weights 0.5, 1.0, 0.5
    groups = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    hook = DPRRegularizer(groups, mode="rsp", alpha=2.0, beta=0.0, hidden=(4,), adversary_steps=0)
    assert hook.weights.tolist() == pytest.approx([0.5, 1.0, 0.5])
    model = _mf([[1.0, 0.5], [0.2, -1.0]], [[0.3, 0.1], [-0.4, 0.9], [1.2, 0.0]])
    batch = {"users": torch.tensor([0, 1]), "pos_items": torch.tensor([0, 1]),
             "neg_items": torch.tensor([2, 2])}
    extra = hook.extra_loss(model, batch, bpr_loss)
    extra.backward()
    got = model.item.grad.clone()
    # by hand: the model descends -alpha / B * A, with A the weighted squared error of the adversary
    model.zero_grad()
    scores = torch.cat([model.score(batch["users"], batch["pos_items"]),
                        model.score(batch["users"], batch["neg_items"])])
    out = torch.sigmoid(hook.adversary(scores.unsqueeze(1)))
    target = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    weight = torch.tensor([0.5, 1.0, 0.5, 0.5])
    error = ((out - target).pow(2).sum(1) * weight).sum()
    (-2.0 / 2 * error).backward()
    assert torch.allclose(got, model.item.grad, atol=1e-6)
    assert float(extra.detach()) == pytest.approx(float(error.detach()), rel=1e-5)


def test_dpr_reo_feeds_only_positive_pairs_and_trains_the_adversary() -> None:
    groups = np.array([0, 1, 0, 1])
    model = MatrixFactorization(3, 4, dim=2, seed=0)
    batch = {"users": torch.tensor([0, 1, 2]), "pos_items": torch.tensor([0, 1, 2]),
             "neg_items": torch.tensor([3, 3, 3])}
    for mode, pairs in (("rsp", 6), ("reo", 3)):
        hook = DPRRegularizer(groups, mode=mode, beta=0.0, adversary_steps=2, seed=1)
        before = [p.detach().clone() for p in hook.adversary.parameters()]
        hook.extra_loss(model, batch, bpr_loss)
        assert hook._sums[2] == pairs
        assert any(not torch.equal(b, p) for b, p in zip(before, hook.adversary.parameters(), strict=True))
    with pytest.raises(ValueError, match="mode"):
        DPRRegularizer(groups, mode="eo")
    with pytest.raises(ValueError, match="n_groups >= 2"):
        DPRRegularizer(np.zeros(4, dtype=int))


def test_dpr_fit_runs_and_logs_history() -> None:
    train = sp.random(12, 10, density=0.3, random_state=0, format="csr")
    train.data[:] = 1.0
    model = MatrixFactorization(12, 10, dim=4, seed=0)
    hook = DPRRegularizer(np.arange(10) % 2, mode="rsp", adversary_steps=1)
    fit(model, train, epochs=2, batch_size=8, lr=0.01, hooks=[hook])
    assert [h["epoch"] for h in hook.history] == [0, 1]
    assert all(np.isfinite(h["adversary_error"]) and h["kl_loss"] >= 0 for h in hook.history)


def test_attribute_attack_separates_leaky_from_random_features() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=400)
    leaky = rng.normal(size=(400, 5)) + 3.0 * y[:, None]
    noise = rng.normal(size=(400, 5))
    assert attribute_attack(leaky, y, epochs=100)["auc"] > 0.95
    result = attribute_attack(noise, y, epochs=100, hidden=())
    assert 0.35 < result["auc"] < 0.65
    assert set(result) == {"auc", "f1", "accuracy", "majority"}
    with pytest.raises(ValueError, match="two of them"):
        attribute_attack(noise, np.zeros(400, dtype=int))


def test_decomposed_mf_serves_the_bias_free_part() -> None:
    model = DecomposedMF(2, 3, n_classes=2, dim=2, seed=0)
    users, items = torch.tensor([0, 1]), torch.tensor([2, 0])
    free, aware, q = model.user.detach(), model.bias.detach(), model.item.detach()
    full = ((free + aware)[users] * q[items]).sum(1)
    assert torch.allclose(model.score(users, items), full)
    model.serving = "bias-free"
    assert torch.allclose(model.score(users, items), (free[users] * q[items]).sum(1))
    assert torch.allclose(model.full_scores(users), free[users] @ q.T)
    model.serving = "other"
    with pytest.raises(ValueError, match="serving"):
        model.score(users, items)


def test_decomposition_loss_terms() -> None:
    model = DecomposedMF(2, 3, n_classes=2, dim=2, seed=0)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        model.bias.copy_(torch.tensor([[0.0, 2.0], [2.0, 2.0]]))  # user 0 orthogonal, user 1 parallel
    batch = {"users": torch.tensor([0, 1, 1])}
    only_orth = DecompositionLoss([0, 1], attribute_weight=0.0, orthogonality_weight=1.0)
    assert float(only_orth.extra_loss(model, batch, bpr_loss)) == pytest.approx(0.5)  # mean(|0|, |1|)
    only_ce = DecompositionLoss([0, -1], attribute_weight=1.0, orthogonality_weight=0.0)
    expected = F.cross_entropy(model.attribute_head(model.bias[:1]), torch.tensor([0]))
    assert float(only_ce.extra_loss(model, batch, bpr_loss)) == pytest.approx(float(expected))


def test_fan_fit_with_adversary_on_bias_free_part() -> None:
    train = sp.random(10, 8, density=0.4, random_state=1, format="csr")
    train.data[:] = 1.0
    labels = np.arange(10) % 2
    model = DecomposedMF(10, 8, n_classes=2, dim=4, seed=0)
    head_before = model.attribute_head.weight.detach().clone()
    adversary = AdversarialRegularizer(labels, source="user", lam=1.0)
    fit(model, train, epochs=2, batch_size=8, lr=0.01, hooks=[DecompositionLoss(labels), adversary])
    assert not torch.equal(head_before, model.attribute_head.weight)  # the bias-aware head is trained
    assert len(adversary.history) == 2
    with pytest.raises(TypeError, match="DecomposedMF"):
        fit(MatrixFactorization(10, 8, dim=4), train, epochs=1, hooks=[DecompositionLoss(labels)])


def test_score_vectors_gives_each_batch_user_once() -> None:
    model = _mf([[1.0], [2.0], [3.0]], [[1.0], [-1.0]])
    features, users = score_vectors(model, {"users": torch.tensor([2, 0, 2])})
    assert users.tolist() == [0, 2]
    assert features.tolist() == [[1.0, -1.0], [3.0, -3.0]]
