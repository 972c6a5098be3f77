"""Shilling (data poisoning) attacks: fake user profiles that push or nuke target items.

Lam & Riedl, "Shilling Recommender Systems for Fun and Profit", WWW 2004 (random, average); Burke et al.,
"Limited Knowledge Shilling Attacks in Collaborative Filtering Systems", 2005 (bandwagon, segment);
Mobasher et al., "Toward Trustworthy Recommender Systems", ACM TOIT 2007 (love/hate, segment).
A profile is: the target items (max rating to push, min to nuke), optional selected items, and
`filler_size` random filler items whose ratings depend on the attack. Budgets: `n_fake` is a count (int) or
a share of the real users (float), `filler_size` a count (int) or a share of the items (float).
On implicit data (all stored values equal) every rated item gets 1 and only push attacks exist.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from advrec.attacks.threat_model import ThreatModel

GOALS = ("push", "nuke")


@dataclass(frozen=True)
class RatingScale:
    """How the rating matrix encodes preferences: binary (implicit) or a [low, high] scale (explicit)."""

    implicit: bool
    low: float
    high: float
    integer: bool

    def quantise(self, values: np.ndarray) -> np.ndarray:
        """Ratings clipped to [low, high] and rounded when the scale is integer."""
        if self.implicit:
            return np.ones_like(values, dtype=float)
        out = np.clip(values, self.low, self.high)
        return np.rint(out) if self.integer else out


def as_csr(ratings: object, name: str = "ratings") -> sp.csr_matrix:
    """`ratings` as a float csr_matrix with sorted indices, or a clear error."""
    if sp.issparse(ratings):
        out = sp.csr_matrix(ratings)
    elif isinstance(ratings, np.ndarray) and ratings.ndim == 2:
        out = sp.csr_matrix(ratings)
    else:
        raise TypeError(f"{name} must be a scipy sparse matrix [users, items], got {type(ratings).__name__}")
    if out.shape[0] == 0 or out.shape[1] == 0 or out.nnz == 0:
        raise ValueError(f"{name} must have users, items and at least one rating, got shape {out.shape}")
    if not np.issubdtype(out.dtype, np.floating):
        out = out.astype(np.float32)
    out.sort_indices()
    return out


def rating_scale(
    ratings: sp.csr_matrix, rating_range: tuple[float, float] | None = None, implicit: bool | None = None
) -> RatingScale:
    """The scale of `ratings`: implicit if all stored values are equal (unless told), range from the data."""
    data = ratings.data
    if implicit is None:
        implicit = bool(np.all(data == data[0]))
    if implicit:
        return RatingScale(implicit=True, low=1.0, high=1.0, integer=True)
    low, high = (float(data.min()), float(data.max())) if rating_range is None else map(float, rating_range)
    if not low < high:
        raise ValueError(f"rating_range must be (low, high) with low < high, got ({low}, {high})")
    integer = bool(np.all(data == np.rint(data))) and low == int(low) and high == int(high)
    return RatingScale(implicit=False, low=low, high=high, integer=integer)


def _check_budget(value: int | float, name: str, minimum: int) -> int | float:
    """A budget: a count (int >= minimum) or a share (float in [0, 1])."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be an int (count) or a float (share), got {value!r}")
    if isinstance(value, int) and value < minimum:
        raise ValueError(f"{name} as a count must be at least {minimum}, got {value}")
    if isinstance(value, float) and not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} as a share must be in [0, 1], got {value}")
    return value


def _count(value: int | float, total: int, minimum: int) -> int:
    """A checked budget as a count: itself (int) or round(share * total), at least `minimum` (float)."""
    return value if isinstance(value, int) else max(minimum, int(round(value * total)))


@dataclass(frozen=True)
class Context:
    """What every attack derives from the data before building profiles."""

    ratings: sp.csr_matrix
    scale: RatingScale
    targets: np.ndarray
    target_rating: float
    n_fake: int
    n_filler: int
    rng: np.random.Generator


def _describe(budget: int | float, of: str) -> str:
    return f"{budget:.2%} {of}" if isinstance(budget, float) else str(budget)


class ProfileAttack(ABC):
    """Base of poisoning attacks: `attack(ratings) -> csr [n_fake, n_items]` of fake profiles."""

    knowledge = "black-box"
    needs = "the catalogue"

    def __init__(
        self,
        target_items: int | Sequence[int],
        n_fake: int | float = 0.01,
        filler_size: int | float = 0.05,
        goal: str = "push",
        rating_range: tuple[float, float] | None = None,
        implicit: bool | None = None,
        seed: int = 0,
    ) -> None:
        items = [target_items] if isinstance(target_items, (int, np.integer)) else list(target_items)
        if not items or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
            raise ValueError(f"target_items must be one or more item ids, got {target_items!r}")
        if goal not in GOALS:
            raise ValueError(f"goal must be one of {GOALS}, got {goal!r}")
        self.target_items = sorted({int(i) for i in items})
        self.n_fake = _check_budget(n_fake, "n_fake", minimum=1)
        self.filler_size = _check_budget(filler_size, "filler_size", minimum=0)
        self.goal = goal
        self.rating_range = rating_range
        self.implicit = implicit
        self.seed = seed

    @property
    def threat_model(self) -> ThreatModel:
        """Injection capability and budget of this attack; knowledge is what it reads from the data."""
        fake = _describe(self.n_fake, "of the users")
        filler = _describe(self.filler_size, "of the items")
        return ThreatModel(
            knowledge=self.knowledge,
            capability=f"inject fake user profiles ({fake}) with {filler} filler items; reads {self.needs}",
            norm=None,
            epsilon=None,
            target=f"items {self.target_items}",
            goal=f"{self.goal} the target items",
            fake_share=self.n_fake if isinstance(self.n_fake, float) else None,
            filler_size=self.filler_size,
            iterations=getattr(self, "attack_steps", None),
        )

    def context(self, ratings: object) -> Context:
        """Validated data, scale, budgets and random generator for one call."""
        r = as_csr(ratings)
        n_users, n_items = r.shape
        targets = np.asarray(self.target_items, dtype=np.int64)
        if targets.min() < 0 or targets.max() >= n_items:
            raise ValueError(f"target_items must be item ids in [0, {n_items}), got {self.target_items}")
        scale = rating_scale(r, self.rating_range, self.implicit)
        if scale.implicit and self.goal == "nuke":
            raise ValueError("goal='nuke' needs explicit ratings: implicit data cannot express a low rating")
        return Context(
            ratings=r,
            scale=scale,
            targets=targets,
            target_rating=scale.low if self.goal == "nuke" else scale.high,
            n_fake=_count(self.n_fake, n_users, minimum=1),
            n_filler=_count(self.filler_size, n_items, minimum=0),
            rng=np.random.default_rng(self.seed),
        )

    def __call__(self, ratings: object) -> sp.csr_matrix:
        """Fake profiles for `ratings` (users x items, explicit or implicit): csr [n_fake, n_items]."""
        ctx = self.context(ratings)
        return self.generate(ctx)

    @abstractmethod
    def generate(self, ctx: Context) -> sp.csr_matrix:
        """The fake profiles under the validated context."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class _TemplateAttack(ProfileAttack):
    """Profiles = targets + selected items (same for every profile) + random fillers."""

    def selected(self, ctx: Context) -> tuple[np.ndarray, float]:
        """Items every profile rates, and their rating; none by default."""
        return np.empty(0, dtype=np.int64), ctx.scale.high

    @abstractmethod
    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        """Ratings (before quantisation) of the filler items, an array [n_fake, n_filler] of item ids."""

    def generate(self, ctx: Context) -> sp.csr_matrix:
        n_items = ctx.ratings.shape[1]
        sel, sel_rating = self.selected(ctx)
        candidates = np.setdiff1d(np.arange(n_items), np.concatenate([ctx.targets, sel]))
        if ctx.n_filler > len(candidates):
            raise ValueError(
                f"filler_size={self.filler_size} asks for {ctx.n_filler} fillers but only {len(candidates)} "
                "items are neither targets nor selected items"
            )
        draws = [np.sort(ctx.rng.choice(candidates, ctx.n_filler, replace=False)) for _ in range(ctx.n_fake)]
        fillers = np.array(draws, dtype=np.int64).reshape(ctx.n_fake, ctx.n_filler)
        fixed = np.concatenate([ctx.targets, sel])
        fixed_ratings = np.repeat([ctx.target_rating, sel_rating], [len(ctx.targets), len(sel)])
        items = np.hstack([np.tile(fixed, (ctx.n_fake, 1)), fillers])
        ratings = np.hstack([np.tile(fixed_ratings, (ctx.n_fake, 1)), self.filler_ratings(ctx, fillers)])
        return profiles_matrix(items, ctx.scale.quantise(ratings), n_items, ctx.ratings.dtype)


def profiles_matrix(items: np.ndarray, ratings: np.ndarray, n_items: int, dtype: np.dtype) -> sp.csr_matrix:
    """csr [n_fake, n_items] from per-profile item ids and ratings, both arrays [n_fake, profile size]."""
    rows = np.repeat(np.arange(items.shape[0]), items.shape[1])
    shape = (items.shape[0], n_items)
    out = sp.csr_matrix((ratings.ravel(), (rows, items.ravel())), shape=shape, dtype=dtype)
    out.sort_indices()
    return out


def _global_stats(ctx: Context) -> tuple[float, float]:
    data = ctx.ratings.data
    return float(data.mean()), float(data.std())


class RandomAttack(_TemplateAttack):
    """Random attack (Lam & Riedl 2004): fillers rated from N(global mean, global std)."""

    needs = "the global rating mean and spread"

    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        mean, std = _global_stats(ctx)
        return ctx.rng.normal(mean, std, size=fillers.shape)


class AverageAttack(_TemplateAttack):
    """Average attack (Lam & Riedl 2004): each filler rated from N(item mean, item std)."""

    knowledge = "gray-box"
    needs = "every item's rating mean and spread"

    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        r = ctx.ratings
        counts = np.bincount(r.indices, minlength=r.shape[1])[fillers]
        sums = np.asarray(r.sum(axis=0)).ravel()[fillers]
        sq = np.asarray(r.multiply(r).sum(axis=0)).ravel()[fillers]
        g_mean, g_std = _global_stats(ctx)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), g_mean)
        var = np.where(counts > 1, sq / np.maximum(counts, 1) - mean**2, g_std**2)
        return ctx.rng.normal(mean, np.sqrt(np.maximum(var, 0.0)))


class BandwagonAttack(_TemplateAttack):
    """Bandwagon attack (Burke et al. 2005): the `n_popular` most-rated items get the max rating, fillers
    are rated like the random attack."""

    needs = "the most popular items and the global rating mean and spread"

    def __init__(self, target_items: int | Sequence[int], n_popular: int = 5, **kwargs: Any) -> None:
        super().__init__(target_items, **kwargs)
        if isinstance(n_popular, bool) or not isinstance(n_popular, int) or n_popular < 1:
            raise ValueError(f"n_popular must be a positive integer, got {n_popular!r}")
        self.n_popular = n_popular

    def selected(self, ctx: Context) -> tuple[np.ndarray, float]:
        """The `n_popular` items with most ratings (ties: lower id first), targets excluded."""
        counts = np.bincount(ctx.ratings.indices, minlength=ctx.ratings.shape[1]).astype(np.int64)
        counts[ctx.targets] = -1
        order = np.argsort(-counts, kind="stable")
        if self.n_popular > len(order) - len(ctx.targets):
            raise ValueError(f"n_popular={self.n_popular} exceeds the number of non-target items")
        return np.sort(order[: self.n_popular]), ctx.scale.high

    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        mean, std = _global_stats(ctx)
        return ctx.rng.normal(mean, std, size=fillers.shape)


class SegmentAttack(_TemplateAttack):
    """Segment attack (Mobasher et al. 2007): the segment's items get the max rating, fillers the min, so the
    target becomes similar to the segment for users who like it."""

    needs = "a segment of items liked by the targeted users"

    def __init__(
        self, target_items: int | Sequence[int], segment_items: Sequence[int], **kwargs: Any
    ) -> None:
        super().__init__(target_items, **kwargs)
        seg = sorted({int(i) for i in segment_items})
        if not seg:
            raise ValueError("segment_items must list at least one item id")
        if set(seg) & set(self.target_items):
            raise ValueError(f"segment_items must not contain target items {self.target_items}")
        self.segment_items = seg

    def selected(self, ctx: Context) -> tuple[np.ndarray, float]:
        seg = np.asarray(self.segment_items, dtype=np.int64)
        if seg.min() < 0 or seg.max() >= ctx.ratings.shape[1]:
            raise ValueError(f"segment_items must be item ids in [0, {ctx.ratings.shape[1]})")
        return seg, ctx.scale.high

    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        return np.full(fillers.shape, ctx.scale.low)


class LoveHateAttack(_TemplateAttack):
    """Love/hate attack (Mobasher et al. 2007): target min and fillers max to nuke; target max, fillers min
    to push. Needs no knowledge of the data."""

    needs = "nothing but the rating scale"

    def filler_ratings(self, ctx: Context, fillers: np.ndarray) -> np.ndarray:
        if ctx.scale.implicit:
            raise ValueError("the love/hate attack needs explicit ratings (fillers get the opposite rating)")
        return np.full(fillers.shape, ctx.scale.low if self.goal == "push" else ctx.scale.high)


def inject(train: object, fakes: object) -> sp.csr_matrix:
    """The training matrix with the fake profiles appended as new users (ids n_users .. n_users+n_fake-1)."""
    r = as_csr(train, "train")
    if not sp.issparse(fakes):
        raise TypeError(f"fakes must be a scipy sparse matrix [n_fake, n_items], got {type(fakes).__name__}")
    if fakes.shape[1] != r.shape[1]:
        raise ValueError(f"fakes have {fakes.shape[1]} item columns, train has {r.shape[1]}")
    out = sp.csr_matrix(sp.vstack([r, sp.csr_matrix(fakes).astype(r.dtype)], format="csr"))
    out.sort_indices()
    return out
