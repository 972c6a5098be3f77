"""AutoEncoderGAN (Chae et al. 2018, CAAE, RsyGAN): the policy, the discriminators and the fit loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.adversarial_autoencoder import AutoEncoderGAN, MLPScorer


def _train() -> sp.csr_matrix:
    rows = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 5])
    cols = np.array([0, 1, 1, 2, 3, 4, 0, 5, 6, 7])
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(6, 9))


def test_mlp_scorer_full_scores_match_pair_scores() -> None:
    d = MLPScorer(3, 5, dim=4, hidden=[6], seed=0)
    users = torch.tensor([0, 2])
    full = d.full_scores(users)
    pairs = d.score(torch.tensor([2, 2, 0]), torch.tensor([4, 0, 3]))
    assert full.shape == (2, 5)
    assert torch.allclose(pairs, torch.stack([full[1, 4], full[1, 0], full[0, 3]]))


def test_policy_puts_no_mass_on_observed_items() -> None:
    model = AutoEncoderGAN(6, 9, hidden=[4], seed=0)
    model.fit(_train(), epochs=1, pretrain_epochs=0, batch=4, n_samples=2)
    model.train()
    with torch.no_grad():
        probs = model._policy(model.generator, torch.tensor([0, 2])).exp()
    assert torch.allclose(probs.sum(1), torch.ones(2))
    assert float(probs[0, [0, 1]].sum()) == 0.0 and float(probs[1, [3, 4]].sum()) == 0.0


@pytest.mark.parametrize(("kind", "negative", "expected"), [
    ("lfm", False, math.log(2)),            # -log sigmoid(0) for one pair
    ("lfm", True, 3 * math.log(2)),         # three orderings: i+ > g, i+ > g-, g > g-
])
def test_discriminator_loss_starts_at_chance(kind: str, negative: bool, expected: float) -> None:
    model = AutoEncoderGAN(6, 9, hidden=[4], discriminator=kind, negative_generator=negative, seed=0)
    with torch.no_grad():
        model.discriminator.user.mul_(0.01)
    history = model.fit(_train(), epochs=1, g_steps=0, pretrain_epochs=0, batch=8, lr_d=1e-6)
    assert history.d_loss[0] == pytest.approx(expected, abs=1e-3)


def test_mlp_discriminator_loss_is_two_cross_entropies() -> None:
    model = AutoEncoderGAN(6, 9, hidden=[4], discriminator="mlp", seed=0)
    with torch.no_grad():
        last = model.discriminator.net.net[-1]
        last.weight.zero_()
        last.bias.zero_()
    history = model.fit(_train(), epochs=1, g_steps=0, pretrain_epochs=0, batch=8, lr_d=1e-6)
    assert history.d_loss[0] == pytest.approx(2 * math.log(2), abs=1e-4)


def test_fit_records_each_epoch_and_scores_by_generator_or_discriminator() -> None:
    model = AutoEncoderGAN(6, 9, hidden=[4], negative_generator=True, seed=1)
    calls = []
    history = model.fit(_train(), epochs=3, pretrain_epochs=2, batch=4, n_samples=3,
                        validate=lambda m: calls.append(1) or {"x": 1.0})
    assert len(history) == 3 and len(calls) == 4
    assert all(math.isfinite(v) for v in history.g_loss + history.d_loss)
    users = torch.tensor([0, 1])
    assert model.full_scores(users).shape == (2, 9)
    model.scorer = "discriminator"
    assert torch.allclose(model.full_scores(users), model.discriminator.full_scores(users))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="discriminator"):
        AutoEncoderGAN(3, 4, discriminator="cnn")
    with pytest.raises(ValueError, match="negative_generator"):
        AutoEncoderGAN(3, 4, discriminator="mlp", negative_generator=True)
    with pytest.raises(RuntimeError, match="fit"):
        AutoEncoderGAN(3, 4).full_scores(torch.tensor([0]))
    with pytest.raises(ValueError, match="epochs"):
        AutoEncoderGAN(6, 9).fit(_train(), epochs=0)
