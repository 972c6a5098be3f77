"""AVAE: WGAN-GP latent critic on a Mult-VAE, and the Frechet distance of codes to the prior."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.avae import AVAE, frechet_to_prior


def test_frechet_to_prior_by_hand():
    # codes with mean (1, 0) and covariance diag(4, 0) (second coordinate constant)
    codes = np.array([[3.0, 0.0], [-1.0, 0.0]] * 50)
    cov = np.cov(codes, rowvar=False)
    expected = 1.0 + (cov[0, 0] + 1 - 2 * np.sqrt(cov[0, 0])) + (0 + 1 - 0)
    assert frechet_to_prior(codes) == pytest.approx(expected)
    rng = np.random.default_rng(0)
    assert frechet_to_prior(rng.normal(size=(20000, 3))) < 0.01
    assert frechet_to_prior(rng.normal(size=(20000, 3)) * 2, prior_std=2.0) < 0.03


def test_avae_fit_history_and_scores():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 12)) < 0.3).astype(np.float32))
    model = AVAE(30, 12, hidden=8, latent=3, critic_hidden=[4], seed=0)
    hist = model.fit(x, epochs=2, batch_size=10, critic_steps=2, validate=lambda m: {"v": 0.5})
    assert len(hist) == 2 and np.isfinite(hist.g_loss + hist.d_loss).all()
    assert hist.initial == {"v": 0.5}
    scores = model.full_scores(torch.arange(30))
    assert scores.shape == (30, 12)
    assert torch.equal(scores, model.full_scores(torch.arange(30)))  # eval mode: deterministic


def test_avae_critic_learns_to_separate_codes_from_prior():
    # with adv_weight 0 the encoder ignores the critic; a trained critic must score prior samples higher
    rng = np.random.default_rng(1)
    x = sp.csr_matrix((rng.random((60, 10)) < 0.4).astype(np.float32))
    model = AVAE(60, 10, hidden=8, latent=2, prior_std=5.0, seed=0)
    model.fit(x, epochs=15, batch_size=30, critic_steps=3, critic_lr=1e-2, adv_weight=0.0, seed=0)
    with torch.no_grad():
        codes = model.forward_rows(torch.as_tensor(x.toarray()))[1]
        gap = model.critic(model.prior(500)).mean() - model.critic(codes).mean()
    assert gap.item() > 0


def test_avae_rejects_bad_arguments():
    with pytest.raises(ValueError, match="prior_std"):
        AVAE(3, 4, prior_std=0.0)
    with pytest.raises(ValueError, match="adv_weight"):
        AVAE(3, 4, hidden=4, latent=2).fit(sp.csr_matrix(np.eye(3, 4)), epochs=1, adv_weight=-1.0)


def test_fit_is_reproducible_whatever_the_global_torch_state() -> None:
    rng = np.random.default_rng(0)
    train = sp.csr_matrix((rng.random((12, 9)) < 0.4).astype(np.float32))
    scores = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        model = AVAE(12, 9, hidden=8, latent=4, seed=3)
        model.fit(train, epochs=2, batch_size=5, seed=4)
        scores.append(model.full_scores(torch.arange(12)).detach())
    assert torch.equal(scores[0], scores[1])
