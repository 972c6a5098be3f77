"""Carlini-Wagner L2 attack on embeddings: the smallest perturbation that reaches a confidence margin.

Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks", IEEE S&P 2017: minimise
||Delta||_2^2 + c * sum max(margin(Delta), -kappa) with Adam, binary-searching the constant c. For a
recommender the margin is, per (user, target item), the score of the user's k-th best other item minus the
target's score (targeted promotion into the top-k); untargeted, per training triple, s(u, pos) - s(u, neg)
(the preference order is flipped). There is no epsilon: the norm is minimised, not bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import torch

from advrec.attacks.perturbation import Batch, Deltas, LossFn, PerturbationAttack, _check_targets
from advrec.attacks.threat_model import ThreatModel
from advrec.models.base import EmbeddingRecommender

Margins = Callable[[Mapping[str, torch.Tensor]], torch.Tensor]


class CarliniWagner(PerturbationAttack):
    """C&W L2: promote `target_items` into each batch user's top-`top_k` (or, with no targets, flip pairs).

    `__call__(model, loss_fn, batch)` reads `batch["users"]` (targeted) or the pairwise batch
    (users, pos_items, neg_items; untargeted); `loss_fn` is not used, the margin replaces it.
    """

    def __init__(
        self,
        targets: str | Iterable[str] = ("item",),
        target_items: Sequence[int] | None = None,
        top_k: int = 10,
        kappa: float = 0.0,
        c: float = 1.0,
        steps: int = 100,
        step_size: float = 0.01,
        binary_search_steps: int = 5,
    ) -> None:
        self.epsilon = None
        self.norm = "l2"
        self.targets = _check_targets(targets)
        self.target_items = None if target_items is None else [int(i) for i in target_items]
        if self.target_items is not None and not self.target_items:
            raise ValueError("target_items must list at least one item id (or be None for untargeted)")
        for name, value in (("top_k", top_k), ("steps", steps), ("binary_search_steps", binary_search_steps)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if kappa < 0 or not c > 0 or not step_size > 0:
            raise ValueError(f"expected kappa >= 0, c > 0, step_size > 0; got {kappa}, {c}, {step_size}")
        self.top_k = top_k
        self.kappa = float(kappa)
        self.c = float(c)
        self.steps = steps
        self.step_size = float(step_size)
        self.binary_search_steps = binary_search_steps

    @property
    def threat_model(self) -> ThreatModel:
        """White-box, minimal L2 norm, targeted promotion or untargeted preference flipping."""
        targeted = self.target_items is not None
        return ThreatModel(
            knowledge="white-box",
            capability="perturb embeddings: " + ", ".join(self.targets),
            norm="l2",
            epsilon=None,
            target=f"items {self.target_items}" if targeted else "untargeted",
            goal=(
                f"push the target items into every attacked user's top-{self.top_k} with margin {self.kappa}"
                if targeted
                else f"rank each training negative above its positive with margin {self.kappa}"
            ),
            iterations=self.steps * self.binary_search_steps,
        )

    def margins(self, model: EmbeddingRecommender, batch: Batch) -> Margins:
        """The per-example margin function of this attack on `model` (success where margin < -kappa)."""
        if self.target_items is None:
            missing = [k for k in ("users", "pos_items", "neg_items") if k not in batch]
            if missing:
                raise KeyError(f"untargeted C&W needs a pairwise batch; missing keys {missing}")

            def pairwise(deltas: Mapping[str, torch.Tensor]) -> torch.Tensor:
                with model.perturbed(deltas):
                    return model.score(batch["users"], batch["pos_items"]) - model.score(
                        batch["users"], batch["neg_items"]
                    )

            return pairwise
        if "users" not in batch:
            raise KeyError("targeted C&W needs batch['users'], the users to promote the targets to")
        items = torch.as_tensor(self.target_items, dtype=torch.long, device=model.device)
        if int(items.min()) < 0 or int(items.max()) >= model.n_items:
            raise ValueError(f"target_items must be ids in [0, {model.n_items}), got {self.target_items}")
        if self.top_k > model.n_items - len(self.target_items):
            raise ValueError(f"top_k={self.top_k} exceeds the number of non-target items")
        users = batch["users"].unique()

        def targeted(deltas: Mapping[str, torch.Tensor]) -> torch.Tensor:
            with model.perturbed(deltas):
                scores = model.full_scores(users)
            others = scores.index_fill(1, items, -math.inf)
            kth = others.topk(self.top_k, dim=1).values[:, -1:]
            return (kth - scores[:, items]).reshape(-1)

        return targeted

    def __call__(self, model: EmbeddingRecommender, loss_fn: LossFn, batch: Batch) -> Deltas:
        """Smallest-norm perturbation found of the target tables that meets the margin (see class doc)."""
        return self.perturb(self.margins(model, batch), self.tables(model))

    def perturb(self, objective: Margins, like: Mapping[str, torch.Tensor]) -> Deltas:
        """Minimise ||Delta||^2 + c * sum max(objective(Delta), -kappa); `objective` returns margins.

        Returns, over all iterates of the binary search on c, the one where most margins are below -kappa,
        the smallest-norm one among those (C&W's "best attack", for a perturbation shared by the batch).
        """
        best: Deltas = {k: torch.zeros_like(v) for k, v in like.items()}
        best_key = (math.inf, math.inf)
        lo, hi, c = 0.0, math.inf, self.c
        for _ in range(self.binary_search_steps):
            delta = {k: torch.zeros_like(v).requires_grad_(True) for k, v in like.items()}
            opt = torch.optim.Adam(list(delta.values()), lr=self.step_size)
            succeeded = False
            for step in range(self.steps + 1):
                with torch.enable_grad():
                    m = objective(delta)
                    sq = sum((d * d).sum() for d in delta.values())
                    reached = int((m.detach() < -self.kappa).sum())
                    succeeded = succeeded or reached == m.numel()
                    key = (m.numel() - reached, float(sq.detach()))
                    if key < best_key:
                        best_key = key
                        best = {k: d.detach().clone() for k, d in delta.items()}
                    if step == self.steps:
                        break
                    loss = sq + c * m.clamp_min(-self.kappa).sum()
                    grads = torch.autograd.grad(loss, list(delta.values()), allow_unused=True)
                for d, g in zip(delta.values(), grads, strict=True):
                    d.grad = torch.zeros_like(d) if g is None else g
                opt.step()
            if succeeded:
                hi = c
            else:
                lo = c
            c = (lo + hi) / 2 if math.isfinite(hi) else c * 10
        return best
