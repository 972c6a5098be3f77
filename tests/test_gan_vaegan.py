"""VAEGAN: adversarial variational Bayes with an implicit encoder."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.vaegan import VAEGAN


def test_vaegan_fit_history_and_deterministic_scores():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 12)) < 0.3).astype(np.float32))
    model = VAEGAN(30, 12, hidden=8, latent=3, noise=2, t_hidden=4, seed=0)
    hist = model.fit(x, epochs=2, batch_size=10, validate=lambda m: {"v": 1.0})
    assert len(hist) == 2 and np.isfinite(hist.g_loss + hist.d_loss).all()
    scores = model.full_scores(torch.arange(30))
    assert scores.shape == (30, 12) and torch.equal(scores, model.full_scores(torch.arange(30)))


def test_encoder_uses_noise_only_in_training_mode():
    model = VAEGAN(4, 6, hidden=5, latent=2, noise=3, dropout=0.0, seed=0)
    rows = torch.ones(2, 6)
    model.train()
    a, b = model.encode(rows), model.encode(rows)
    assert not torch.allclose(a, b)  # implicit posterior: z depends on the noise
    model.eval()
    assert torch.equal(model.encode(rows), model.encode(rows))


def test_discriminator_learns_log_density_ratio_sign():
    # T is trained to output > 0 on encoder codes and < 0 on prior samples
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((40, 8)) < 0.5).astype(np.float32))
    model = VAEGAN(40, 8, hidden=6, latent=2, noise=2, t_hidden=8, seed=0)
    model.fit(x, epochs=20, batch_size=20, lr=1e-4, t_lr=1e-2, t_steps=3, beta=0.0, seed=0)
    rows = torch.as_tensor(x.toarray())
    model.train()
    with torch.no_grad():
        z_q = model.encode(rows)
        t_q = model.discriminate(rows, z_q).mean()
        t_p = model.discriminate(rows, torch.randn(z_q.shape) * 1.0).mean()
    assert t_q.item() > t_p.item()


def test_vaegan_rejects_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        VAEGAN(3, 4, noise=0)
    with pytest.raises(ValueError, match="beta"):
        VAEGAN(3, 4, hidden=4, latent=2).fit(sp.csr_matrix(np.eye(3, 4)), epochs=1, beta=-1.0)
