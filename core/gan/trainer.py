"""What the GAN trainers share: the per-epoch training history, validation calls, optimisers and checks.

Adversarial training is unstable, so every trainer records the generator's and the discriminator's mean
loss and the validation metrics once per epoch (`GANHistory`), plots them, and stops with an error the
moment a loss stops being finite instead of carrying NaN weights on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from advrec.models.train_matrix import dense_rows

Validate = Callable[[Any], Mapping[str, float]]
"""A validation callable: receives the model, returns metric name -> value (e.g. {"PRECISION@5": 0.31})."""


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: the mean generator and discriminator losses, the validation metrics and the wall time."""

    epoch: int
    g_loss: float
    d_loss: float
    metrics: dict[str, float]
    seconds: float


@dataclass
class GANHistory:
    """Per-epoch diagnostics of a GAN fit; `initial` holds the validation metrics before the first epoch."""

    epochs: list[EpochRecord] = field(default_factory=list)
    initial: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.epochs)

    def record(self, g_loss: float, d_loss: float, metrics: Mapping[str, float],
               seconds: float) -> EpochRecord:
        """Append the next epoch's record and return it."""
        rec = EpochRecord(len(self.epochs) + 1, float(g_loss), float(d_loss), dict(metrics), float(seconds))
        self.epochs.append(rec)
        return rec

    @property
    def g_loss(self) -> list[float]:
        return [r.g_loss for r in self.epochs]

    @property
    def d_loss(self) -> list[float]:
        return [r.d_loss for r in self.epochs]

    def metric(self, name: str) -> list[float]:
        """The validation metric `name` per epoch (NaN where an epoch did not report it)."""
        known = set(self.initial).union(*(r.metrics for r in self.epochs))
        if name not in known:
            raise KeyError(f"no validation metric {name!r} in this history; it has {sorted(known)}")
        return [r.metrics.get(name, math.nan) for r in self.epochs]

    def to_frame(self) -> pd.DataFrame:
        """One row per epoch (index `epoch`, from 1): g_loss, d_loss, seconds and one column per metric."""
        rows = [{"epoch": r.epoch, "g_loss": r.g_loss, "d_loss": r.d_loss, "seconds": r.seconds, **r.metrics}
                for r in self.epochs]
        columns = ["epoch", "g_loss", "d_loss", "seconds"]
        return pd.DataFrame(rows, columns=columns if not rows else None).set_index("epoch")

    def plot(self, ax: Any = None) -> Any:
        """Losses per epoch on `ax` (a new figure when None) and validation metrics on a twin axis; returns
        the figure. Epoch 0 of a metric is its `initial` value."""
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(6.4, 3.6))
            ax = fig.add_subplot()
        x = [r.epoch for r in self.epochs]
        ax.plot(x, self.g_loss, label="generator loss", color="tab:blue")
        ax.plot(x, self.d_loss, label="discriminator loss", color="tab:orange")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        handles, labels = ax.get_legend_handles_labels()
        names = sorted(set(self.initial).union(*(r.metrics for r in self.epochs)))
        if names:
            twin = ax.twinx()
            for name in names:
                xs = ([0] if name in self.initial else []) + x
                ys = ([self.initial[name]] if name in self.initial else []) + self.metric(name)
                twin.plot(xs, ys, linestyle="--", marker=".", label=name)
            twin.set_ylabel("validation")
            more = twin.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        ax.legend(handles, labels, loc="best", fontsize="small")
        return ax.figure


def run_validate(validate: Validate | None, model: nn.Module) -> dict[str, float]:
    """`validate(model)` as a dict of floats, with the model in eval mode for the call ({} when None)."""
    if validate is None:
        return {}
    if not callable(validate):
        raise TypeError(f"validate must be callable(model) -> dict of metrics, got {type(validate).__name__}")
    was_training = model.training
    model.eval()
    try:
        out = validate(model)
    finally:
        model.train(was_training)
    if not isinstance(out, Mapping):
        raise TypeError(f"validate must return a mapping of metric name -> value, got {type(out).__name__}")
    return {str(k): float(v) for k, v in out.items()}


def check_finite(value: float, what: str, epoch: int) -> float:
    """`value`, or a FloatingPointError naming the loss and the epoch when it is NaN or infinite."""
    if not math.isfinite(value):
        raise FloatingPointError(f"{what} became {value} in epoch {epoch}; lower the learning rate or check "
                                 "the data (the model keeps its weights from before that step)")
    return value


def make_optimizer(
    name: str, params: Iterable[nn.Parameter], lr: float, weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """An optimiser by name ("sgd" or "adam"); weight_decay is an L2 penalty (weight_decay/2 |w|^2)."""
    if lr <= 0:
        raise ValueError(f"learning rate must be positive, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight decay / L2 coefficient must be >= 0, got {weight_decay}")
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")


def check_counts(minimum: int = 1, **counts: int) -> None:
    """Raise naming the first argument that is not an integer >= minimum (epochs, steps, batch sizes)."""
    for name, value in counts.items():
        if not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_schedule(epochs: int, g_steps: int, d_steps: int, reg_g: float = 0.0, reg_d: float = 0.0,
                   **counts: int) -> None:
    """Raise naming the first bad argument of an alternating game: `epochs` and `counts` (batch sizes...)
    must be integers >= 1, the players' steps integers >= 0 and their L2 coefficients >= 0."""
    check_counts(0, g_steps=g_steps, d_steps=d_steps)
    check_counts(epochs=epochs, **counts)
    if reg_g < 0 or reg_d < 0:
        raise ValueError(f"reg_g and reg_d must be >= 0, got {reg_g} and {reg_d}")


def player_optimizers(model: nn.Module, name: str, lr_g: float, lr_d: float, weight_decay_g: float = 0.0,
                      weight_decay_d: float = 0.0) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """One optimiser (`make_optimizer`) for `model.generator` and one for `model.discriminator`."""
    return (make_optimizer(name, model.generator.parameters(), lr_g, weight_decay_g),
            make_optimizer(name, model.discriminator.parameters(), lr_d, weight_decay_d))


def critic_split_optimizers(model: nn.Module, critics: Iterable[nn.Parameter], name: str, lr_g: float,
                            lr_d: float, weight_decay: float = 0.0,
                            ) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(optimiser of every parameter of `model` but `critics`, optimiser of `critics`): for models whose
    discriminator is a part of one module rather than a separate `discriminator` player."""
    critics = list(critics)
    ids = {id(p) for p in critics}
    players = [p for p in model.parameters() if id(p) not in ids]
    return (make_optimizer(name, players, lr_g, weight_decay),
            make_optimizer(name, critics, lr_d, weight_decay))


def shuffled_batches(items: np.ndarray | int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`items` (or range(items)) in an order drawn from `rng`, split into ceil(n / size) nearly equal
    batches (numpy's array_split), so no batch is a tiny remainder."""
    order = rng.permutation(items)
    return np.array_split(order, max(1, -(-len(order) // size)))


def dense_row_batches(matrix: sp.csr_matrix, users: np.ndarray, size: int, rng: np.random.Generator,
                      device: torch.device) -> Iterator[torch.Tensor]:
    """The binary rows of `users` in `matrix` as dense tensors on `device`, one per shuffled batch: the
    epoch loop of the auto-encoding GANs, which read whole interaction vectors."""
    for batch in shuffled_batches(users, size, rng):
        yield torch.from_numpy(dense_rows(matrix, batch)).to(device)


def mean_or_nan(values: list[float]) -> float:
    """The mean of `values`, NaN when there are none (an epoch with zero passes of one player)."""
    return float(np.mean(values)) if values else math.nan


def torch_generator(seed: int, device: torch.device) -> torch.Generator:
    """A torch generator on `device` seeded with `seed` (sampling independent of the global state)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def alternate(
    model: nn.Module, epochs: int, d_steps: int, g_steps: int, d_pass: Callable[[int], float],
    g_pass: Callable[[int], float], validate: Validate | None = None,
) -> GANHistory:
    """The alternating schedule of the IRGAN family: per epoch `d_steps` calls of d_pass(epoch), then
    `g_steps` of g_pass(epoch) (each returning its mean loss), with `validate` before training and after
    every epoch; the model is in train mode during the fit and in eval mode after it."""
    history = GANHistory(initial=run_validate(validate, model))
    model.train()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        d_loss = mean_or_nan([d_pass(epoch) for _ in range(d_steps)])
        g_loss = mean_or_nan([g_pass(epoch) for _ in range(g_steps)])
        history.record(g_loss, d_loss, run_validate(validate, model), time.perf_counter() - start)
    model.eval()
    return history

