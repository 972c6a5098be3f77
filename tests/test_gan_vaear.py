"""VAE-AR: auxiliary shares, conditional prior/discriminator and training of the augmented VAE."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.vaear import VAEAR, attribute_shares


def test_attribute_shares_by_hand():
    rows = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    attrs = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    # row 0: items 0, 1 -> attribute 0 on both (1.0), attribute 1 on one of two (0.5); empty row -> zeros
    expected = torch.tensor([[1.0, 0.5], [0.0, 0.0], [0.5, 1.0]])
    assert torch.allclose(attribute_shares(rows, attrs), expected)


def test_vaear_fit_history_scores_and_auxiliary_input():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 12)) < 0.3).astype(np.float32))
    attrs = (rng.random((12, 3)) < 0.5).astype(np.float32)
    model = VAEAR(30, 12, attrs, hidden=8, latent=3, critic_hidden=[4], prior_hidden=[4], seed=0)
    hist = model.fit(x, epochs=2, batch_size=10, validate=lambda m: {"v": 0.5})
    assert len(hist) == 2 and np.isfinite(hist.g_loss + hist.d_loss).all()
    scores = model.full_scores(torch.arange(30))
    assert scores.shape == (30, 12)
    assert torch.equal(scores, model.full_scores(torch.arange(30)))  # eval mode: deterministic
    # the encoder reads the auxiliary vector: same row, different item attributes -> different code
    row = torch.as_tensor(x[:1].toarray())
    mu = model.encode(row)[0]
    model.item_attributes.copy_(1.0 - model.item_attributes)
    assert not torch.allclose(mu, model.encode(row)[0])


def test_vaear_discriminator_separates_codes_from_conditional_prior():
    # with adv_weight 0 nothing pulls codes and prior together; D must then score prior pairs higher
    rng = np.random.default_rng(1)
    x = sp.csr_matrix((rng.random((60, 10)) < 0.4).astype(np.float32))
    attrs = np.eye(10, 2, dtype=np.float32)
    model = VAEAR(60, 10, attrs, hidden=8, latent=2, prior_std=5.0, seed=0)
    model.fit(x, epochs=15, batch_size=30, critic_steps=3, critic_lr=1e-2, adv_weight=0.0, seed=0)
    with torch.no_grad():
        rows = torch.as_tensor(x.toarray())
        aux = model.auxiliary(rows)
        codes = model.forward_rows(rows)[1]
        prior = model.conditional_prior(aux)
        gap = model.discriminate(prior, aux).mean() - model.discriminate(codes, aux).mean()
    assert gap.item() > 0


def test_vaear_rejects_bad_arguments():
    with pytest.raises(ValueError, match="item_attributes"):
        VAEAR(3, 4, np.ones((5, 2)), hidden=4, latent=2)
    with pytest.raises(ValueError, match="adv_weight"):
        VAEAR(3, 4, np.ones((4, 2)), hidden=4, latent=2).fit(sp.csr_matrix(np.eye(3, 4)), epochs=1,
                                                              adv_weight=-1.0)


def test_vaear_training_is_reproducible_under_a_seed():
    rng = np.random.default_rng(3)
    x = sp.csr_matrix((rng.random((20, 8)) < 0.4).astype(np.float32))
    attrs = (rng.random((8, 2)) < 0.5).astype(np.float32)
    scores = []
    for _ in range(2):
        torch.manual_seed(len(scores))  # a different global state each time: dropout must not depend on it
        model = VAEAR(20, 8, attrs, hidden=6, latent=2, critic_hidden=[4], prior_hidden=[4], seed=0)
        model.fit(x, epochs=2, batch_size=10, seed=5)
        scores.append(model.full_scores(torch.arange(20)))
    assert torch.equal(scores[0], scores[1])
