"""Perturbation attacks (random, FGSM, BIM/PGD, C&W) on a tiny BPR-MF and on input features."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks import BIM, FGSM, MSAP, PGD, CarliniWagner, RandomNoise, ThreatModel
from advrec.models import VBPR, MatrixFactorization
from advrec.training import PairwiseSampler, bpr_loss, fit

EPS = 0.5


def clustered(n_users: int = 40, n_items: int = 24, per_user: int = 6, seed: int = 0) -> sp.csr_matrix:
    """Implicit data with two taste clusters: users of cluster c mostly pick items of cluster c."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(n_users):
        weights = np.where(np.arange(n_items) % 2 == u % 2, 5.0, 1.0)
        items = rng.choice(n_items, per_user, replace=False, p=weights / weights.sum())
        rows += [u] * per_user
        cols += list(items)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))


@pytest.fixture(scope="module")
def trained() -> tuple[MatrixFactorization, dict[str, torch.Tensor]]:
    train = clustered()
    model = MatrixFactorization(*train.shape, dim=8, seed=0)
    fit(model, train, loss="bpr", epochs=40, batch_size=64, lr=0.05, seed=0)
    batch = next(PairwiseSampler(train).batches(train.nnz, np.random.default_rng(1)))
    return model, batch


def loss_under(model: MatrixFactorization, batch: dict[str, torch.Tensor], deltas: dict) -> float:
    with torch.no_grad(), model.perturbed(deltas):
        return float(bpr_loss(model, batch))


def read_rows(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    items = torch.cat([batch["pos_items"], batch["neg_items"]])
    return {"user": batch["users"].unique(), "item": items.unique()}


def test_fgsm_rows_have_norm_epsilon_and_untouched_rows_stay_zero(trained) -> None:
    model, batch = trained
    deltas = FGSM(EPS)(model, bpr_loss, batch)
    assert set(deltas) == {"user", "item"}
    for name, rows in read_rows(batch).items():
        norms = deltas[name].norm(dim=1)
        assert torch.allclose(norms[rows], torch.full_like(norms[rows], EPS), atol=1e-5)
        others = torch.ones(len(norms), dtype=torch.bool)
        others[rows] = False
        assert torch.all(norms[others] == 0)


def test_fgsm_linf_is_epsilon_times_gradient_sign(trained) -> None:
    model, batch = trained
    user = FGSM(0.1, norm="linf", targets="user")(model, bpr_loss, batch)["user"]
    rows = read_rows(batch)["user"]
    assert torch.allclose(user[rows].abs(), torch.full_like(user[rows], 0.1))
    delta = torch.zeros_like(model.user).requires_grad_(True)
    with model.perturbed({"user": delta}):
        bpr_loss(model, batch).backward()
    assert torch.equal(user, 0.1 * delta.grad.sign())


def test_fgsm_on_one_triple_matches_the_closed_form() -> None:
    # BPR on (u, i, j): dL/dp_u = -sigma(-x) (q_i - q_j), so Delta p_u = -eps (q_i - q_j) / ||q_i - q_j||.
    model = MatrixFactorization(1, 2, dim=2, seed=0)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0, 2.0]]))
        model.item.copy_(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
    batch = {"users": torch.tensor([0]), "pos_items": torch.tensor([0]), "neg_items": torch.tensor([1])}
    deltas = FGSM(0.5)(model, bpr_loss, batch)
    expected_user = -0.5 * torch.tensor([3.0, -4.0]) / 5.0
    assert torch.allclose(deltas["user"][0], expected_user)
    assert torch.allclose(deltas["item"], torch.tensor([[-1.0, -2.0], [1.0, 2.0]]) * 0.5 / math.sqrt(5))


def test_fgsm_raises_the_loss_more_than_random_noise_of_the_same_norm(trained) -> None:
    model, batch = trained
    clean = loss_under(model, batch, {})
    fgsm = loss_under(model, batch, FGSM(EPS)(model, bpr_loss, batch))
    noise = [RandomNoise(EPS, seed=s)(model, bpr_loss, batch) for s in range(5)]
    for d in noise:
        for name, rows in read_rows(batch).items():
            assert torch.allclose(d[name][rows].norm(dim=1), torch.full((len(rows),), EPS), atol=1e-5)
    random_gain = np.mean([loss_under(model, batch, d) for d in noise]) - clean
    assert fgsm - clean > 5 * max(random_gain, 1e-3)


@pytest.mark.parametrize("norm", ["l2", "linf"])
@pytest.mark.parametrize("attack_cls", [BIM, PGD])
def test_iterative_attacks_stay_in_the_ball_and_beat_fgsm(trained, attack_cls, norm) -> None:
    model, batch = trained
    eps = EPS if norm == "l2" else 0.1
    deltas = attack_cls(eps, norm=norm, steps=10)(model, bpr_loss, batch)
    for d in deltas.values():
        size = d.norm(dim=1) if norm == "l2" else d.abs().amax(dim=1)
        assert float(size.max()) <= eps + 1e-5
    fgsm = loss_under(model, batch, FGSM(eps, norm=norm)(model, bpr_loss, batch))
    assert loss_under(model, batch, deltas) >= fgsm - 1e-6


def test_bim_is_msap_and_pgd_starts_randomly(trained) -> None:
    model, batch = trained
    assert MSAP is BIM
    a = PGD(EPS, steps=1, seed=0)(model, bpr_loss, batch)["user"]
    b = PGD(EPS, steps=1, seed=1)(model, bpr_loss, batch)["user"]
    assert not torch.allclose(a, b)
    unread = torch.ones(model.n_users, dtype=torch.bool)
    unread[read_rows(batch)["user"]] = False
    assert torch.all(a[unread] == 0)


def test_perturb_reaches_input_features_through_an_objective() -> None:
    # objective(x + d) = sum((x + d) * w): its worst L2 perturbation per row is eps * w_r / ||w_r||.
    w = torch.tensor([[3.0, 4.0], [0.0, -2.0]])
    x = torch.zeros(2, 2)

    def objective(deltas):
        return ((x + deltas["features"]) * w).sum()

    expected = torch.tensor([[0.6, 0.8], [0.0, -1.0]])
    for attack in (FGSM(1.0), BIM(1.0, steps=5)):
        assert torch.allclose(attack.perturb(objective, {"features": x})["features"], expected, atol=1e-5)
    # PGD's random start decays geometrically (factor 1 / 1.5 per step here) toward the same point.
    pgd = PGD(1.0, steps=20, step_size=0.5).perturb(objective, {"features": x})["features"]
    assert torch.allclose(pgd, expected, atol=2e-3)


def test_fgsm_on_side_features_of_vbpr_lowers_the_pair_margin() -> None:
    rng = np.random.default_rng(0)
    model = VBPR(3, 5, rng.normal(size=(5, 4)), dim=4, visual_dim=3, seed=0)
    batch = {"users": torch.tensor([0, 1]), "pos_items": torch.tensor([0, 1])}
    batch["neg_items"] = torch.tensor([2, 3])
    deltas = FGSM(0.5, targets="side")(model, bpr_loss, batch)
    assert set(deltas) == {"side"} and torch.all(deltas["side"][4] == 0)
    with torch.no_grad():
        clean = float(bpr_loss(model, batch))
        with model.perturbed(deltas):
            attacked = float(bpr_loss(model, batch))
    assert attacked > clean


def test_cw_pushes_a_low_ranked_item_into_most_users_top_k(trained) -> None:
    model, _ = trained
    users = torch.arange(0, 40, 2)  # one taste cluster
    with torch.no_grad():
        scores = model.full_scores(users)
    target = int(scores.mean(0).argmin())
    rank_before = (scores > scores[:, [target]]).sum(1).float()
    attack = CarliniWagner(targets="item", target_items=[target], top_k=5, c=10.0, steps=100, step_size=0.05)
    deltas = attack(model, bpr_loss, {"users": users})
    assert set(deltas) == {"item"}
    with torch.no_grad(), model.perturbed(deltas):
        after = model.full_scores(users)
    rank_after = (after > after[:, [target]]).sum(1).float()
    assert rank_before.mean() > 10
    assert rank_after.mean() < rank_before.mean() / 3
    assert float((rank_after < 5).float().mean()) >= 0.75
    assert float(deltas["item"][target].norm()) > 0


def test_cw_untargeted_flips_the_batch_preferences(trained) -> None:
    model, batch = trained
    small = {k: v[:8] for k, v in batch.items()}
    deltas = CarliniWagner(targets=("user",), kappa=0.1, steps=150, step_size=0.05)(model, bpr_loss, small)
    with torch.no_grad(), model.perturbed(deltas):
        pos = model.score(small["users"], small["pos_items"])
        margin = pos - model.score(small["users"], small["neg_items"])
    assert torch.all(margin < -0.1)


def test_threat_models_are_declared() -> None:
    tm = FGSM(0.5, targets=("item",)).threat_model
    assert isinstance(tm, ThreatModel)
    assert (tm.knowledge, tm.norm, tm.epsilon, tm.target) == ("white-box", "l2", 0.5, "untargeted")
    assert "item" in tm.capability
    assert RandomNoise(0.5).threat_model.knowledge == "black-box"
    assert BIM(0.5, steps=7).threat_model.iterations == 7
    cw = CarliniWagner(target_items=[3]).threat_model
    assert cw.epsilon is None and cw.target == "items [3]"
    assert tm.as_dict()["epsilon"] == 0.5


def test_bad_parameters_and_unknown_tables_raise_clear_errors(trained) -> None:
    model, batch = trained
    with pytest.raises(ValueError, match="norm"):
        FGSM(0.5, norm="l1")
    with pytest.raises(ValueError, match="epsilon"):
        FGSM(-1.0)
    with pytest.raises(ValueError, match="steps"):
        BIM(0.5, steps=0)
    with pytest.raises(KeyError, match="side"):
        FGSM(0.5, targets="side")(model, bpr_loss, batch)
    with pytest.raises(KeyError, match="users"):
        CarliniWagner(target_items=[0])(model, bpr_loss, {"items": torch.tensor([0])})
    with pytest.raises(ValueError, match="knowledge"):
        ThreatModel("grey", "x", None, None, "untargeted", "x")
