"""What the sequence GANs of the survey's temporal-aware row (Table 5, Section 3.3.2) share.

- `position_matrix`: a user x item matrix whose values are each user's positions in time order, the
  input every `SequentialRecommender` reads (ties in time broken by row order, as `leave_one_out` does).
- `SequenceScorer`: a next-item scorer over a user's history: a recurrent (GRU or LSTM), per-step MLP
  or causal Transformer encoder, optionally plus a user factor (the long-term MF part of RecGAN, PLASTIC
  and LSIC), item content features (LSIC's item side) or an item -> factor map (MFGAN's factor-specific
  discriminators embed a factor of the item, e.g. its genre or popularity bucket, not its id).
- `step_logits` / `next_step_loss`: every position's scores over all items for any sequential model,
  and the next-item cross-entropy that pre-trains a generator with maximum likelihood.
- `SequenceGAN`: the IRGAN game (Wang et al. SIGIR 2017) at every position of the training sequences:
  G proposes next items from softmax(G), D tells the real next item from G's proposals (point-wise BCE,
  or pair-wise -log sigmoid(D(real) - D(fake))), G follows REINFORCE on D's reward. `scorer="generator"`
  recommends with G (RecGAN, PLASTIC, MFGAN); `scorer="discriminator"` recommends with D, for which G is
  an adversarial negative sampler (NMRN-GAN), and `negatives="uniform"` is its random-sampling ablation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.data.interactions import Interactions
from advrec.gan.networks import MLPNet
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import normal_table, seeded
from advrec.models.sequential import SequentialRecommender, sequences_from_matrix
from advrec.training import SequenceSampler

ENCODERS = ("gru", "lstm", "mlp", "transformer")
_MODES = ("point", "pair")
_REWARDS = ("prob", "softplus", "sigmoid")
_SCORERS = ("generator", "discriminator")
_NEGATIVES = ("generator", "uniform")


def position_matrix(data: Interactions) -> sp.csr_matrix:
    """User x item matrix holding each (user, item)'s 1-based position in the user's time order.

    Order: timestamp, then row order (the later row is later); a pair seen twice keeps its latest row.
    Without timestamps the row order is the time order.
    """
    data = data.dedupe()
    stamps = np.zeros(len(data), dtype=np.int64) if data.timestamps is None else data.timestamps
    order = np.lexsort([np.arange(len(data)), stamps, data.users])
    users = data.users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(users)]))
    position = (np.arange(len(users)) - first + 1).astype(np.float32)
    return sp.csr_matrix((position, (users, data.items[order])), shape=(data.n_users, data.n_items))


def step_logits(model: SequentialRecommender, users: torch.Tensor, inputs: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
    """Scores of every item as the next one after each position of `inputs` (left-padded, item id + 1):
    [B, L, n_items], or [P, n_items] for the P positions `mask` keeps; a model's own `step_logits` when it
    has one, else its hidden states times its item table."""
    own = getattr(model, "step_logits", None)
    if own is not None:
        return own(users, inputs, mask)
    hidden = model.encode(inputs)
    return (hidden if mask is None else hidden[mask]) @ model.table("item").T


def next_step_loss(model: SequentialRecommender, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of the true next item at every real position (maximum likelihood pre-training; a loss
    for `advrec.training.fit` with a `SequenceSampler`)."""
    mask = batch["targets"] >= 0
    logits = step_logits(model, batch["users"], batch["inputs"], mask)
    return F.cross_entropy(logits, batch["targets"][mask])


class SequenceScorer(SequentialRecommender):
    """s(u, i | history) = h_t . v_i + p_u . w_i + b_i: an encoder state h_t of the history, an optional
    long-term user factor p_u (`user_factors=True`), an item bias b_i.

    Item vectors v_i (input and output, shared) are the item's own embedding, or with `factor` (an int per
    item) the embedding of the item's factor value, plus `item_features @ W` when features are given.
    encoder: "gru", "lstm", "mlp" (per-step MLP of the current item: a Markov scorer) or "transformer"
    (causal, learned positions).
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int = 64, *, encoder: str = "gru", user_factors: bool = False,
        factor: Sequence[int] | np.ndarray | None = None, item_features: np.ndarray | None = None,
        max_len: int = 50, layers: int = 1, heads: int = 1, dropout: float = 0.0, init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, dim, max_len, init_std=init_std, seed=seed)
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {encoder!r}")
        if layers <= 0:
            raise ValueError(f"layers must be positive, got {layers}")
        self.encoder_kind = encoder
        self.factor: torch.Tensor | None
        with seeded(seed + 1):
            if factor is not None:
                codes = np.asarray(factor)
                if codes.shape != (n_items,) or not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0:
                    raise ValueError(f"factor must hold one non-negative integer per item ({n_items}), "
                                     f"got shape {codes.shape} and dtype {codes.dtype}")
                self.register_buffer("factor", torch.as_tensor(codes, dtype=torch.long))
                self.item = normal_table(int(codes.max()) + 1, dim, init_std)
            else:
                self.factor = None
            self.feature_map: nn.Linear | None = None
            if item_features is not None:
                feats = np.asarray(item_features, dtype=np.float32)
                if feats.ndim != 2 or feats.shape[0] != n_items:
                    raise ValueError(f"item_features must be [n_items={n_items}, F], got shape {feats.shape}")
                self.register_buffer("features", torch.as_tensor(feats))
                self.feature_map = nn.Linear(feats.shape[1], dim, bias=False)
            self.user = normal_table(n_users, dim, init_std) if user_factors else None
            self.user_item = normal_table(self.item.shape[0], dim, init_std) if user_factors else None
            self.bias = nn.Parameter(torch.zeros(self.item.shape[0]))
            self.drop = nn.Dropout(dropout)
            if encoder in ("gru", "lstm"):
                cell = nn.GRU if encoder == "gru" else nn.LSTM
                self.rnn = cell(dim, dim, num_layers=layers, batch_first=True,
                                dropout=dropout if layers > 1 else 0.0)
            elif encoder == "mlp":
                self.mlp = MLPNet(dim, dim, hidden=[dim] * layers, activation="tanh", dropout=dropout)
            else:
                self.heads = int(heads)
                self.position = nn.Parameter(torch.randn(max_len, dim) * init_std)
                block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=dim, dropout=dropout,
                                                   batch_first=True, norm_first=True)
                self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
                self.norm = nn.LayerNorm(dim)

    def embeddings(self) -> dict[str, torch.Tensor]:
        tables = {"item": self.item}
        if self.user is not None:
            tables["user"] = self.user
        return tables

    def _by_item(self, table: torch.Tensor) -> torch.Tensor:
        return table if self.factor is None else table[self.factor]

    def item_vectors(self) -> torch.Tensor:
        """[n_items, dim] input/output vector of every item (factor embedding and content included)."""
        vectors = self._by_item(self.table("item"))
        if self.feature_map is not None:
            vectors = vectors + self.feature_map(self.features)
        return vectors

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.pad(self.item_vectors(), (0, 0, 1, 0))[inputs]

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.embed(inputs))
        if self.encoder_kind in ("gru", "lstm"):
            return self.rnn(x)[0]
        if self.encoder_kind == "mlp":
            return torch.tanh(self.mlp(x)) * (inputs > 0).unsqueeze(-1)
        length = inputs.shape[1]
        if length > self.max_len:
            raise ValueError(f"inputs are {length} long, more than max_len={self.max_len}")
        x = (x + self.position[-length:]) * (inputs > 0).unsqueeze(-1)
        idx = torch.arange(length, device=inputs.device)
        blocked = (idx[None, :] > idx[:, None])[None] | (
            (inputs == 0)[:, None, :] & (idx[None, :] != idx[:, None])[None])
        return self.norm(self.blocks(x, mask=blocked.repeat_interleave(self.heads, dim=0)))

    def step_logits(self, users: torch.Tensor, inputs: torch.Tensor,
                    mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores of every item after each position of the padded `inputs` of `users`: [B, L, n_items], or
        [P, n_items] at the P positions `mask` keeps."""
        if mask is None:
            mask = torch.ones(inputs.shape, dtype=torch.bool, device=inputs.device)
            shape = (*inputs.shape, self.n_items)
        else:
            shape = None
        hidden = self.encode(inputs)[mask]
        if self.user is not None:
            rows = users[:, None].expand(inputs.shape)[mask]
            hidden = torch.cat([hidden, self.table("user")[rows]], dim=1)
            items = torch.cat([self.item_vectors(), self._by_item(self.user_item)], dim=1)
        else:
            items = self.item_vectors()
        logits = hidden @ items.T + self._by_item(self.bias)
        return logits if shape is None else logits.view(shape)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        inputs = self.histories(users)
        last = torch.zeros(inputs.shape, dtype=torch.bool, device=inputs.device)
        last[:, -1] = True
        return self.step_logits(users, inputs, last)


class SequenceGAN(Recommender):
    """IRGAN's game over next-item prediction: a generator and one or more discriminators, each a
    `SequentialRecommender` (e.g. `SequenceScorer`, `GRU4Rec`, `SASRec`); `full_scores` are G's (the
    default, `scorer="generator"`) or the first D's (`scorer="discriminator"`).

    mode "point": D minimises BCE (real next item 1, G's proposals 0); G's reward for a proposal is, by
    `reward`, sigmoid(D) ("prob", MFGAN), log(1 + exp(D)) ("softplus", IRGAN's paper) or 2 sigmoid(D) - 1
    ("sigmoid", IRGAN's code), averaged over the discriminators with `weights`. mode "pair": D minimises
    -log sigmoid(D(real) - D(fake)) and G's reward is log(1 + exp(D(fake) - D(real))). negatives="uniform"
    replaces G's proposals by uniform items (and G is not trained): the random-sampling baseline.
    """

    def __init__(
        self, generator: SequentialRecommender, discriminators: SequentialRecommender
        | Sequence[SequentialRecommender], *, mode: str = "point", reward: str = "prob",
        weights: Sequence[float] | None = None, baseline: str | float | None = "mean",
        scorer: str = "generator", negatives: str = "generator", temperature: float = 1.0,
    ) -> None:
        super().__init__(generator.n_users, generator.n_items)
        ds = [discriminators] if isinstance(discriminators, nn.Module) else list(discriminators)
        if not ds:
            raise ValueError("discriminators must hold at least one model")
        for d in ds:
            if (d.n_users, d.n_items) != (self.n_users, self.n_items):
                raise ValueError(f"a discriminator has {d.n_users} users x {d.n_items} items, expected "
                                 f"{self.n_users} x {self.n_items} (the generator's)")
        for name, value, allowed in (("mode", mode, _MODES), ("reward", reward, _REWARDS),
                                     ("scorer", scorer, _SCORERS), ("negatives", negatives, _NEGATIVES)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if weights is None:
            weights = [1.0 / len(ds)] * len(ds)
        if len(weights) != len(ds) or any(w < 0 for w in weights) or not sum(weights) > 0:
            raise ValueError(f"weights must be {len(ds)} non-negative numbers with a positive sum, "
                             f"got {weights}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.generator = generator
        self.discriminators = nn.ModuleList(ds)
        self.mode, self.reward, self.baseline = mode, reward, baseline
        self.scorer, self.negatives, self.temperature = scorer, negatives, float(temperature)
        self.weights = [float(w) / float(sum(weights)) for w in weights]

    def _active(self) -> SequentialRecommender:
        return self.generator if self.scorer == "generator" else self.discriminators[0]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self._active().score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self._active().full_scores(users)

    def prepare(self, train: sp.spmatrix) -> None:
        """Store the training sequences (ordered by the values of `train`) in G and every D."""
        for model in (self.generator, *self.discriminators):
            model.prepare(train)

    def fit(
        self, train: sp.spmatrix, epochs: int = 10, g_steps: int = 1, d_steps: int = 1, *, samples: int = 10,
        batch_size: int = 128, lr_g: float = 1e-4, lr_d: float = 1e-3, mle_weight: float = 0.0,
        d_warmup: int = 0, optimizer: str = "adam", seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Alternate `d_steps` passes of every D and `g_steps` passes of G per epoch over every position of
        the training sequences (`train`: user x item, values = time order, e.g. `position_matrix`).
        G's loss adds `mle_weight` times the next-item cross-entropy to the REINFORCE surrogate;
        `d_warmup` passes of D against the initial G come first (MFGAN pre-trains its discriminators).
        Returns the history (g_loss: G's cost, minus its mean reward; d_loss: D's mean loss)."""
        check_counts(0, g_steps=g_steps, d_steps=d_steps, d_warmup=d_warmup)
        check_counts(epochs=epochs, samples=samples, batch_size=batch_size)
        if mle_weight < 0:
            raise ValueError(f"mle_weight must be >= 0, got {mle_weight}")
        self.prepare(train)
        max_len = max(m.max_len for m in (self.generator, *self.discriminators))
        sampler = SequenceSampler(sequences_from_matrix(sp.csr_matrix(train)), max_len)
        if len(sampler.users) == 0:
            raise ValueError("train has no user with two or more items: no next item to learn")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g = make_optimizer(optimizer, self.generator.parameters(), lr_g)
        opt_d = make_optimizer(optimizer, self.discriminators.parameters(), lr_d)
        train_g = self.negatives == "generator"
        with seeded(seed):  # dropout draws from torch's global generator
            self.train()
            for _ in range(d_warmup):
                self._pass(sampler, batch_size, rng, gen, opt_d, 0, samples, "d", mle_weight)
            history = GANHistory(initial=run_validate(validate, self))
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                self.train()
                d_losses = [self._pass(sampler, batch_size, rng, gen, opt_d, epoch, samples, "d", mle_weight)
                            for _ in range(d_steps)]
                g_losses = [self._pass(sampler, batch_size, rng, gen, opt_g, epoch, samples, "g", mle_weight)
                            for _ in range(g_steps if train_g else 0)]
                history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), run_validate(validate, self),
                               time.perf_counter() - start)
        self.eval()
        return history

    def _proposals(self, g_logits: torch.Tensor, samples: int, gen: torch.Generator) -> torch.Tensor:
        """[P, samples] items from softmax(G / temperature) (or uniform items for the ablation)."""
        if self.negatives == "uniform":
            return torch.randint(0, self.n_items, (g_logits.shape[0], samples), generator=gen,
                                 device=g_logits.device)
        probs = torch.softmax(g_logits.detach() / self.temperature, dim=1)
        return torch.multinomial(probs, samples, replacement=True, generator=gen)

    def _d_logits(self, d: SequentialRecommender, users: torch.Tensor, inputs: torch.Tensor,
                  mask: torch.Tensor, real: torch.Tensor,
                  fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = step_logits(d, users, inputs, mask)
        return logits.gather(1, real[:, None]).squeeze(1), logits.gather(1, fake)

    def _reward(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        if self.mode == "pair":
            return F.softplus(fake - real[:, None])
        if self.reward == "prob":
            return torch.sigmoid(fake)
        return F.softplus(fake) if self.reward == "softplus" else 2 * torch.sigmoid(fake) - 1

    def _pass(self, sampler: SequenceSampler, batch_size: int, rng: np.random.Generator,
              gen: torch.Generator, opt: torch.optim.Optimizer, epoch: int, samples: int, player: str,
              mle_weight: float) -> float:
        dev = self.device
        total, count = 0.0, 0
        for batch in sampler.batches(batch_size, rng):
            users, inputs, targets = (batch[k].to(dev) for k in ("users", "inputs", "targets"))
            mask = targets >= 0
            real = targets[mask]
            if player == "d":
                with torch.no_grad():
                    g_logits = step_logits(self.generator, users, inputs, mask)
                fake = self._proposals(g_logits, samples, gen)
                loss = torch.zeros((), device=dev)
                for d in self.discriminators:
                    r, f = self._d_logits(d, users, inputs, mask, real, fake)
                    if self.mode == "point":
                        loss = loss + (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                                       + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
                    else:
                        loss = loss + F.softplus(f - r[:, None]).mean()
                value = loss.item() / len(self.discriminators)
            else:
                log_p = torch.log_softmax(step_logits(self.generator, users, inputs, mask), dim=1)
                fake = self._proposals(log_p, samples, gen)
                with torch.no_grad():
                    rewards = torch.zeros(fake.shape, device=dev)
                    for w, d in zip(self.weights, self.discriminators, strict=True):
                        logits = self._d_logits(d, users, inputs, mask, real, fake)
                        rewards = rewards + w * self._reward(*logits)
                loss = reinforce_loss(log_p.gather(1, fake), rewards, self.baseline)
                if mle_weight:
                    loss = loss + mle_weight * F.nll_loss(log_p, real)
                value = -rewards.mean().item()
            what = "SequenceGAN discriminator loss" if player == "d" else "SequenceGAN generator loss"
            check_finite(loss.item(), what, epoch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += value * len(real)
            count += len(real)
        return total / max(count, 1)
