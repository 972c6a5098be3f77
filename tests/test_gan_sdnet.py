"""SDNet-style adversarial distillation: a knowledge-aware teacher distilled into an id-only LFM student."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.sdnet import (
    AdversarialDistillation,
    KnowledgeTeacher,
    parameter_count,
    per_user_rmse,
    rating_predictions,
    student_interaction,
)
from advrec.models import BiasedMF, MultVAE
from advrec.training import fit


def _ratings(n_users: int = 30, n_items: int = 20,
             seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Ratings driven by knowledge: 5 when the user's group matches the item's genre, else 1."""
    rng = np.random.default_rng(seed)
    group, genre = np.arange(n_users) % 2, np.arange(n_items) % 2
    mask = rng.random((n_users, n_items)) < 0.5
    values = np.where(group[:, None] == genre[None, :], 5.0, 1.0) * mask
    user_x = np.eye(2, dtype=np.float32)[group]
    item_x = np.eye(2, dtype=np.float32)[genre]
    return sp.csr_matrix(values.astype(np.float32)), user_x, item_x


def test_teacher_scores_pairs_and_catalogues_consistently_and_learns_the_knowledge():
    train, user_x, item_x = _ratings()
    teacher = KnowledgeTeacher(30, 20, user_x, item_x, dim=4, embed=4, hidden=(8,), seed=0)
    fit(teacher, train, epochs=60, lr=0.02, batch_size=64, seed=0)
    assert float(teacher.mean) == pytest.approx(train.data.mean(), rel=1e-6)
    users = torch.tensor([0, 1])
    full = teacher.full_scores(users).detach()
    pairs = teacher.score(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1])).detach()
    assert torch.allclose(full[[0, 0, 1], [0, 1, 1]], pairs, atol=1e-5)
    # user 0 (group 0) rates genre-0 items (even ids) 5 and the others 1
    assert float(full[0, 0::2].mean()) > float(full[0, 1::2].mean()) + 2.0
    assert teacher.interaction(users, torch.tensor([0, 1])).shape == (2, 4)


def test_per_user_rmse_by_hand():
    users = np.array([0, 0, 2])
    truth = np.array([1.0, 2.0, 3.0])
    pred = np.array([2.0, 4.0, 3.0])
    out = per_user_rmse(users, truth, pred, 3)
    assert out[0] == pytest.approx(math.sqrt((1 + 4) / 2)) and math.isnan(out[1]) and out[2] == 0.0


def test_rating_predictions_are_ordered_by_user_and_item():
    model = BiasedMF(2, 3, dim=2, seed=0)
    with torch.no_grad():
        model.user.zero_()
        model.item_bias.copy_(torch.tensor([0.0, 1.0, 2.0]))
    test = sp.csr_matrix(np.array([[0, 4, 3], [5, 0, 0]], dtype=np.float32))
    users, truth, pred, seconds = rating_predictions(model, test)
    assert users.tolist() == [0, 0, 1] and truth.tolist() == [4.0, 3.0, 5.0]
    assert pred.tolist() == [1.0, 2.0, 0.0] and seconds >= 0
    assert parameter_count(model) == 2 * 2 + 3 * 2 + 2 + 3


def test_distillation_term_is_alpha_times_squared_gap_to_the_teacher():
    train, user_x, item_x = _ratings()
    teacher = KnowledgeTeacher(30, 20, user_x, item_x, dim=4, embed=4, hidden=(8,), seed=0)
    student = BiasedMF(30, 20, dim=4, seed=0)
    hook = AdversarialDistillation(teacher, alpha=0.5, beta=0.0)
    hook.on_fit_start(student, None)
    batch = {"users": torch.tensor([0, 1, 2]), "items": torch.tensor([3, 4, 5])}
    extra = hook.extra_loss(student, batch, lambda m, b: torch.zeros(()))
    gap = student.score(batch["users"], batch["items"]) - teacher.score(batch["users"], batch["items"])
    assert float(extra.detach()) == pytest.approx(0.5 * float(gap.pow(2).mean()), rel=1e-5)


def test_distillation_pulls_the_students_predictions_to_the_teachers():
    train, user_x, item_x = _ratings(seed=1)
    teacher = KnowledgeTeacher(30, 20, user_x, item_x, dim=4, embed=4, hidden=(8,), seed=0)
    fit(teacher, train, epochs=5, lr=0.02, batch_size=64, seed=0)  # a teacher still far from the ratings
    coo = train.tocoo()
    users, items = torch.as_tensor(coo.row.astype(np.int64)), torch.as_tensor(coo.col.astype(np.int64))
    gaps = {}
    for name, hooks in (("plain", []), ("sdnet", [AdversarialDistillation(teacher, alpha=10.0, beta=0.1)])):
        student = BiasedMF(30, 20, dim=4, seed=0)
        fit(student, train, epochs=30, lr=0.02, batch_size=64, seed=0, hooks=hooks)
        with torch.no_grad():
            gaps[name] = float((student.score(users, items) - teacher.score(users, items)).abs().mean())
        if hooks:
            history = hooks[0].history
            assert len(history) == 30 and all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    assert gaps["sdnet"] < 0.5 * gaps["plain"]


def test_bad_arguments_are_rejected():
    train, user_x, item_x = _ratings()
    with pytest.raises(ValueError, match="user_knowledge"):
        KnowledgeTeacher(30, 20, user_x[:5], item_x)
    teacher = KnowledgeTeacher(30, 20, user_x, item_x, dim=4)
    with pytest.raises(TypeError, match="KnowledgeTeacher"):
        AdversarialDistillation(BiasedMF(30, 20))
    with pytest.raises(ValueError, match="alpha"):
        AdversarialDistillation(teacher, alpha=-1.0)
    with pytest.raises(ValueError, match="dimension 8"):
        AdversarialDistillation(teacher).on_fit_start(BiasedMF(30, 20, dim=8), None)
    with pytest.raises(ValueError, match="student has"):
        AdversarialDistillation(teacher).on_fit_start(BiasedMF(31, 20, dim=4), None)
    with pytest.raises(TypeError, match="'user' and 'item'"):
        student_interaction(MultVAE(30, 20, hidden=4, latent=2), torch.tensor([0]), torch.tensor([0]))
    with pytest.raises(ValueError, match="repeats"):
        rating_predictions(teacher, train, repeats=0)
