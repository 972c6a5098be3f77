"""Conv-GCF (Yuan, Yao, Benatallah, "Exploring Missing Interactions: A Convolutional Generative Adversarial
Network for Collaborative Filtering", CIKM 2020): IRGAN's minimax game with a convolutional generator that
carries an adversarial noise layer, and a BPR (pair-wise) or binary-classification (point-wise) discriminator.

Reconstructed from the abstract and the survey's Table 5 row (generator LFM + CNN, discriminator LFM + MLP,
point-wise and pair-wise) on `advrec.gan.irgan.IRGAN`, whose game and trainer are reused:
- G (`ConvLFM`): f_theta(u, i) = p_u . q_i + b_i + CNN(ANL(p_u q_i^T)), a residual convolutional branch (one
  1-D convolution, ReLU, max-pooling over positions, linear output) over the user-item interaction map (the
  outer product of the two embeddings, rows as positions), whose output layer starts at zero so G starts as
  its latent factor model;
- ANL (`AdversarialNoise`): in training, the map is shifted by epsilon times the sign of the gradient it
  received in the previous backward pass (averaged over the batch), the direction that raised G's loss;
  the identity in evaluation;
- D (`MLPLFM`): f_phi(u, i) = p_u . q_i + b_i + MLP([p_u, q_i]), trained with IRGAN's point-wise BCE
  (`mode="point"`) or pair-wise BPR loss (`mode="pair"`) on observed items against G's samples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.irgan import IRGAN
from advrec.gan.networks import LFMScorer, MLPNet, make_activation
from advrec.models.base import Recommender
from advrec.models.seeding import seeded


class AdversarialNoise(nn.Module):
    """Adds `epsilon` * sign(mean gradient of the previous backward pass) to inputs [B, *shape] in training
    (zero before the first backward); the identity in eval mode or when `epsilon` is 0."""

    def __init__(self, epsilon: float) -> None:
        super().__init__()
        if not epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon}")
        self.epsilon = float(epsilon)
        self.noise: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.epsilon == 0:
            return x
        out = x if self.noise is None or self.noise.shape != x.shape[1:] else x + self.noise
        if out.requires_grad:
            out.register_hook(self._store)
        return out

    def _store(self, grad: torch.Tensor) -> None:
        self.noise = self.epsilon * grad.detach().mean(dim=0).sign()


def _copy_tables(model: LFMScorer, init: Mapping[str, object] | Recommender, name: str) -> None:
    """Load `init`'s user/item tables (and bias) into `model`, checking the shapes."""
    source = LFMScorer.from_embeddings(init)
    for table in ("user", "item"):
        have, want = getattr(source, table), getattr(model, table)
        if have.shape != want.shape:
            raise ValueError(f"{name}'s {table} table has shape {tuple(have.shape)}, "
                             f"expected {tuple(want.shape)}")
    with torch.no_grad():
        model.user.copy_(source.user)
        model.item.copy_(source.item)
        model.item_bias.copy_(source.item_bias)


class ConvLFM(LFMScorer):
    """Conv-GCF's generator: p_u . q_i + b_i + Linear(max_r act(Conv1d(ANL(p_u q_i^T))[r])).

    The convolution (kernel 3, `channels` filters, the map's rows as positions and its columns as input
    channels) is linear in the rank-one map, so it is computed without materialising the map: row r of the
    first layer is sum_k p_u[r + k - 1] (W_k q_i) + conv(noise)[r] + bias (zero padding at both ends); the
    noise layer acts on a shared zero map whose gradient is the batch's summed gradient of the maps.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 5, *, channels: int = 8,
                 epsilon: float = 0.1, activation: str = "relu", init_delta: float = 0.05,
                 seed: int = 0) -> None:
        super().__init__(n_users, n_items, dim, init_delta=init_delta, seed=seed)
        if not isinstance(channels, int) or channels <= 0:
            raise ValueError(f"channels must be a positive integer, got {channels!r}")
        with seeded(seed + 7):
            self.conv = nn.Conv1d(dim, channels, 3, padding=1)
        self.act = make_activation(activation)
        self.out = nn.Linear(channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.noise = AdversarialNoise(epsilon)

    def _offset(self) -> torch.Tensor:
        """conv(noise) + bias [dim, C]: the noise layer's share of the first layer (bias alone in eval)."""
        zero_map = torch.zeros(1, self.dim, self.dim, device=self.user.device, requires_grad=self.training)
        noisy = self.noise(zero_map).transpose(1, 2)
        return F.conv1d(noisy, self.conv.weight, self.conv.bias, padding=1)[0].T

    def _windows(self, p: torch.Tensor) -> torch.Tensor:
        """[..., dim, 3]: p[r - 1], p[r], p[r + 1] per position r (zero padding at both ends)."""
        return F.pad(p, (1, 1)).unfold(-1, 3, 1)

    def _per_item(self, q: torch.Tensor) -> torch.Tensor:
        """[..., 3, C]: W_k q for each kernel offset k."""
        return torch.einsum("cjk,...j->...kc", self.conv.weight, q)

    def _head(self, pre: torch.Tensor, positions: int) -> torch.Tensor:
        return self.out(self.act(pre).max(dim=positions).values).squeeze(-1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        pre = self._windows(self.user[users]) @ self._per_item(self.item[items]) + self._offset()
        return super().score(users, items) + self._head(pre, -2)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        windows = self._windows(self.user[users])  # [B, d, 3]
        per_item = self._per_item(self.item)  # [n, 3, C]
        b, d, n, c = len(users), self.dim, self.n_items, per_item.shape[-1]
        pre = (windows.reshape(b * d, 3) @ per_item.permute(1, 0, 2).reshape(3, n * c)).reshape(b, d, n, c)
        return super().full_scores(users) + self._head(pre + self._offset()[None, :, None, :], 1)


class MLPLFM(LFMScorer):
    """Conv-GCF's discriminator: p_u . q_i + b_i + MLP([p_u, q_i])."""

    def __init__(self, n_users: int, n_items: int, dim: int = 5, *, hidden: int | Sequence[int] = (16,),
                 init_delta: float = 0.05, seed: int = 0) -> None:
        super().__init__(n_users, n_items, dim, init_delta=init_delta, seed=seed)
        with seeded(seed + 7):
            self.mlp = MLPNet(2 * dim, 1, hidden=hidden)

    def _mlp(self, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([p, q], dim=-1)).squeeze(-1)

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return super().score(users, items) + self._mlp(self.user[users], self.item[items])

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        p = self.user[users].unsqueeze(1).expand(-1, self.n_items, -1)
        return super().full_scores(users) + self._mlp(p, self.item.expand(len(users), -1, -1))


class GCF(IRGAN):
    """Conv-GCF: IRGAN's game (point-wise BCE or pair-wise BPR discriminator, by `mode`) between a `ConvLFM`
    generator (noise layer strength `epsilon`, conv `channels`) and an `MLPLFM` discriminator (`hidden`);
    `g_init`/`d_init` load pre-trained latent factor tables. Other arguments and `fit` as IRGAN."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 5, mode: str = "point", *, epsilon: float = 0.1,
        channels: int = 8, hidden: int | Sequence[int] = (16,), init_delta: float = 0.05,
        g_init: Mapping[str, object] | Recommender | None = None,
        d_init: Mapping[str, object] | Recommender | None = None, seed: int = 0, **kwargs: object,
    ) -> None:
        super().__init__(n_users, n_items, dim, mode, init_delta=init_delta, seed=seed, **kwargs)
        self.generator = ConvLFM(n_users, n_items, dim, channels=channels, epsilon=epsilon,
                                 init_delta=init_delta, seed=seed)
        self.discriminator = MLPLFM(n_users, n_items, dim, hidden=hidden, init_delta=init_delta,
                                    seed=seed + 1)
        if g_init is not None:
            _copy_tables(self.generator, g_init, "g_init")
        if d_init is not None:
            _copy_tables(self.discriminator, d_init, "d_init")
