"""AdvIR: IRGAN plus adversarial training of the discriminator (Park & Chang, WWW 2019)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan import IRGAN
from advrec.gan.advir import AdvIR
from advrec.gan.irgan import pair_loss, point_loss


def tiny_train() -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    dense = (rng.random((12, 15)) < 0.3).astype(np.float32)
    dense[:, 0] = 1.0  # every user has an observed item
    return sp.csr_matrix(dense)


def point_batch() -> dict[str, torch.Tensor]:
    return {"users": torch.tensor([0, 1, 2, 0]), "items": torch.tensor([0, 3, 4, 7]),
            "labels": torch.tensor([1.0, 0.0, 1.0, 0.0])}


def test_zero_weight_is_irgan_exactly() -> None:
    train = tiny_train()
    plain = IRGAN(12, 15, dim=4, seed=3)
    adv = AdvIR(12, 15, dim=4, seed=3, epsilon=0.5, adv_lambda=0.0)
    for model in (plain, adv):
        model.fit(train, epochs=2, g_steps=1, d_steps=2, d_batch=8, lr_d=0.05, lr_g=0.05, seed=1)
    for a, b in zip(plain.state_dict().values(), adv.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("mode", ["point", "pair"])
def test_discriminator_loss_adds_the_weighted_perturbed_loss(mode: str) -> None:
    batch = point_batch() if mode == "point" else {
        "users": torch.tensor([0, 1, 2]), "pos_items": torch.tensor([0, 3, 4]),
        "neg_items": torch.tensor([5, 6, 7])}
    loss_fn = point_loss if mode == "point" else pair_loss
    no_budget = AdvIR(12, 15, dim=4, mode=mode, seed=0, epsilon=0.0, adv_lambda=2.0)
    clean = loss_fn(no_budget.discriminator, batch)
    # a zero budget perturbs nothing: loss + 2 * the same loss
    assert no_budget._d_loss(batch).item() == pytest.approx(3 * clean.item(), rel=1e-6)
    model = AdvIR(12, 15, dim=4, mode=mode, seed=0, epsilon=0.05, adv_lambda=2.0)
    # FGSM moves the embeddings up the loss's gradient: the perturbed term exceeds the clean one
    assert model._d_loss(batch).item() > 3 * loss_fn(model.discriminator, batch).item()


def test_training_records_finite_losses_and_bad_weight_is_rejected() -> None:
    history = AdvIR(12, 15, dim=4, seed=0).fit(tiny_train(), epochs=2, g_steps=1, d_steps=1, d_batch=8)
    assert len(history) == 2 and all(np.isfinite(history.d_loss)) and all(np.isfinite(history.g_loss))
    with pytest.raises(ValueError, match="adv_lambda"):
        AdvIR(12, 15, adv_lambda=-1.0)
