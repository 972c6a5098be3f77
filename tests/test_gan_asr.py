"""Asr: an adversarial social regulariser (recommender = generator of friends, social model = discriminator)
that plugs into any recommender's training loop as a hook."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.asr import (
    AdversarialSocialRegularizer,
    contextual_weights,
    embedding_representation,
    vae_representation,
)
from advrec.gan.cross_domain import social_matrix
from advrec.models import MatrixFactorization, MultVAE
from advrec.training import fit


def _train() -> sp.csr_matrix:
    # user 0 likes items 0, 1; user 1 item 1; user 2 item 2
    return sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32))


def test_contextual_weights_are_floor_plus_cosine_normalised_to_mean_one():
    social = social_matrix([[0, 1], [0, 2]], 3)
    train = _train() * 4.0  # rating values: only which items were rated counts
    w = contextual_weights(social, train, floor=0.1).toarray()
    assert train.max() == 4.0 and social.max() == 1.0  # the inputs are left as they were
    # cos(0, 1) = 1 / (sqrt(2) * 1); cos(0, 2) = 0; raw weights 0.8071 (x2) and 0.1 (x2), mean 0.45355
    raw = 0.1 + 1 / math.sqrt(2)
    mean = (2 * raw + 2 * 0.1) / 4
    assert w[0, 1] == pytest.approx(raw / mean, rel=1e-5) and w[1, 0] == pytest.approx(raw / mean, rel=1e-5)
    assert w[0, 2] == pytest.approx(0.1 / mean, rel=1e-5) and w[1, 2] == 0.0
    assert w[w > 0].mean() == pytest.approx(1.0, rel=1e-5)


def test_friends_are_drawn_proportionally_to_link_weights():
    links = sp.csr_matrix(np.array([[0, 3, 1], [1, 0, 0], [1, 0, 0]], dtype=np.float32))
    hook = AdversarialSocialRegularizer(links, _train(), weighting="uniform", seed=0)
    assert links.max() == 3.0  # the caller's matrix is not overwritten by the uniform weights
    hook.links = links  # draw with the 3:1 weights
    friends, weights = hook._friends(np.zeros(20000, dtype=np.int64))
    assert set(np.unique(friends)) == {1, 2}
    assert (friends == 1).mean() == pytest.approx(0.75, abs=0.02)
    assert np.all(weights[friends == 1] == 3) and np.all(weights[friends == 2] == 1)
    only, _ = hook._friends(np.array([1, 2]))
    assert list(only) == [0, 0]


def test_regulariser_equals_log2_times_lam_when_the_discriminator_is_undecided():
    model = MatrixFactorization(3, 3, dim=4, seed=0)
    social = social_matrix([[0, 1], [1, 2]], 3)
    hook = AdversarialSocialRegularizer(social, _train(), lam=0.5, d_steps=0, seed=0)
    with torch.no_grad():
        hook.discriminator.user.zero_()
    batch = {"users": torch.tensor([0, 1, 2]), "pos_items": torch.tensor([0, 1, 2]),
             "neg_items": torch.tensor([2, 2, 0])}
    extra = hook.extra_loss(model, batch, lambda m, b: torch.zeros(()))
    assert float(extra.detach()) == pytest.approx(0.5 * math.log(2), rel=1e-6)


def test_regulariser_gradient_pulls_the_discriminators_friend_closer():
    model = MatrixFactorization(3, 3, dim=2, seed=0)
    social = social_matrix([[0, 1]], 3)
    hook = AdversarialSocialRegularizer(social, _train(), lam=1.0, d_steps=0, weighting="uniform", seed=0)
    with torch.no_grad():
        model.user.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
        hook.discriminator.user.copy_(torch.tensor([[1.0] * 16, [1.0] * 16, [-1.0] * 16]))
    batch = {"users": torch.tensor([0, 1, 2])}
    before = float(model.user[0] @ model.user[1] - model.user[0] @ model.user[2])
    hook.extra_loss(model, batch, lambda m, b: torch.zeros(())).backward()
    with torch.no_grad():
        model.user -= 0.5 * model.user.grad
    after = float(model.user[0] @ model.user[1] - model.user[0] @ model.user[2])
    assert after > before


def test_vae_representation_is_the_deterministic_mean_code():
    model = MultVAE(3, 3, hidden=4, latent=2, seed=0)
    model.train()
    rows = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    batch = {"users": torch.tensor([0, 2]), "rows": rows}
    z1, users = vae_representation(model, batch)
    z2, _ = vae_representation(model, batch)
    assert z1.shape == (2, 2) and torch.equal(z1, z2) and users.tolist() == [0, 2]
    model.eval()  # in eval mode forward_rows skips dropout, so its mu is the clean code
    assert torch.allclose(z1, model.forward_rows(rows)[1])
    with pytest.raises(KeyError, match="rows"):
        vae_representation(model, {"users": torch.tensor([0])})
    with pytest.raises(TypeError, match="'user' table"):
        embedding_representation(model, batch)


def test_fit_with_the_hook_records_a_finite_gan_history():
    rng = np.random.default_rng(0)
    dense = (rng.random((20, 15)) < 0.3).astype(np.float32)
    dense[np.arange(20), np.arange(20) % 15] = 1.0
    train = sp.csr_matrix(dense)
    social = social_matrix([[u, (u + 1) % 20] for u in range(20)], 20)
    model = MatrixFactorization(20, 15, dim=4, seed=0)
    hook = AdversarialSocialRegularizer(social, train, lam=0.1, seed=0)
    fit(model, train, epochs=3, batch_size=16, hooks=[hook], validate=lambda m: {"one": 1.0})
    history = hook.history
    assert len(history) == 3 and history.metric("one") == [1.0, 1.0, 1.0]
    assert all(math.isfinite(x) for x in history.g_loss + history.d_loss)


def test_bad_arguments_are_rejected():
    social = social_matrix([[0, 1]], 3)
    with pytest.raises(ValueError, match="weighting"):
        AdversarialSocialRegularizer(social, _train(), weighting="pagerank")
    with pytest.raises(ValueError, match="temperature"):
        AdversarialSocialRegularizer(social, _train(), temperature=0.0)
    with pytest.raises(ValueError, match="square"):
        contextual_weights(sp.csr_matrix((3, 4)), _train())
    hook = AdversarialSocialRegularizer(social, _train())
    with pytest.raises(ValueError, match="social has 3 users"):
        hook.on_fit_start(MatrixFactorization(4, 3, dim=2), None)
