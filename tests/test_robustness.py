"""Robustness curves: attacks applied to the embedding tables during evaluation, on hand-made models."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.attacks import BIM, FGSM, RandomNoise
from advrec.models import ItemPop, MatrixFactorization
from advrec.robustness import attack_batch, attack_name, robustness_curve


def _model() -> MatrixFactorization:
    """One user p=[1]; item scores 1.0 (train item 0), 0.5 (test item 1), 0.2 (item 2)."""
    model = MatrixFactorization(1, 3, dim=1)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0]]))
        model.item.copy_(torch.tensor([[1.0], [0.5], [0.2]]))
    return model


TRAIN = sp.csr_matrix(([1.0], ([0], [0])), shape=(1, 3))
TEST = sp.csr_matrix(([1.0], ([0], [1])), shape=(1, 3))
# The attacker raises minus the test item's score, i.e. pushes item 1 down.
LOSS = lambda model, batch: -model.score(batch["users"], batch["items"]).sum()  # noqa: E731
BATCH = {"users": torch.tensor([0]), "items": torch.tensor([1])}


def test_fgsm_on_items_moves_the_test_item_below_the_other_candidate() -> None:
    # FGSM(eps) on the item table: q1 -> 0.5 - eps (gradient wrt q1 is -p = -1). At eps 0.2 q1 = 0.3 still
    # beats item 2 (0.2): HR@1 stays 1; at eps 0.4 q1 = 0.1 < 0.2: HR@1 = 0, NDCG@2 = 1/log2(3).
    model = _model()
    before = {k: v.detach().clone() for k, v in model.embeddings().items()}
    curve = robustness_curve(model, TRAIN, TEST, functools.partial(FGSM, targets="item"), [0, 0.2, 0.4],
                             loss=LOSS, batch=BATCH, ks=(1, 2))
    assert curve.attacks == ("FGSM",)
    assert curve.value("FGSM", 0, "HR@1") == 1.0
    assert curve.value("FGSM", 0.2, "HR@1") == 1.0
    assert curve.value("FGSM", 0.4, "HR@1") == 0.0
    assert curve.value("FGSM", 0.4, "NDCG@2") == pytest.approx(1 / np.log2(3))
    assert curve.drop("FGSM", 0.4, "HR@1") == 1.0
    assert curve.drop("FGSM", 0.4, "NDCG@2") == pytest.approx(1 - 1 / np.log2(3))
    assert list(curve.curve("FGSM", "HR@1")) == [1.0, 1.0, 0.0]
    for name, table in model.embeddings().items():  # the model itself is left as it was
        assert torch.equal(table, before[name])


def test_rows_and_several_attacks_share_the_clean_evaluation() -> None:
    attacks = {"fgsm": functools.partial(FGSM, targets="item"),
               "random": functools.partial(RandomNoise, targets="item", scope="all")}
    curve = robustness_curve(_model(), TRAIN, TEST, attacks, [0.0, 0.4], loss=LOSS, batch=BATCH, ks=(1,))
    assert curve.attacks == ("fgsm", "random")
    assert curve.result("random", 0.0) is curve.clean
    rows = {(r["attack"], r["epsilon"], r["metric"]): r for r in curve.rows()}
    assert len(rows) == 2 * 2 * 2  # attacks x epsilons x metrics (HR@1, NDCG@1)
    fgsm = rows[("fgsm", 0.4, "HR@1")]
    assert (fgsm["value"], fgsm["clean"], fgsm["drop"]) == (0.0, 1.0, 1.0)
    with pytest.raises(KeyError, match="no result"):
        curve.result("fgsm", 0.3)


def test_attack_batch_pairwise_holds_each_interaction_once_with_unseen_negatives() -> None:
    train = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 0, 1, 1]], dtype=np.float32))
    batch = attack_batch(train, "pairwise", seed=3)
    pairs = sorted(zip(batch["users"].tolist(), batch["pos_items"].tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (1, 2), (2, 0), (2, 3), (2, 4)]
    dense = train.toarray()
    assert all(dense[u, j] == 0 for u, j in zip(batch["users"].tolist(), batch["neg_items"].tolist(),
                                                strict=True))
    again = attack_batch(train, "pairwise", seed=3)
    assert all(torch.equal(batch[k], again[k]) for k in batch)


def test_attack_batch_pointwise_and_subsampling() -> None:
    train = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]], dtype=np.float32))
    batch = attack_batch(train, "pointwise", negatives=2)
    assert len(batch["users"]) == 3 * (1 + 2)
    assert float(batch["labels"].sum()) == 3.0
    assert len(attack_batch(train, "pairwise", max_samples=2)["users"]) == 2
    with pytest.raises(ValueError, match="pairwise"):
        attack_batch(train, "rows")
    with pytest.raises(ValueError, match="max_samples"):
        attack_batch(train, max_samples=0)
    with pytest.raises(ValueError, match="no interactions"):
        attack_batch(sp.csr_matrix((2, 5)))


def test_default_batch_uses_the_models_bpr_loss() -> None:
    # Clean BPR-MF at eps 0 equals the clean evaluation; FGSM at a large budget cannot raise HR on
    # a model whose test item is ranked first.
    model = _model()
    curve = robustness_curve(model, TRAIN, TEST, FGSM, [0.0, 5.0], ks=(1,))
    assert curve.value("FGSM", 0.0, "HR@1") == 1.0
    assert curve.value("FGSM", 5.0, "HR@1") <= 1.0


def test_attack_names_and_bad_input() -> None:
    assert attack_name(functools.partial(BIM, steps=3)) == "BIM"
    assert attack_name(RandomNoise) == "RandomNoise"
    with pytest.raises(ValueError, match="epsilons"):
        robustness_curve(_model(), TRAIN, TEST, FGSM, [], loss=LOSS, batch=BATCH)
    with pytest.raises(ValueError, match="epsilons"):
        robustness_curve(_model(), TRAIN, TEST, FGSM, [-0.1], loss=LOSS, batch=BATCH)
    with pytest.raises(TypeError, match="EmbeddingRecommender"):
        robustness_curve(ItemPop(1, 3), TRAIN, TEST, FGSM, [0.1])
    with pytest.raises(TypeError, match="PerturbationAttack"):
        robustness_curve(_model(), TRAIN, TEST, {"bad": lambda e: e}, [0.1], loss=LOSS, batch=BATCH)
    with pytest.raises(ValueError, match="loss"):
        robustness_curve(_model(), TRAIN, TEST, FGSM, [0.1], loss="nope")
