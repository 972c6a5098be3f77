"""Noise on parameters and hidden activations (ACAE / FG-ACAE): sites, FGSM directions, the training hook."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

from advrec.defenses.noise_injection import (
    ACAE_SITES,
    FG_ACAE_SITES,
    NoiseInjection,
    adversarial_noise,
    injected,
    random_noise,
)
from advrec.models import CDAE
from advrec.models.cdae import cdae_loss
from advrec.training import fit


class TwoLayer(nn.Module):
    """y = second(first(x)), with hand-set weights."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(2, 2, bias=False)
        self.second = nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            self.first.weight.copy_(torch.eye(2))
            self.second.weight.copy_(torch.tensor([[1.0, 2.0]]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x))


def out_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(batch["x"]).sum()


def test_parameter_site_adds_delta_and_keeps_the_parameter() -> None:
    model = TwoLayer()
    x = torch.tensor([[1.0, 1.0]])
    delta = torch.tensor([[0.5, 0.0], [0.0, 0.0]])
    param = model.first.weight
    with injected(model, {"first.weight": delta}):
        # first = [[1.5, 0], [0, 1]] -> hidden (1.5, 1) -> 1.5 + 2 = 3.5
        out = model(x)
        assert out.item() == pytest.approx(3.5)
        out.sum().backward()
    assert model.first.weight is param and "weight" not in model.first.__dict__
    assert model(x).item() == pytest.approx(3.0)
    # d out / d W1[i, j] = w2[i] * x[j]: the gradient reaches the original parameter
    assert torch.allclose(param.grad, torch.tensor([[1.0, 1.0], [2.0, 2.0]]))


def test_activation_site_adds_delta_to_the_submodule_input() -> None:
    model = TwoLayer()
    with injected(model, {"second:input": torch.tensor([[1.0, -1.0]])}):
        # hidden (1, 1) + (1, -1) = (2, 0) -> 2
        assert model(torch.tensor([[1.0, 1.0]])).item() == pytest.approx(2.0)
    assert model(torch.tensor([[1.0, 1.0]])).item() == pytest.approx(3.0)
    wrong = {"second:input": torch.zeros(3, 2)}
    with pytest.raises(ValueError, match="second:input"), injected(model, wrong):
        model(torch.ones(1, 2))


def test_adversarial_noise_is_the_row_normalised_gradient() -> None:
    model = TwoLayer()
    batch = {"x": torch.tensor([[3.0, 4.0]])}
    noise = adversarial_noise(model, out_loss, batch, {"first.weight": 0.5, "second:input": 2.0})
    # grad wrt W1 = w2^T x = [[3, 4], [6, 8]]: each row normalised -> (0.6, 0.8), times 0.5
    assert torch.allclose(noise["first.weight"], torch.tensor([[0.3, 0.4], [0.3, 0.4]]))
    # grad wrt the hidden input of `second` = w2 = (1, 2) -> 2 * (1, 2) / sqrt(5)
    assert torch.allclose(noise["second:input"], 2 * torch.tensor([[1.0, 2.0]]) / 5 ** 0.5)
    with injected(model, noise):
        assert out_loss(model, batch) > out_loss(TwoLayer(), batch)


def test_random_noise_rows_lie_on_the_epsilon_sphere() -> None:
    model = TwoLayer()
    noise = random_noise(model, out_loss, {"x": torch.ones(5, 2)}, {"first.weight": 0.7, "second:input": 0.2},
                         generator=torch.Generator().manual_seed(0))
    assert torch.allclose(noise["first.weight"].norm(dim=1), torch.full((2,), 0.7))
    assert noise["second:input"].shape == (5, 2)
    assert torch.allclose(noise["second:input"].norm(dim=1), torch.full((5,), 0.2))


def test_unknown_site_and_bad_budget_are_named() -> None:
    model = TwoLayer()
    with pytest.raises(KeyError, match="third.weight"):
        adversarial_noise(model, out_loss, {"x": torch.ones(1, 2)}, {"third.weight": 0.1})
    with pytest.raises(KeyError, match="nowhere:input"):
        adversarial_noise(model, out_loss, {"x": torch.ones(1, 2)}, {"nowhere:input": 0.1})
    with pytest.raises(ValueError, match="first.weight"):
        NoiseInjection({"first.weight": -1.0})
    with pytest.raises(ValueError, match="kind"):
        NoiseInjection({"first.weight": 1.0}, kind="uniform")


def _cdae_batch(n_users: int = 6, n_items: int = 8) -> tuple[CDAE, dict[str, torch.Tensor], sp.csr_matrix]:
    rng = np.random.default_rng(0)
    rows = (rng.random((n_users, n_items)) < 0.4).astype(np.float32)
    rows[:, 0] = 1.0
    train = sp.csr_matrix(rows)
    model = CDAE(n_users, n_items, hidden=4, corruption=0.3, seed=0)
    model.prepare(train)
    return model, {"users": torch.arange(n_users), "rows": torch.from_numpy(rows)}, train


def test_cdae_sites_exist_and_adversarial_noise_raises_the_loss() -> None:
    model, batch, _ = _cdae_batch()
    model.eval()
    clean = cdae_loss(model, batch).item()
    noise = adversarial_noise(model, cdae_loss, batch, dict.fromkeys(FG_ACAE_SITES, 0.5))
    assert set(noise) == set(FG_ACAE_SITES) and set(ACAE_SITES) <= set(FG_ACAE_SITES)
    with injected(model, noise):
        assert cdae_loss(model, batch).item() > clean
    assert cdae_loss(model, batch).item() == pytest.approx(clean)


def test_hook_term_is_the_noisy_loss_under_the_same_dropout() -> None:
    model, batch, train = _cdae_batch()
    model.train()
    hook = NoiseInjection(dict.fromkeys(ACAE_SITES, 0.0), lam=2.0)
    hook.on_fit_start(model, None)
    torch.manual_seed(3)
    term = hook.extra_loss(model, batch, cdae_loss)
    torch.manual_seed(3)
    # zero noise: the term is lam * the loss under the very dropout mask the noise was computed with
    assert term.item() == pytest.approx(2.0 * cdae_loss(model, batch).item(), rel=1e-6)
    assert NoiseInjection(dict.fromkeys(ACAE_SITES, 0.5), lam=0.0).extra_loss(model, batch, cdae_loss) is None
    history = fit(model, train, epochs=2, lr=0.01, batch_size=3, hooks=[NoiseInjection(
        dict.fromkeys(FG_ACAE_SITES, 0.3), warmup_epochs=1)])
    assert len(history) == 2 and isinstance(model.decoder.weight, nn.Parameter)
