"""Building blocks of GAN recommenders, one per generator/discriminator class of the survey's Table 5.

`LFMScorer` is the latent-factor model that IRGAN uses as both generator and discriminator; the other
blocks are plain `nn.Module`s with one constructor style, `Net(in_dim, out_dim, *, hidden=..., ...)`, that
map a batch to `[batch, out_dim]` (the sequence blocks read `[batch, length, in_dim]`), so a generator or
a discriminator is any of them composed with embeddings and a condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.seeding import seeded

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
}


def make_activation(name: str) -> nn.Module:
    """The activation layer called `name` (relu, tanh, sigmoid, leaky_relu, elu)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


def _sizes(hidden: int | Sequence[int], name: str = "hidden") -> list[int]:
    sizes = [hidden] if isinstance(hidden, int) else list(hidden)
    if any(not isinstance(h, (int, np.integer)) or h <= 0 for h in sizes):
        raise ValueError(f"{name} must be positive layer sizes, got {hidden!r}")
    return [int(h) for h in sizes]


def _check_dims(in_dim: int, out_dim: int) -> None:
    if in_dim <= 0 or out_dim <= 0:
        raise ValueError(f"in_dim and out_dim must be positive, got {in_dim} and {out_dim}")


def _dropout(p: float) -> nn.Module:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {p}")
    return nn.Dropout(p) if p > 0 else nn.Identity()


def _numpy(value: object) -> object:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


class LFMScorer(EmbeddingRecommender):
    """Latent factor model f(u, i) = p_u . q_i + b_i (IRGAN's generator and discriminator, Wang et al. 2017).

    Tables start uniform in [-init_delta, init_delta] with zero biases (IRGAN's initialisation), or from
    pre-trained values via `from_embeddings`; `full_scores` are the logits of the softmax over items.
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int = 5, *, bias: bool = True, init_delta: float = 0.05,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        if init_delta < 0:
            raise ValueError(f"init_delta must be >= 0, got {init_delta}")
        with seeded(seed):
            self.user = nn.Parameter((torch.rand(n_users, dim) * 2 - 1) * init_delta)
            self.item = nn.Parameter((torch.rand(n_items, dim) * 2 - 1) * init_delta)
        self.item_bias = nn.Parameter(torch.zeros(n_items)) if bias else None

    @classmethod
    def from_embeddings(cls, init: Mapping[str, object] | Recommender) -> LFMScorer:
        """A scorer holding copies of pre-trained tables: a mapping with "user", "item" (and optional
        "bias") arrays, or an embedding model whose embeddings() has "user"/"item" (and `item_bias`)."""
        if isinstance(init, EmbeddingRecommender):
            tables = dict(init.embeddings())
            bias = getattr(init, "item_bias", None)
            if bias is not None:
                tables["bias"] = bias
        elif isinstance(init, Mapping):
            tables = dict(init)
        else:
            raise TypeError(f"init must be a mapping of tables or an embedding model, "
                            f"got {type(init).__name__}")
        missing = {"user", "item"} - set(tables)
        if missing:
            raise KeyError(f"init lacks the table(s) {sorted(missing)}; it has {sorted(tables)}")
        user = torch.as_tensor(np.asarray(_numpy(tables["user"])), dtype=torch.float32)
        item = torch.as_tensor(np.asarray(_numpy(tables["item"])), dtype=torch.float32)
        if user.ndim != 2 or item.ndim != 2 or user.shape[1] != item.shape[1]:
            raise ValueError(f"init user/item tables must be 2-D with the same width, "
                             f"got {tuple(user.shape)} and {tuple(item.shape)}")
        model = cls(user.shape[0], item.shape[0], user.shape[1], init_delta=0.0)
        with torch.no_grad():
            model.user.copy_(user)
            model.item.copy_(item)
            if tables.get("bias") is not None:
                bias = torch.as_tensor(np.asarray(_numpy(tables["bias"])), dtype=torch.float32)
                if tuple(bias.shape) != (item.shape[0],):
                    raise ValueError(f"init bias has shape {tuple(bias.shape)}, expected ({item.shape[0]},)")
                model.item_bias.copy_(bias)
        return model

    @property
    def dim(self) -> int:
        return int(self.user.shape[1])

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"user": self.user, "item": self.item}

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        scores = (self.table("user")[users] * self.table("item")[items]).sum(-1)
        return scores if self.item_bias is None else scores + self.item_bias[items]

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        scores = self.table("user")[users] @ self.table("item").T
        return scores if self.item_bias is None else scores + self.item_bias

    def l2(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Half the summed squared norms of rows `users` and `items` (and item biases), IRGAN's L2."""
        total = self.user[users].pow(2).sum() + self.item[items].pow(2).sum()
        if self.item_bias is not None:
            total = total + self.item_bias[items].pow(2).sum()
        return total / 2


class MLPNet(nn.Module):
    """Multi-layer perceptron in_dim -> hidden... -> out_dim (linear output unless `out_activation`)."""

    def __init__(
        self, in_dim: int, out_dim: int, *, hidden: int | Sequence[int] = (64,), activation: str = "relu",
        dropout: float = 0.0, out_activation: str | None = None,
    ) -> None:
        super().__init__()
        _check_dims(in_dim, out_dim)
        layers: list[nn.Module] = []
        width = in_dim
        for h in _sizes(hidden):
            layers += [nn.Linear(width, h), make_activation(activation), _dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, out_dim))
        if out_activation is not None:
            layers.append(make_activation(out_activation))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CNNNet(nn.Module):
    """1-D convolutions over embeddings [B, L, in_dim], max-pooled over positions -> [B, out_dim].

    `mask` ([B, L], True where a position is real) keeps padding out of the pooling.
    """

    def __init__(
        self, in_dim: int, out_dim: int, *, hidden: int | Sequence[int] = (32,), kernel_size: int = 3,
        activation: str = "relu", dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_dims(in_dim, out_dim)
        if kernel_size <= 0 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number (keeps the length), "
                             f"got {kernel_size}")
        layers: list[nn.Module] = []
        width = in_dim
        for h in _sizes(hidden):
            layers += [nn.Conv1d(width, h, kernel_size, padding=kernel_size // 2),
                       make_activation(activation)]
            width = h
        self.conv = nn.Sequential(*layers)
        self.drop = _dropout(dropout)
        self.out = nn.Linear(width, out_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim != 3:
            raise ValueError(f"CNNNet expects [batch, length, in_dim], got shape {tuple(x.shape)}")
        if mask is not None:
            x = x * mask.unsqueeze(-1).to(x.dtype)
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)
        if mask is not None:
            h = h.masked_fill(~mask.bool().unsqueeze(-1), float("-inf"))
        return self.out(self.drop(h.max(dim=1).values))


class AutoEncoderNet(nn.Module):
    """Auto-encoder in_dim -> hidden... (last = code) -> mirrored hidden -> out_dim; returns logits."""

    def __init__(
        self, in_dim: int, out_dim: int, *, hidden: int | Sequence[int] = (200,), activation: str = "sigmoid",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_dims(in_dim, out_dim)
        sizes = _sizes(hidden)
        encoder = MLPNet(in_dim, sizes[-1], hidden=sizes[:-1], activation=activation,
                         out_activation=activation)
        self.encoder = nn.Sequential(_dropout(dropout), encoder)
        self.decoder = MLPNet(sizes[-1], out_dim, hidden=sizes[-2::-1], activation=activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code (bottleneck activations) of x."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class VAEOutput(NamedTuple):
    """A VAE pass: decoder logits and the posterior's mean and log-variance."""

    logits: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor

    def kl(self) -> torch.Tensor:
        """Per-row KL(q(z|x) || N(0, I))."""
        return kl_divergence(self.mu, self.logvar)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-row KL divergence between N(mu, exp(logvar)) and the standard normal."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


class VAENet(nn.Module):
    """Variational auto-encoder in_dim -> hidden -> (mu, logvar) of `latent` -> hidden reversed -> out_dim.

    In training mode z = mu + sigma * eps (reparameterised, eps from `generator` when given); in eval mode
    z = mu, so scoring is deterministic.
    """

    def __init__(
        self, in_dim: int, out_dim: int, *, hidden: int | Sequence[int] = (600,), latent: int = 200,
        activation: str = "tanh", dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_dims(in_dim, out_dim)
        if latent <= 0:
            raise ValueError(f"latent must be positive, got {latent}")
        sizes = _sizes(hidden)
        self.drop = _dropout(dropout)
        self.encoder = MLPNet(in_dim, 2 * latent, hidden=sizes, activation=activation)
        self.decoder = MLPNet(latent, out_dim, hidden=sizes[::-1], activation=activation)
        self.latent = latent

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        mu, logvar = self.encoder(self.drop(x)).split(self.latent, dim=-1)
        z = mu
        if self.training:
            eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            z = mu + eps * (0.5 * logvar).exp()
        return VAEOutput(self.decoder(z), mu, logvar)


class _RecurrentNet(nn.Module):
    """A recurrent encoder [B, L, in_dim] -> [B, out_dim] read at each row's last real step."""

    cell: type[nn.RNNBase]

    def __init__(
        self, in_dim: int, out_dim: int, *, hidden: int = 64, layers: int = 1, dropout: float = 0.0,
    ) -> None:
        super().__init__()
        _check_dims(in_dim, out_dim)
        if hidden <= 0 or layers <= 0:
            raise ValueError(f"hidden and layers must be positive, got {hidden} and {layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.rnn = self.cell(in_dim, hidden, num_layers=layers, batch_first=True,
                             dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, out_dim)

    def steps(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs at every position, [B, L, out_dim] (position t sees the inputs up to t)."""
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} expects [batch, length, in_dim], "
                             f"got shape {tuple(x.shape)}")
        return self.out(self.rnn(x)[0])

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Output at each row's last real position (`lengths`; the full length when None)."""
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} expects [batch, length, in_dim], "
                             f"got shape {tuple(x.shape)}")
        h = self.rnn(x)[0]
        if lengths is None:
            return self.out(h[:, -1])
        lengths = torch.as_tensor(lengths, device=x.device, dtype=torch.long)
        if lengths.shape != (x.shape[0],) or bool((lengths < 1).any()) or bool((lengths > x.shape[1]).any()):
            raise ValueError(f"lengths must hold one value in [1, {x.shape[1]}] per row, "
                             f"got {lengths.tolist()}")
        return self.out(h[torch.arange(x.shape[0], device=x.device), lengths - 1])


class LSTMNet(_RecurrentNet):
    """LSTM sequence encoder (Hochreiter and Schmidhuber 1997)."""

    cell = nn.LSTM


class GRUNet(_RecurrentNet):
    """GRU sequence encoder (Cho et al. 2014)."""

    cell = nn.GRU


TABLE5_BLOCKS: dict[str, type[nn.Module]] = {
    "LFM": LFMScorer,
    "MLP": MLPNet,
    "CNN": CNNNet,
    "AE": AutoEncoderNet,
    "VAE": VAENet,
    "LSTM": LSTMNet,
    "GRU": GRUNet,
}
"""The building block for each generator/discriminator class named in the survey's Table 5."""
