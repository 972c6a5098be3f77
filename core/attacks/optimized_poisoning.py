"""Gradient-optimised fake profiles, learned through an unrolled differentiable surrogate MF.

Li et al., "Data Poisoning Attacks on Factorization-Based Collaborative Filtering", NeurIPS 2016 (attack
gradients through alternating minimisation); Tang et al., "Revisiting Adversarially Learned Injection
Attacks in Recommender Systems", RecSys 2020 (unrolled surrogate training). The fake rows are relaxed to
[0, 1], a weighted-ALS MF is retrained on real + fake rows for a few differentiable sweeps, and the fake
rows, started from the random attack's, follow the gradient of the targets' mean predicted score for
real users; each row is then projected onto its `filler_size` largest entries, rounded to the rating
scale. The surrogate is dense (users x items): use it on small or sampled data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from advrec.attacks.poisoning import (
    Context,
    ProfileAttack,
    RandomAttack,
    RatingScale,
    as_csr,
    profiles_matrix,
    rating_scale,
)


def _solve_rows(fixed: torch.Tensor, y: torch.Tensor, w: torch.Tensor, reg: float) -> torch.Tensor:
    """Per row r: argmin_x sum_j w_rj (x . fixed_j - y_rj)^2 + reg ||x||^2 (differentiable, batched)."""
    n, dim = fixed.shape
    outer = (fixed.unsqueeze(2) * fixed.unsqueeze(1)).reshape(n, dim * dim)
    a = (w @ outer).reshape(-1, dim, dim) + reg * torch.eye(dim, dtype=fixed.dtype, device=fixed.device)
    b = (w * y) @ fixed
    return torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1)


def _targets_weights(ratings: sp.csr_matrix, scale: RatingScale, neg_weight: float, device: str) -> tuple:
    """Dense regression targets (ratings / high) and weights (1 observed, neg_weight missing)."""
    dense = torch.as_tensor(ratings.toarray(), dtype=torch.float32, device=device)
    observed = (dense != 0).to(torch.float32)
    y = observed if scale.implicit else dense / scale.high
    return y, neg_weight + (1.0 - neg_weight) * observed


def fit_surrogate(
    ratings: object,
    *,
    dim: int = 16,
    sweeps: int = 10,
    reg: float = 1.0,
    neg_weight: float = 0.1,
    seed: int = 0,
    device: str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted-ALS matrix factorisation (Hu et al. 2008 style) of `ratings`: user and item factors.

    Observed entries are regressed to rating / max rating with weight 1, missing ones to 0 with weight
    `neg_weight`; predicted scores are `P @ Q.T`. It is the attacker's surrogate of the victim.
    """
    r = as_csr(ratings)
    y, w = _targets_weights(r, rating_scale(r), neg_weight, device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    q = (0.1 * torch.randn(r.shape[1], dim, generator=gen)).to(device)
    with torch.no_grad():
        for _ in range(sweeps):
            p = _solve_rows(q, y, w, reg)
            q = _solve_rows(p, y.T, w.T, reg)
        p = _solve_rows(q, y, w, reg)
    return p, q


class OptimizedAttack(ProfileAttack):
    """Fake profiles optimised by gradient ascent through `unroll_sweeps` differentiable ALS sweeps.

    Each of `attack_steps` Adam steps (size `step_size`) retrains the surrogate from its fit on the real
    data with the relaxed fake rows (in [0, 1], rating / max) added, and raises (push) or lowers (nuke)
    the targets' mean score over real users who have not rated them. Enough sweeps matter: a short unroll
    optimises a transient of the surrogate that does not survive full retraining.
    """

    knowledge = "white-box"
    needs = "the whole rating matrix, to train a surrogate MF"

    def __init__(
        self,
        target_items: int | Sequence[int],
        n_fake: int | float = 0.01,
        filler_size: int | float = 0.05,
        goal: str = "push",
        rating_range: tuple[float, float] | None = None,
        implicit: bool | None = None,
        seed: int = 0,
        dim: int = 16,
        reg: float = 1.0,
        neg_weight: float = 0.1,
        pretrain_sweeps: int = 10,
        unroll_sweeps: int = 10,
        attack_steps: int = 30,
        step_size: float = 0.1,
        device: str = "cpu",
    ) -> None:
        super().__init__(target_items, n_fake, filler_size, goal, rating_range, implicit, seed)
        for name, value in (
            ("dim", dim),
            ("pretrain_sweeps", pretrain_sweeps),
            ("unroll_sweeps", unroll_sweeps),
            ("attack_steps", attack_steps),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (reg > 0 and 0 < neg_weight <= 1 and step_size > 0):
            raise ValueError(
                f"expected reg > 0, 0 < neg_weight <= 1, step_size > 0; got {reg}, {neg_weight}, {step_size}"
            )
        self.dim = dim
        self.reg = float(reg)
        self.neg_weight = float(neg_weight)
        self.pretrain_sweeps = pretrain_sweeps
        self.unroll_sweeps = unroll_sweeps
        self.attack_steps = attack_steps
        self.step_size = float(step_size)
        self.device = device

    def generate(self, ctx: Context) -> sp.csr_matrix:
        r, scale = ctx.ratings, ctx.scale
        n_items = r.shape[1]
        if ctx.n_filler > n_items - len(ctx.targets):
            raise ValueError(f"filler_size={self.filler_size} exceeds the number of non-target items")
        y_real, w_real = _targets_weights(r, scale, self.neg_weight, self.device)
        targets = torch.as_tensor(ctx.targets, device=self.device)
        target_value = ctx.target_rating / scale.high
        eligible = (y_real[:, targets] == 0).all(dim=1)
        if not bool(eligible.any()):
            raise ValueError("every real user has already rated the target items: nothing to attack")
        _, q0 = fit_surrogate(
            r, dim=self.dim, sweeps=self.pretrain_sweeps, reg=self.reg, neg_weight=self.neg_weight,
            seed=self.seed, device=self.device,
        )
        start = self._start(ctx).toarray() / scale.high
        fake = torch.as_tensor(start, dtype=torch.float32, device=self.device).requires_grad_(True)
        opt = torch.optim.Adam([fake], lr=self.step_size)
        sign = 1.0 if self.goal == "push" else -1.0
        for _ in range(self.attack_steps):
            y = torch.cat([y_real, fake])
            w = torch.cat([w_real, self.neg_weight + (1.0 - self.neg_weight) * fake])
            q = q0
            for _ in range(self.unroll_sweeps):
                p = _solve_rows(q, y, w, self.reg)
                q = _solve_rows(p, y.T, w.T, self.reg)
            p_real = _solve_rows(q, y_real, w_real, self.reg)
            objective = (p_real[eligible] @ q[targets].T).mean()
            opt.zero_grad()
            (-sign * objective).backward()
            opt.step()
            with torch.no_grad():
                fake.clamp_(0.0, 1.0).index_fill_(1, targets, target_value)
        return self._discretise(fake.detach().cpu().numpy(), ctx)

    def _start(self, ctx: Context) -> sp.csr_matrix:
        """The random attack's profiles under the same budget and seed: the optimisation's starting point."""
        budget = (self.n_fake, self.filler_size, self.goal)
        start = RandomAttack(self.target_items, *budget, self.rating_range, self.implicit, self.seed)
        return start.generate(ctx)

    def _discretise(self, relaxed: np.ndarray, ctx: Context) -> sp.csr_matrix:
        """Keep each row's `n_filler` largest non-target entries as fillers; ratings on the data's scale."""
        scores = relaxed.copy()
        scores[:, ctx.targets] = -np.inf
        fillers = np.sort(np.argsort(-scores, axis=1, kind="stable")[:, : ctx.n_filler], axis=1)
        items = np.hstack([np.tile(ctx.targets, (ctx.n_fake, 1)), fillers])
        filler_ratings = ctx.scale.quantise(np.take_along_axis(relaxed, fillers, axis=1) * ctx.scale.high)
        ratings = np.hstack([np.full((ctx.n_fake, len(ctx.targets)), ctx.target_rating), filler_ratings])
        return profiles_matrix(items, ratings, ctx.ratings.shape[1], ctx.ratings.dtype)
