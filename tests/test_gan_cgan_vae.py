"""CGAN [141]: VAE generator with a vector-wise discriminator on [condition, purchase vector]."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.cgan_vae import CGAN, expected_counts


def test_expected_counts_by_hand():
    logits = torch.log(torch.tensor([[1.0, 1.0, 2.0], [1.0, 0.0 + 1e-30, 0.0 + 1e-30]]))
    rows = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    # row 0: 2 items, softmax (1/4, 1/4, 1/2) -> (0.5, 0.5, 1.0); row 1: 1 item, all mass on item 0
    expected = torch.tensor([[0.5, 0.5, 1.0], [1.0, 0.0, 0.0]])
    out = expected_counts(logits, rows)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.allclose(out.sum(dim=1), rows.sum(dim=1))


def test_cgan_fit_history_and_scores():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 12)) < 0.3).astype(np.float32))
    model = CGAN(30, 12, hidden=8, latent=3, critic_hidden=[4], seed=0)
    hist = model.fit(x, epochs=2, batch_size=10, anneal_steps=4, validate=lambda m: {"v": 0.5})
    assert len(hist) == 2 and np.isfinite(hist.g_loss + hist.d_loss).all()
    assert hist.initial == {"v": 0.5}
    scores = model.full_scores(torch.arange(30))
    assert scores.shape == (30, 12)
    assert torch.equal(scores, model.full_scores(torch.arange(30)))  # eval mode: deterministic


def test_cgan_without_adversary_never_touches_the_discriminator():
    rng = np.random.default_rng(2)
    x = sp.csr_matrix((rng.random((20, 8)) < 0.4).astype(np.float32))
    model = CGAN(20, 8, hidden=6, latent=2, critic_hidden=[4], seed=0)
    before = [p.detach().clone() for p in model.critic.parameters()]
    hist = model.fit(x, epochs=2, batch_size=10, critic_steps=0, adv_weight=0.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.critic.parameters(), strict=True))
    assert np.isnan(hist.d_loss).all() and np.isfinite(hist.g_loss).all()


def test_cgan_discriminator_learns_real_from_generated():
    # with adv_weight 0 the generator ignores D; a trained D must give real vectors higher logits
    rng = np.random.default_rng(1)
    x = sp.csr_matrix((rng.random((60, 10)) < 0.4).astype(np.float32))
    model = CGAN(60, 10, hidden=8, latent=2, critic_hidden=[16], seed=0)
    model.fit(x, epochs=20, batch_size=30, critic_steps=3, critic_lr=1e-2, adv_weight=0.0, pm_ratio=0.5)
    rows = torch.as_tensor(x.toarray())
    with torch.no_grad():
        fake = expected_counts(model.forward_rows(rows)[0], rows)
        gap = model.discriminate(rows, rows).mean() - model.discriminate(rows, fake).mean()
    assert gap.item() > 0


def test_cgan_rejects_bad_arguments():
    model = CGAN(3, 4, hidden=4, latent=2)
    with pytest.raises(ValueError, match="adv_weight"):
        model.fit(sp.csr_matrix(np.eye(3, 4)), epochs=1, adv_weight=-1.0)
    with pytest.raises(ValueError, match="pm_ratio"):
        model.fit(sp.csr_matrix(np.eye(3, 4)), epochs=1, pm_ratio=2.0)


def test_cgan_training_is_reproducible_under_a_seed():
    rng = np.random.default_rng(3)
    x = sp.csr_matrix((rng.random((20, 8)) < 0.4).astype(np.float32))
    scores = []
    for _ in range(2):
        torch.manual_seed(len(scores))  # a different global state each time: dropout must not depend on it
        model = CGAN(20, 8, hidden=6, latent=2, critic_hidden=[4], seed=0)
        model.fit(x, epochs=2, batch_size=10, seed=5)
        scores.append(model.full_scores(torch.arange(20)))
    assert torch.equal(scores[0], scores[1])
