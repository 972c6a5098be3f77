"""One training loop for every recommender: pluggable loss, sampler and hooks; a numba engine for BPR-MF.

`fit(model, train, ...)` draws batches from a sampler, minimises a loss (a name from `LOSSES` or any
callable `(model, batch) -> scalar`), adds each hook's `extra_loss` (that is how adversarial training
plugs in), and returns a `History` of per-epoch logs. `engine="fast"` trains a `MatrixFactorization`
with the Hogwild BPR/APR kernel of `advrec.models.fast_bpr`; `engine="torch"` (eager autograd) is the
reference.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.data.interactions import Interactions
from advrec.data.samplers import UniformSampler
from advrec.models.base import Recommender
from advrec.models.cdae import cdae_loss
from advrec.models.matrix_factorization import MatrixFactorization
from advrec.models.mult_vae import multvae_loss
from advrec.models.sequential import next_item_bpr_loss, next_item_loss
from advrec.models.train_matrix import dense_rows, train_matrix

Batch = dict[str, torch.Tensor]
LossFn = Callable[[Recommender, Batch], torch.Tensor]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ samplers


class Sampler(Protocol):
    """Draws one epoch of training batches (CPU tensors) from a numpy generator."""

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]: ...


def _unseen_sampler(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> UniformSampler:
    return UniformSampler(Interactions.from_dense(users, items, n_users=n_users, n_items=n_items))


def _draw_unseen(sampler: UniformSampler, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One negative per entry of `users`, uniform over that user's unseen items, drawn with `rng`."""
    sampler.rng = rng
    return sampler.sample(users)[:, 0]


def _interactions(train: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    users = np.repeat(np.arange(train.shape[0], dtype=np.int64), np.diff(train.indptr))
    return users, train.indices.astype(np.int64)


def _tensors(arrays: Mapping[str, np.ndarray], sl: slice) -> Batch:
    return {k: torch.from_numpy(np.ascontiguousarray(v[sl])) for k, v in arrays.items()}


class PairwiseSampler:
    """BPR triples: every training interaction once per epoch, in random order, each with a negative drawn
    uniformly among the items its user has not interacted with. Batches: users, pos_items, neg_items."""

    def __init__(self, train: sp.csr_matrix) -> None:
        csr = sp.csr_matrix(train)
        self.users, self.items = _interactions(csr)
        self.context: dict[str, np.ndarray] = {}
        self.negatives = _unseen_sampler(self.users, self.items, *csr.shape)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(self.users))
        users = self.users[order]
        arrays = {
            "users": users,
            "pos_items": self.items[order],
            "neg_items": _draw_unseen(self.negatives, users, rng),
        }
        arrays.update({k: v[order] for k, v in self.context.items()})
        for start in range(0, len(order), batch_size):
            yield _tensors(arrays, slice(start, start + batch_size))


class ContextPairwiseSampler(PairwiseSampler):
    """BPR triples over (user, item, context) tuples, e.g. tags for PITF: each tuple once per epoch, the
    negative item unseen by the user, the context passed along under `key`."""

    def __init__(
        self, triples: np.ndarray, n_users: int, n_items: int, n_contexts: int, key: str = "tags"
    ) -> None:
        arr = np.asarray(triples)
        if arr.ndim != 2 or arr.shape[1] != 3 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"triples must be an integer array [n, 3] of (user, item, {key}), got {arr.shape}"
            )
        for col, (name, n) in enumerate((("user", n_users), ("item", n_items), (key, n_contexts))):
            if len(arr) and (arr[:, col].min() < 0 or arr[:, col].max() >= n):
                raise ValueError(f"triples column {col} ({name}) must hold ids in [0, {n})")
        self.users, self.items = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64)
        self.context = {key: arr[:, 2].astype(np.int64)}
        self.negatives = _unseen_sampler(self.users, self.items, n_users, n_items)


class PointwiseSampler:
    """Labelled pairs: every training interaction (label 1) plus `negatives` unseen items per interaction
    (label 0), shuffled once per epoch. Batches: users, items, labels."""

    def __init__(self, train: sp.csr_matrix, negatives: int = 4) -> None:
        if negatives < 0:
            raise ValueError(f"negatives must be >= 0, got {negatives}")
        csr = sp.csr_matrix(train)
        self.users, self.items = _interactions(csr)
        self.per_positive = int(negatives)
        self.negatives = _unseen_sampler(self.users, self.items, *csr.shape)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        neg_users = np.tile(self.users, self.per_positive)
        users = np.concatenate([self.users, neg_users])
        items = np.concatenate([self.items, _draw_unseen(self.negatives, neg_users, rng)])
        labels = np.concatenate([np.ones(len(self.users), np.float32), np.zeros(len(neg_users), np.float32)])
        order = rng.permutation(len(users))
        arrays = {"users": users[order], "items": items[order], "labels": labels[order]}
        for start in range(0, len(order), batch_size):
            yield _tensors(arrays, slice(start, start + batch_size))


class RatingSampler:
    """Observed ratings as regression targets, shuffled per epoch. Batches: users, items, labels."""

    def __init__(self, train: sp.csr_matrix) -> None:
        csr = sp.csr_matrix(train)
        self.users, self.items = _interactions(csr)
        self.labels = csr.data.astype(np.float32)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(self.users))
        arrays = {"users": self.users[order], "items": self.items[order], "labels": self.labels[order]}
        for start in range(0, len(order), batch_size):
            yield _tensors(arrays, slice(start, start + batch_size))


class RowSampler:
    """Whole user rows (binary) for auto-encoders: users with any interaction, shuffled per epoch.
    Batches: users, rows (dense float32 [batch, n_items])."""

    def __init__(self, train: sp.csr_matrix) -> None:
        self.train = sp.csr_matrix(train)
        self.users = np.flatnonzero(np.diff(self.train.indptr) > 0)

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(self.users)
        for start in range(0, len(order), batch_size):
            users = order[start : start + batch_size]
            yield {"users": torch.from_numpy(users), "rows": torch.from_numpy(dense_rows(self.train, users))}


class SequenceSampler:
    """Next-item training windows: for each user with 2+ items, inputs = the last `max_len` items before
    each target, left-padded. Batches: users, inputs (item id + 1, 0 = padding), targets (item id, -1 =
    padding)."""

    def __init__(self, sequences: Sequence[np.ndarray], max_len: int) -> None:
        self.max_len = int(max_len)
        self.users = np.array([u for u, s in enumerate(sequences) if len(s) >= 2], dtype=np.int64)
        self.inputs = np.zeros((len(self.users), self.max_len), dtype=np.int64)
        self.targets = np.full((len(self.users), self.max_len), -1, dtype=np.int64)
        for row, u in enumerate(self.users):
            seq = np.asarray(sequences[u], dtype=np.int64)[-(self.max_len + 1) :]
            n = len(seq) - 1
            self.inputs[row, -n:] = seq[:-1] + 1
            self.targets[row, -n:] = seq[1:]

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(self.users))
        arrays = {"users": self.users[order], "inputs": self.inputs[order], "targets": self.targets[order]}
        for start in range(0, len(order), batch_size):
            yield _tensors(arrays, slice(start, start + batch_size))


class SequencePairSampler(SequenceSampler):
    """Next-item windows plus one negative per position for pair-wise (BPR) sequence losses: an item drawn
    uniformly among those the user never interacted with in training (-1 on padding), as in SASRec."""

    def __init__(self, sequences: Sequence[np.ndarray], max_len: int, n_items: int) -> None:
        super().__init__(sequences, max_len)
        self.n_items = int(n_items)
        self.seen = [np.unique(np.asarray(sequences[u], dtype=np.int64)) for u in self.users]
        if any(len(s) >= self.n_items for s in self.seen):
            raise ValueError("a user has interacted with every item: no negative can be drawn for them")

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        negatives = rng.integers(0, self.n_items, size=self.targets.shape)
        for row, seen in enumerate(self.seen):
            bad = np.isin(negatives[row], seen)
            while bad.any():
                negatives[row, bad] = rng.integers(0, self.n_items, size=int(bad.sum()))
                bad = np.isin(negatives[row], seen)
        negatives[self.targets < 0] = -1
        order = rng.permutation(len(self.users))
        arrays = {"users": self.users[order], "inputs": self.inputs[order], "targets": self.targets[order],
                  "negatives": negatives[order]}
        for start in range(0, len(order), batch_size):
            yield _tensors(arrays, slice(start, start + batch_size))


# -------------------------------------------------------------------------------------------- losses


def _context(batch: Batch, used: Sequence[str]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in batch.items() if k not in used}


def bpr_loss(model: Recommender, batch: Batch) -> torch.Tensor:
    """-log sigmoid(s(u, i) - s(u, j)), averaged; extra batch keys (e.g. tags) go to `score` as context."""
    ctx = _context(batch, ("users", "pos_items", "neg_items"))
    pos = model.score(batch["users"], batch["pos_items"], **ctx)
    neg = model.score(batch["users"], batch["neg_items"], **ctx)
    return -F.logsigmoid(pos - neg).mean()


def bce_loss(model: Recommender, batch: Batch) -> torch.Tensor:
    """Binary cross-entropy of the pair scores (as logits) against 0/1 labels."""
    return F.binary_cross_entropy_with_logits(model.score(batch["users"], batch["items"]), batch["labels"])


def mse_loss(model: Recommender, batch: Batch) -> torch.Tensor:
    """Mean squared error of the pair scores against rating labels."""
    return F.mse_loss(model.score(batch["users"], batch["items"]), batch["labels"])


# name -> (loss, the kind of batches it needs)
LOSSES: dict[str, tuple[LossFn, str]] = {
    "bpr": (bpr_loss, "pairwise"),
    "bce": (bce_loss, "pointwise"),
    "mse": (mse_loss, "ratings"),
    "cdae": (cdae_loss, "rows"),
    "multvae": (multvae_loss, "rows"),
    "next_item": (next_item_loss, "sequences"),
    "next_item_bpr": (next_item_bpr_loss, "sequence_pairs"),
}


# --------------------------------------------------------------------------------------- hooks, logs


class Hook:
    """Callbacks of the training loop; every method is optional (the defaults do nothing)."""

    def on_fit_start(self, model: Recommender, trainer: Trainer) -> None:
        """Called once, after the model is prepared and moved to the device, before the first epoch."""

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        """A term added to the batch loss before backward (adversarial training returns its loss here)."""
        return None

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch (model in eval mode) with that epoch's logs."""


@dataclass
class Trainer:
    """The state of one `fit` call, as hooks see it."""

    model: Recommender
    loss_fn: LossFn | None
    sampler: Sampler | None
    optimizer: torch.optim.Optimizer | None
    device: torch.device
    rng: np.random.Generator
    config: dict[str, Any]


@dataclass
class History:
    """What `fit` returns: one log per epoch and how the run was made.

    Each log holds epoch, loss (the mean batch loss: loss function plus hooks' extra terms, without the
    reg / weight-decay penalty), time (seconds of training, validation excluded) and the validation
    metrics if any. `deterministic` says whether the same call reproduces the run bitwise.
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    engine: str = "torch"
    deterministic: bool = True
    config: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.epochs)

    def metric(self, name: str) -> list[float]:
        """The values of log `name` over the epochs."""
        if self.epochs and name not in self.epochs[0]:
            raise KeyError(f"no log named {name!r}; logs are {sorted(self.epochs[0])}")
        return [e[name] for e in self.epochs]

    @property
    def last(self) -> dict[str, float]:
        """The last epoch's logs (empty when no epoch ran)."""
        return self.epochs[-1] if self.epochs else {}

    def to_frame(self) -> Any:
        """The logs as a pandas DataFrame, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(self.epochs)


# ---------------------------------------------------------------------------------------------- fit

_OPTIMIZERS = {"adam": torch.optim.Adam, "adagrad": torch.optim.Adagrad, "sgd": torch.optim.SGD}
_ENGINES = ("torch", "fast")


def _default_loss(model: Recommender) -> str:
    return getattr(model, "default_loss", None) or "bpr"


def _resolve_loss(loss: str | LossFn | None, model: Recommender) -> tuple[LossFn, str | None]:
    if loss is None:
        loss = _default_loss(model)
    if callable(loss):
        return loss, None
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected a callable or one of {sorted(LOSSES)}")
    return LOSSES[loss]


def _default_sampler(kind: str | None, model: Recommender, train: Any, neg_ratio: int) -> Sampler:
    if isinstance(train, np.ndarray):
        key = getattr(model, "context_key", "tags")
        if kind not in (None, "pairwise"):
            raise ValueError(f"train given as an array of tuples needs a pairwise loss, not a {kind!r} one")
        return ContextPairwiseSampler(
            train, model.n_users, model.n_items, getattr(model, f"n_{key}", 0), key=key
        )
    if kind in (None, "pairwise"):
        return PairwiseSampler(train)
    if kind == "pointwise":
        return PointwiseSampler(train, neg_ratio)
    if kind == "ratings":
        return RatingSampler(train)
    if kind == "rows":
        return RowSampler(train)
    if kind in ("sequences", "sequence_pairs"):
        sequences = getattr(model, "sequences", None)
        if sequences is None:
            raise ValueError(
                f"{type(model).__name__} stores no training sequences; a next-item loss needs them"
            )
        max_len = getattr(model, "max_len", 50)
        if kind == "sequences":
            return SequenceSampler(sequences, max_len)
        return SequencePairSampler(sequences, max_len, model.n_items)
    raise ValueError(f"no default sampler for batches of kind {kind!r}; pass sampler=")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")


def fit(
    model: Recommender,
    train: sp.spmatrix | np.ndarray,
    *,
    loss: str | LossFn | None = None,
    sampler: Sampler | None = None,
    epochs: int = 20,
    batch_size: int = 1024,
    lr: float = 1e-3,
    optimizer: str | None = None,
    weight_decay: float = 0.0,
    reg: float = 0.0,
    neg_ratio: int = 4,
    hooks: Sequence[Hook] = (),
    device: str | torch.device = "cpu",
    seed: int = 0,
    validate: Callable[[Recommender], Mapping[str, float]] | None = None,
    verbose: bool = False,
    engine: str = "torch",
    threads: int | None = None,
    apr_epsilon: float = 0.0,
    apr_lambda: float = 0.0,
) -> History:
    """Train `model` on `train` and return its per-epoch History.

    train: a user x item scipy.sparse matrix of the model's shape (values: 1 for implicit feedback,
    ratings for "mse", timestamps/positions for sequential models), or for context models (PITF) an
    integer array [n, 3] of (user, item, tag). `model.prepare(train)` is called first when the model
    defines it; a model with no trainable parameters (ItemPop, ItemKNN) is only prepared.
    loss: a name in LOSSES or a callable (model, batch) -> scalar; default: the model's `default_loss`.
    sampler: draws the batches; default: the one the loss needs (pairwise triples with uniform unseen
    negatives for "bpr", `neg_ratio` negatives per positive for "bce", ratings, rows, sequences).
    optimizer: "adam" (default), "adagrad" or "sgd" ("sgd", per sample, is the only one of engine="fast").
    weight_decay: the optimizer's decay of every parameter; reg: L2 coefficient on the embedding rows the
    batch touches (the model's `l2_penalty`), the BPR paper's regulariser.
    hooks: `Hook`s; their `extra_loss` is added to every batch loss (torch engine only).
    seed: seeds the batch sampler and torch's generator (dropout, VAE noise) inside the call; the caller's
    global random state is left as it was. validate(model) -> {metric: value} runs after each epoch.
    verbose: log each epoch through the `advrec.training` logger (nothing is printed).
    engine: "torch" (eager autograd, the reference) or "fast" (MatrixFactorization with BPR on CPU only:
    Hogwild per-sample SGD in numba; `apr_epsilon` > 0 and `apr_lambda` > 0 add APR's adversarial term
    in closed form). threads: CPU threads for the call (fast engine: default 1, and History.deterministic
    is False above 1; torch engine: torch's intra-op threads, default left as they are).
    """
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {_ENGINES}, got {engine!r}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    _check_positive(batch_size=batch_size, lr=lr)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    if weight_decay < 0 or reg < 0:
        raise ValueError(f"weight_decay and reg must be >= 0, got {weight_decay} and {reg}")
    if engine == "torch" and (apr_epsilon or apr_lambda):
        raise ValueError(
            "apr_epsilon/apr_lambda belong to engine='fast'; on the torch engine add an "
            "adversarial-training hook (advrec.defenses) instead"
        )
    if not isinstance(train, np.ndarray):
        train = train_matrix(train, model)
    device = torch.device(device)
    if engine == "fast" and device.type != "cpu":
        raise ValueError(f"engine='fast' runs on the CPU, got device={str(device)!r}")
    config = {
        "loss": getattr(loss, "__name__", repr(loss)) if callable(loss) else loss or _default_loss(model),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "optimizer": optimizer,
        "weight_decay": weight_decay,
        "reg": reg,
        "seed": seed,
        "device": str(device),
        "engine": engine,
        "threads": threads,
        "apr_epsilon": apr_epsilon,
        "apr_lambda": apr_lambda,
    }
    model.to(device)
    if hasattr(model, "prepare"):
        model.prepare(train)
    if engine == "fast":
        config["threads"] = 1 if threads is None else threads
        return _fit_fast(
            model, train, loss, sampler, optimizer, weight_decay, hooks, validate, verbose, config
        )
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _fit_torch(model, train, loss, sampler, neg_ratio, hooks, validate, verbose, config, device)
    finally:
        torch.set_num_threads(previous)


def _fit_torch(
    model: Recommender,
    train: Any,
    loss: str | LossFn | None,
    sampler: Sampler | None,
    neg_ratio: int,
    hooks: Sequence[Hook],
    validate: Callable[[Recommender], Mapping[str, float]] | None,
    verbose: bool,
    config: dict[str, Any],
    device: torch.device,
) -> History:
    seed = config["seed"]
    rng = np.random.default_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    deterministic = device.type == "cpu" or torch.are_deterministic_algorithms_enabled()
    history = History(engine="torch", deterministic=deterministic, config=config)
    if not params:
        model.eval()
        return history
    loss_fn, kind = _resolve_loss(loss, model)
    if sampler is None:
        sampler = _default_sampler(kind, model, train, neg_ratio)
    name = config["optimizer"] or "adam"
    if name not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {name!r}")
    opt = _OPTIMIZERS[name](params, lr=config["lr"], weight_decay=config["weight_decay"])
    reg = config["reg"]
    if reg and not hasattr(model, "l2_penalty"):
        raise ValueError(
            f"reg > 0 needs the model's l2_penalty, which {type(model).__name__} does not define; "
            "use weight_decay instead"
        )
    trainer = Trainer(model, loss_fn, sampler, opt, device, rng, config)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for hook in hooks:
            hook.on_fit_start(model, trainer)
        for epoch in range(config["epochs"]):
            start = time.perf_counter()
            model.train()
            total, batches = 0.0, 0
            for batch in sampler.batches(config["batch_size"], rng):
                batch = {k: v.to(device) for k, v in batch.items()}
                opt.zero_grad(set_to_none=True)
                objective = loss_fn(model, batch)
                for hook in hooks:
                    extra = hook.extra_loss(model, batch, loss_fn)
                    if extra is not None:
                        objective = objective + extra
                logged = float(objective.detach())
                if reg:
                    objective = objective + reg * model.l2_penalty(batch)
                objective.backward()
                opt.step()
                total += logged
                batches += 1
            _end_epoch(model, history, hooks, validate, verbose, epoch, total / max(batches, 1), start)
    return history


def _end_epoch(
    model: Recommender,
    history: History,
    hooks: Sequence[Hook],
    validate: Callable[[Recommender], Mapping[str, float]] | None,
    verbose: bool,
    epoch: int,
    loss: float,
    start: float,
) -> None:
    model.eval()
    logs: dict[str, float] = {"epoch": epoch, "loss": loss, "time": time.perf_counter() - start}
    if validate is not None:
        with torch.no_grad():
            logs.update({k: float(v) for k, v in validate(model).items()})
    history.epochs.append(logs)
    for hook in hooks:
        hook.on_epoch_end(model, epoch, logs)
    if verbose:
        logger.info("epoch %d: %s", epoch, ", ".join(f"{k}={v:.4g}" for k, v in logs.items() if k != "epoch"))


def _fit_fast(
    model: Recommender,
    train: Any,
    loss: str | LossFn | None,
    sampler: Sampler | None,
    optimizer: str | None,
    weight_decay: float,
    hooks: Sequence[Hook],
    validate: Callable[[Recommender], Mapping[str, float]] | None,
    verbose: bool,
    config: dict[str, Any],
) -> History:
    from advrec.models.fast_bpr import FastBPRData, run_epoch

    if not isinstance(model, MatrixFactorization):
        raise ValueError(f"engine='fast' trains MatrixFactorization only, got {type(model).__name__}")
    if loss not in (None, "bpr"):
        raise ValueError(f"engine='fast' trains the 'bpr' loss only, got {loss!r}")
    if sampler is not None:
        raise ValueError("engine='fast' samples inside its kernel; sampler= is not supported")
    if optimizer not in (None, "sgd"):
        raise ValueError(f"engine='fast' is per-sample SGD; optimizer={optimizer!r} is not supported")
    if weight_decay:
        raise ValueError("engine='fast' regularises with reg= (the touched rows), not weight_decay")
    if any(type(h).extra_loss is not Hook.extra_loss for h in hooks):
        raise ValueError(
            "engine='fast' cannot add hooks' extra_loss; use apr_epsilon/apr_lambda or engine='torch'"
        )
    if config["apr_epsilon"] < 0 or config["apr_lambda"] < 0:
        raise ValueError("apr_epsilon and apr_lambda must be >= 0")
    if not isinstance(train, sp.csr_matrix):
        raise ValueError("engine='fast' needs a user x item sparse matrix as train")
    tables = [model.user, model.item] + ([model.item_bias] if model.item_bias is not None else [])
    for t in tables:
        if t.dtype != torch.float32 or not t.is_contiguous():
            raise ValueError("engine='fast' needs contiguous float32 tables")
    threads = int(config["threads"])
    data = FastBPRData(train)
    history = History(engine="fast", deterministic=threads == 1, config=config)
    trainer = Trainer(
        model, None, None, None, torch.device("cpu"), np.random.default_rng(config["seed"]), config
    )
    for hook in hooks:
        hook.on_fit_start(model, trainer)
    seeds = np.random.SeedSequence(config["seed"]).generate_state(max(config["epochs"], 1), dtype=np.uint64)
    with torch.no_grad():
        user, item = model.user.detach().numpy(), model.item.detach().numpy()
        bias = None if model.item_bias is None else model.item_bias.detach().numpy()
        for epoch in range(config["epochs"]):
            start = time.perf_counter()
            value = run_epoch(
                user,
                item,
                bias,
                data,
                lr=config["lr"],
                reg=config["reg"],
                epsilon=config["apr_epsilon"],
                adv_lambda=config["apr_lambda"],
                seed=int(seeds[epoch]),
                threads=threads,
            )
            for t in tables:  # the kernel wrote behind autograd's back: invalidate graphs saved before it
                torch.autograd.graph.increment_version(t)
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the fast engine diverged at epoch {epoch} (loss {value}); lower lr"
                )
            _end_epoch(model, history, hooks, validate, verbose, epoch, value, start)
    return history
