"""advrec.gan.recgan, plastic, lsic and nmrngan: each work's players, game mode and scorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.lsic import LSIC
from advrec.gan.nmrngan import NMRNGAN
from advrec.gan.plastic import PLASTIC
from advrec.gan.recgan import RecGAN


def toy() -> sp.csr_matrix:
    return sp.csr_matrix(np.array([[1, 2, 3, 4, 0], [0, 1, 2, 3, 4], [4, 0, 1, 2, 3]], dtype=np.float32))


def test_recgan_plays_point_wise_with_gru_and_user_factor_players() -> None:
    gan = RecGAN(3, 5, dim=4, max_len=3)
    assert gan.mode == "point" and gan.scorer == "generator"
    for player in (gan.generator, gan.discriminators[0]):
        assert player.encoder_kind == "gru" and player.user is not None
    history = gan.fit(toy(), epochs=1, samples=2, batch_size=3)
    assert -1.0 <= history.g_loss[0] <= 0.0


def test_plastic_plays_pair_wise_with_lstm_players_and_lsic_adds_content() -> None:
    plastic = PLASTIC(3, 5, dim=4, max_len=3)
    assert plastic.mode == "pair" and plastic.generator.encoder_kind == "lstm"
    assert plastic.generator.feature_map is None
    feats = np.eye(5, 2, dtype=np.float32)
    lsic = LSIC(3, 5, feats, dim=4, max_len=3)
    assert lsic.mode == "pair"
    for player in (lsic.generator, lsic.discriminators[0]):
        assert player.feature_map is not None and player.features.shape == (5, 2)
    history = lsic.fit(toy(), epochs=1, samples=2, batch_size=3)
    assert history.g_loss[0] <= 0.0  # minus a softplus reward
    with pytest.raises(ValueError, match="item_features is required"):
        LSIC(3, 5, None)


def test_nmrngan_recommends_with_its_lstm_discriminator_and_uniform_ablation_skips_the_sampler() -> None:
    gan = NMRNGAN(3, 5, dim=4, max_len=3)
    assert gan.scorer == "discriminator" and gan.mode == "pair"
    assert gan.discriminators[0].encoder_kind == "lstm" and gan.generator.encoder_kind == "mlp"
    gan.fit(toy(), epochs=1, samples=2, batch_size=3)
    users = torch.tensor([0, 2])
    torch.testing.assert_close(gan.full_scores(users), gan.discriminators[0].full_scores(users))
    uniform = NMRNGAN(3, 5, dim=4, max_len=3, negatives="uniform")
    before = [p.detach().clone() for p in uniform.generator.parameters()]
    history = uniform.fit(toy(), epochs=1, samples=2, batch_size=3)
    assert math.isnan(history.g_loss[0])
    assert all(torch.equal(a, b) for a, b in zip(before, uniform.generator.parameters(), strict=True))
