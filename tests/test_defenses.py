"""Defenses: the APR/AMR hook's loss, distillation, gradient reversal and the privacy regulariser."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks import FGSM
from advrec.defenses import (
    AdversarialRegularizer,
    AdversarialTraining,
    Distillation,
    GradientReversal,
    distillation_loss,
    grad_reverse,
)
from advrec.models import MatrixFactorization
from advrec.training import PairwiseSampler, bpr_loss, fit


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train several times faster without contended intra-op threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_mf() -> tuple[MatrixFactorization, dict[str, torch.Tensor]]:
    model = MatrixFactorization(1, 2, dim=2, seed=0)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0, 2.0]]))
        model.item.copy_(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
    return model, {"users": torch.tensor([0]), "pos_items": torch.tensor([0]), "neg_items": torch.tensor([1])}


def test_adversarial_training_extra_loss_is_the_hand_computed_perturbed_bpr_loss() -> None:
    model, batch = tiny_mf()
    eps, lam = 0.5, 2.0
    # p = (1, 2), q_i = (3, 0), q_j = (0, 4); x = p.(q_i - q_j) = -5 and sigma(-x) > 0, so the L2 FGSM rows
    # are dp = -eps (q_i - q_j)/5, dq_i = -eps p/sqrt(5), dq_j = +eps p/sqrt(5).
    p = np.array([1.0, 2.0]) - eps * np.array([3.0, -4.0]) / 5
    qi = np.array([3.0, 0.0]) - eps * np.array([1.0, 2.0]) / math.sqrt(5)
    qj = np.array([0.0, 4.0]) + eps * np.array([1.0, 2.0]) / math.sqrt(5)
    x_adv = float(p @ (qi - qj))
    expected = lam * math.log1p(math.exp(-x_adv))

    hook = AdversarialTraining(epsilon=eps, lam=lam)
    hook.on_fit_start(model, None)
    extra = hook.extra_loss(model, batch, bpr_loss)
    assert float(extra.detach()) == pytest.approx(expected, rel=1e-5)
    # Delta is a constant (APR): d extra / d p_u = -lam sigma(-x_adv) (q_i' - q_j')
    extra.backward()
    sigma = 1 / (1 + math.exp(x_adv))
    assert np.allclose(model.user.grad[0].numpy(), -lam * sigma * (qi - qj), rtol=1e-4)


def test_adversarial_training_warm_up_and_granularity() -> None:
    model, batch = tiny_mf()
    hook = AdversarialTraining(epsilon=0.5, lam=1.0, granularity="item", warmup_epochs=1)
    hook.on_fit_start(model, None)
    assert hook.extra_loss(model, batch, bpr_loss) is None
    hook.on_epoch_end(model, 0, {})
    # item-only perturbation: x' = p.(q_i - q_j - 2 eps p/||p||) = -5 - 2 * 0.5 * sqrt(5)
    expected = math.log1p(math.exp(5 + math.sqrt(5)))
    assert float(hook.extra_loss(model, batch, bpr_loss).detach()) == pytest.approx(expected)
    assert hook.granularity == ("item",)
    with pytest.raises(KeyError, match="side"):
        AdversarialTraining(granularity="side").on_fit_start(model, None)


def test_apr_fine_tuning_lowers_the_loss_under_fgsm() -> None:
    # As in the APR paper: BPR pre-training, then fine-tuning with L2 regularisation (reg); without it both
    # models just grow their norms and, on data this small, the comparison is noise.
    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(40), 6)
    cols = np.concatenate([rng.choice(np.arange(u % 2, 24, 2), 6, replace=False) for u in range(40)])
    train = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(40, 24))
    pretrained = MatrixFactorization(40, 24, dim=8, seed=0)
    fit(pretrained, train, loss="bpr", epochs=30, batch_size=64, lr=0.05, reg=0.1, seed=0)
    batch = next(PairwiseSampler(train).batches(train.nnz, np.random.default_rng(1)))

    def loss_under_fgsm(model: MatrixFactorization) -> float:
        deltas = FGSM(0.5)(model, bpr_loss, batch)
        with torch.no_grad(), model.perturbed(deltas):
            return float(bpr_loss(model, batch))

    adversarial = {}
    for name, hooks in (("bpr", []), ("apr", [AdversarialTraining(epsilon=0.5, lam=1.0)])):
        model = copy.deepcopy(pretrained)
        fit(model, train, loss="bpr", epochs=40, batch_size=64, lr=0.05, reg=0.1, seed=1, hooks=hooks)
        adversarial[name] = loss_under_fgsm(model)
    assert adversarial["apr"] < 0.9 * adversarial["bpr"]


def test_distillation_loss_matches_the_hand_computed_kl() -> None:
    teacher = torch.tensor([[math.log(3.0), 0.0]])  # softmax (0.75, 0.25)
    student = torch.zeros(1, 2)  # softmax (0.5, 0.5)
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert float(distillation_loss(student, teacher)) == pytest.approx(kl)
    # T = 2: teacher softmax(log 3 / 2, 0) = (sqrt3, 1)/(sqrt3 + 1); scaled by T^2 = 4
    a = math.sqrt(3) / (math.sqrt(3) + 1)
    kl2 = a * math.log(a / 0.5) + (1 - a) * math.log((1 - a) / 0.5)
    assert float(distillation_loss(student, teacher, temperature=2.0)) == pytest.approx(4 * kl2)
    assert float(distillation_loss(teacher, teacher)) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="shaped"):
        distillation_loss(student, torch.zeros(2, 2))


@pytest.mark.parametrize("candidates", ["full", "batch"])
def test_distillation_hook_makes_the_student_rank_like_the_teacher(candidates) -> None:
    teacher = MatrixFactorization(20, 15, dim=4, init_std=1.0, seed=1)
    student = MatrixFactorization(20, 15, dim=4, seed=2)
    rows = np.repeat(np.arange(20), 3)
    train = sp.csr_matrix((np.ones(60, np.float32), (rows, np.tile([0, 5, 10], 20))), shape=(20, 15))
    hook = Distillation(teacher, weight=1.0, temperature=1.0, candidates=candidates)

    def only_distillation(model, batch):
        return 0.0 * model.score(batch["users"], batch["pos_items"]).sum()

    users = torch.arange(20)

    def agreement() -> float:
        with torch.no_grad():
            t, s = teacher.full_scores(users), student.full_scores(users)
        return float((t.argmax(1) == s.argmax(1)).float().mean())

    before = agreement()
    fit(student, train, loss=only_distillation, epochs=150, batch_size=60, lr=0.05, hooks=[hook], seed=0)
    # "full" matches the whole softmax; "batch" only each (pos, sampled neg) pair, a weaker signal
    assert before < 0.2 and agreement() >= (0.9 if candidates == "full" else 0.6)


def test_gradient_reversal_is_identity_forward_and_flips_the_gradient() -> None:
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    c = torch.tensor([0.5, 1.0, -1.5])
    y = grad_reverse(x, scale=2.0)
    assert torch.equal(y, x)
    (y * c).sum().backward()
    assert torch.equal(x.grad, -2.0 * c)
    x.grad = None
    (GradientReversal()(x) * c).sum().backward()
    assert torch.equal(x.grad, -c)


def planted_attribute(seed: int = 0, n_users: int = 120, n_items: int = 40):
    """Tastes independent of a binary attribute, plus four items each group alone consumes."""
    rng = np.random.default_rng(seed)
    attribute, taste = rng.integers(0, 2, n_users), rng.integers(0, 2, n_users)
    rows, cols = [], []
    for u in range(n_users):
        w = np.where(np.arange(n_items) % 2 == taste[u], 3.0, 1.0)
        w[:8] = 0
        tastes = rng.choice(n_items, 6, replace=False, p=w / w.sum())
        items = np.concatenate([tastes, rng.choice(4, 2, replace=False) + 4 * attribute[u]])
        rows += [u] * len(items)
        cols += list(items)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items)), attribute


def probe_accuracy(embeddings: torch.Tensor, labels: np.ndarray) -> float:
    """Held-out accuracy of a fresh logistic-regression attacker trained on half the users."""
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[: len(order) // 2], order[len(order) // 2 :]
    x = embeddings.detach()
    x = (x - x[train].mean(0)) / (x[train].std(0) + 1e-8)
    y = torch.as_tensor(labels)
    torch.manual_seed(0)
    clf = torch.nn.Linear(x.shape[1], 2)
    opt = torch.optim.LBFGS(clf.parameters(), max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(clf(x[train]), y[train]) + 1e-3 * clf.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((clf(x[test]).argmax(1) == y[test]).float().mean())


def test_privacy_regularizer_hides_a_planted_attribute_from_user_embeddings() -> None:
    train, attribute = planted_attribute()
    accuracy = {}
    for lam in (0.0, 1.0):
        model = MatrixFactorization(*train.shape, dim=8, seed=0)
        hooks = [AdversarialRegularizer(attribute, source="user", lam=lam, hidden=(16,))] if lam else []
        fit(model, train, loss="bpr", epochs=25, batch_size=64, lr=0.05, seed=0, hooks=hooks)
        accuracy[lam] = probe_accuracy(model.user, attribute)
    assert accuracy[0.0] >= 0.9
    assert accuracy[1.0] <= accuracy[0.0] - 0.25
    assert hooks[0].history and 0.0 <= hooks[0].history[-1]["adversary_accuracy"] <= 1.0


def test_regularizer_sources_and_validation() -> None:
    model, batch = tiny_mf()
    item_groups = AdversarialRegularizer([0, 1], source="score", lam=0.5)
    item_groups.on_fit_start(model, None)
    extra = item_groups.extra_loss(model, batch, bpr_loss)
    assert extra.dim() == 0 and float(extra.detach()) > 0
    assert item_groups.adversary.net[0].in_features == 1
    with pytest.raises(ValueError, match="labels has 3 entries"):
        AdversarialRegularizer([0, 1, 1], source="user").on_fit_start(model, None)
    with pytest.raises(ValueError, match="two classes"):
        AdversarialRegularizer([0, 0])
    with pytest.raises(ValueError, match="source"):
        AdversarialRegularizer([0, 1], source="tags")
    unknown = AdversarialRegularizer([-1, 1], source="user")  # user 0's label is unknown
    assert unknown.extra_loss(MatrixFactorization(2, 2, dim=2), batch, bpr_loss) is None
