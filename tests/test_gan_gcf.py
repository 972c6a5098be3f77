"""Conv-GCF: the adversarial noise layer, the convolutional generator, the MLP discriminator and the game."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.gcf import GCF, MLPLFM, AdversarialNoise, ConvLFM


def test_adversarial_noise_uses_the_sign_of_the_previous_gradient():
    layer = AdversarialNoise(0.5)
    x = torch.zeros(2, 3, requires_grad=True)
    out = layer(x)
    assert torch.equal(out, x)  # no noise before the first backward
    # loss gradients per element: column 0 positive, column 1 negative, column 2 zero on average
    (out * torch.tensor([[1.0, -2.0, 1.0], [3.0, -1.0, -1.0]])).sum().backward()
    assert layer.noise.tolist() == [0.5, -0.5, 0.0]
    assert layer(torch.ones(4, 3)).tolist() == [[1.5, 0.5, 1.0]] * 4
    layer.eval()
    assert layer(torch.ones(4, 3)).tolist() == [[1.0, 1.0, 1.0]] * 4
    with pytest.raises(ValueError, match="epsilon"):
        AdversarialNoise(-1.0)


def test_conv_generator_starts_as_its_latent_factor_model():
    g = ConvLFM(3, 4, dim=2, seed=0)
    with torch.no_grad():
        g.user.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        g.item.copy_(torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0], [1.0, -1.0]]))
        g.item_bias.copy_(torch.tensor([0.0, 0.5, 0.0, -1.0]))
    expected = torch.tensor([[1.0, 2.5, 0.0, 0.0], [2.0, 0.5, 6.0, -3.0], [2.0, 2.5, 3.0, -1.0]])
    assert torch.allclose(g.full_scores(torch.arange(3)), expected)
    pairs = g.score(torch.tensor([[1, 1]]), torch.tensor([[2, 3]]))
    assert torch.allclose(pairs, torch.tensor([[6.0, -3.0]]))


def test_factorised_convolution_equals_the_convolution_of_the_noisy_map():
    g = ConvLFM(2, 3, dim=4, channels=5, epsilon=0.3, seed=2)
    with torch.no_grad():
        g.out.weight.normal_()
        g.out.bias.fill_(0.1)
    g.train()
    g.noise.noise = 0.3 * torch.randn(4, 4).sign()
    users, items = torch.tensor([0, 1, 1]), torch.tensor([2, 0, 1])
    p, q = g.user[users], g.item[items]
    maps = p[:, :, None] * q[:, None, :] + g.noise.noise  # rows = positions, columns = input channels
    conv = torch.nn.functional.conv1d(maps.transpose(1, 2), g.conv.weight, g.conv.bias, padding=1)
    hidden = torch.relu(conv)
    expected = (p * q).sum(-1) + g.item_bias[items] + g.out(hidden.max(dim=2).values).squeeze(-1)
    assert torch.allclose(g.score(users, items), expected, atol=1e-5)
    full = g.full_scores(torch.tensor([1]))
    assert torch.allclose(full[0, [0, 1]], expected[1:], atol=1e-5)


def test_mlp_discriminator_full_scores_match_pair_scores():
    d = MLPLFM(3, 5, dim=4, seed=1)
    users = torch.tensor([0, 2])
    full = d.full_scores(users)
    pairs = d.score(users[:, None].expand(-1, 5), torch.arange(5).expand(2, -1))
    assert full.shape == (2, 5) and torch.allclose(full, pairs, atol=1e-6)


def _train() -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    dense = (rng.random((10, 12)) < 0.3).astype(np.float32)
    dense[:, 0] = 1.0
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("mode", ["point", "pair"])
def test_gcf_game_trains_both_networks(mode):
    model = GCF(10, 12, dim=3, mode=mode, seed=0)
    before = [p.detach().clone() for p in model.generator.conv.parameters()]
    history = model.fit(_train(), epochs=2, d_steps=1, g_steps=2, d_batch=8, g_batch=4, lr_g=0.1, lr_d=0.1,
                        optimizer="adam")
    assert len(history) == 2 and np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.conv.parameters(), strict=True))
    assert model.generator.noise.noise is not None
    assert model.full_scores(torch.arange(10)).shape == (10, 12)


def test_gcf_loads_pretrained_tables_and_checks_them():
    init = {"user": np.ones((10, 3)), "item": np.full((12, 3), 0.5), "bias": np.arange(12.0)}
    model = GCF(10, 12, dim=3, g_init=init, seed=0)
    model.eval()
    assert torch.allclose(model.full_scores(torch.tensor([0]))[0], torch.arange(12.0) + 1.5)
    with pytest.raises(ValueError, match="g_init's user table"):
        GCF(9, 12, dim=3, g_init=init)
