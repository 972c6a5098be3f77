"""AUSH: fake profiles made by augmenting sampled real "template" profiles with a GAN.

Lin et al., "Attacking Recommender Systems with Augmented User Profiles", CIKM 2020 (official code:
github.com/XMUDM/ShillingAttack, AUSH/). Each fake profile copies `filler_size` ratings of a real
template user (the fillers), gives the target items the maximum rating, and rates the attacker's
*selected items* with a generator G fed the template's fillers. A discriminator D tells real profiles
(restricted to their fillers and selected items) from fake ones, with the target column hidden; G
minimises the GAN loss, the shilling loss (selected ratings pushed to the maximum), a reconstruction loss
(selected ratings the template gave, plus a sampled share of its unrated selected items pushed to 0) and
an L2 penalty, each weighted as in the official code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from advrec.attacks.poisoning import Context, ProfileAttack
from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.models.seeding import seeded


def template_users(ratings: sp.csr_matrix, candidates: np.ndarray, n_filler: int) -> np.ndarray:
    """Real users who rated at least `n_filler` (>= 1) of the `candidates` items: AUSH's template pool."""
    member = np.zeros(ratings.shape[1], dtype=bool)
    member[candidates] = True
    rows = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))
    counts = np.bincount(rows[member[ratings.indices]], minlength=ratings.shape[0])
    return np.flatnonzero(counts >= max(n_filler, 1))


def sample_fillers(
    rows: torch.Tensor, candidates: torch.Tensor, n_filler: int, gen: torch.Generator
) -> torch.Tensor:
    """Float mask [batch, n_items]: `n_filler` items drawn uniformly among each row's rated candidates.

    `rows` are dense rating rows (0 = unrated), `candidates` a bool [n_items] mask; a row with fewer rated
    candidates keeps all of them.
    """
    eligible = (rows != 0) & candidates
    keys = torch.rand(rows.shape, generator=gen).masked_fill(~eligible, -1.0)
    top = torch.topk(keys, min(n_filler, rows.shape[1]), dim=1)
    mask = torch.zeros_like(rows)
    mask.scatter_(1, top.indices, (top.values >= 0).to(rows.dtype))
    return mask


def l2_of(module: torch.nn.Module) -> torch.Tensor:
    """Half the squared norm of every parameter of `module` (TensorFlow's l2_loss summed)."""
    return sum(0.5 * (p**2).sum() for p in module.parameters())


class AUSH(ProfileAttack):
    """AUSH push attack: `attack(ratings) -> csr [n_fake, n_items]` of GAN-augmented template profiles.

    selected_items: the items every fake profile rates through the generator (the released
    `*_selected_items` file of the AUSH data); epochs, lr_g/lr_d, batch_g/batch_d, reg_g/reg_d,
    zr_ratio and loss_weights (GAN, shilling, reconstruction, L2) default to the official trainer's values;
    g_hidden/d_hidden are the two networks' hidden widths (sigmoid activations, as there).
    After a call, `history_` lists the per-epoch mean losses of D and G.
    """

    knowledge = "gray-box"
    needs = "the rating matrix (to sample template users) and the selected items"

    def __init__(
        self,
        target_items: int | Sequence[int],
        selected_items: Sequence[int],
        n_fake: int | float = 50,
        filler_size: int | float = 36,
        goal: str = "push",
        rating_range: tuple[float, float] | None = None,
        implicit: bool | None = None,
        seed: int = 0,
        epochs: int = 150,
        g_hidden: Sequence[int] = (133, 44, 14),
        d_hidden: Sequence[int] = (150, 150, 150),
        lr_g: float = 0.01,
        lr_d: float = 1e-4,
        batch_g: int = 256,
        batch_d: int = 64,
        reg_g: float = 1e-4,
        reg_d: float = 1e-5,
        zr_ratio: float = 0.5,
        loss_weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
        device: str = "cpu",
    ) -> None:
        super().__init__(target_items, n_fake, filler_size, goal, rating_range, implicit, seed)
        if goal != "push":
            raise ValueError("AUSH is a push attack: goal must be 'push'")
        sel = sorted({int(i) for i in selected_items} - set(self.target_items))
        if not sel:
            raise ValueError("selected_items must list at least one item id that is not a target")
        for name, value in (("epochs", epochs), ("batch_g", batch_g), ("batch_d", batch_d)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (lr_g > 0 and lr_d > 0 and reg_g >= 0 and reg_d >= 0 and 0 <= zr_ratio <= 1):
            raise ValueError(f"expected lr_g, lr_d > 0, reg_g, reg_d >= 0 and zr_ratio in [0, 1]; got "
                             f"{lr_g}, {lr_d}, {reg_g}, {reg_d}, {zr_ratio}")
        if len(loss_weights) != 4 or any(w < 0 for w in loss_weights):
            raise ValueError(f"loss_weights must be 4 non-negative weights (gan, shilling, reconstruction, "
                             f"l2), got {loss_weights!r}")
        self.selected_items = sel
        self.epochs = epochs
        self.g_hidden = tuple(int(h) for h in g_hidden)
        self.d_hidden = tuple(int(h) for h in d_hidden)
        self.lr_g, self.lr_d = float(lr_g), float(lr_d)
        self.batch_g, self.batch_d = batch_g, batch_d
        self.reg_g, self.reg_d = float(reg_g), float(reg_d)
        self.zr_ratio = float(zr_ratio)
        self.loss_weights = tuple(float(w) for w in loss_weights)
        self.device = device
        self.history_: list[dict[str, float]] = []

    def generate(self, ctx: Context) -> sp.csr_matrix:
        if ctx.scale.implicit:
            raise ValueError("AUSH needs explicit ratings: the generator rates the selected items")
        r, n_items = ctx.ratings, ctx.ratings.shape[1]
        sel = np.asarray(self.selected_items, dtype=np.int64)
        if sel.max() >= n_items:
            raise ValueError(f"selected_items must be item ids in [0, {n_items}), got {self.selected_items}")
        candidates = np.setdiff1d(np.arange(n_items), np.concatenate([ctx.targets, sel]))
        templates = template_users(r, candidates, ctx.n_filler)
        if templates.size == 0:
            raise ValueError(f"no real user rated {ctx.n_filler} filler candidates: lower filler_size")
        gen = torch.Generator().manual_seed(self.seed)
        parts = _Parts(r, ctx, sel, candidates, self.device)
        with seeded(self.seed):
            g = MLPNet(n_items, len(sel), hidden=self.g_hidden, activation="sigmoid").to(self.device)
            d = MLPNet(n_items, 1, hidden=self.d_hidden, activation="sigmoid").to(self.device)
        opt_g = torch.optim.Adam(g.parameters(), lr=self.lr_g)
        opt_d = torch.optim.Adam(d.parameters(), lr=self.lr_d)
        self.history_ = []
        for _ in range(self.epochs):
            d_loss = self._epoch_d(g, d, opt_d, parts, templates, ctx, gen)
            g_loss = self._epoch_g(g, d, opt_g, parts, templates, ctx, gen)
            self.history_.append({"d_loss": d_loss, **g_loss})
        chosen = np.resize(ctx.rng.permutation(templates), ctx.n_fake)
        with torch.no_grad():
            rows = parts.rows(chosen)
            fillers = sample_fillers(rows, parts.candidates, ctx.n_filler, gen)
            selected = g(rows * fillers)
        return _assemble(rows * fillers, selected.cpu().numpy(), sel, ctx)

    @staticmethod
    def _fake(
        g: torch.nn.Module, rows: torch.Tensor, fillers: torch.Tensor, parts: _Parts
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Generator output on the selected items, and the fake profiles (target column left at 0)."""
        out = g(rows * fillers)
        fake = (rows * fillers).index_copy(1, parts.sel, out)
        return out, fake

    def _epoch_d(self, g: torch.nn.Module, d: torch.nn.Module, opt: torch.optim.Optimizer, parts: _Parts,
                 templates: np.ndarray, ctx: Context, gen: torch.Generator) -> float:
        losses = []
        order = ctx.rng.permutation(templates)
        for start in range(0, len(order), self.batch_d):
            rows = parts.rows(order[start:start + self.batch_d])
            fillers = sample_fillers(rows, parts.candidates, ctx.n_filler, gen)
            with torch.no_grad():
                _, fake = self._fake(g, rows, fillers, parts)
            real = rows * (fillers + parts.sel_mask) * parts.target_off
            loss = discriminator_loss(d(real), d(fake * parts.target_off)) + self.reg_d * l2_of(d)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def _epoch_g(self, g: torch.nn.Module, d: torch.nn.Module, opt: torch.optim.Optimizer, parts: _Parts,
                 templates: np.ndarray, ctx: Context, gen: torch.Generator) -> dict[str, float]:
        w_gan, w_shill, w_rec, w_l2 = self.loss_weights
        sums = np.zeros(4)
        n = 0
        order = ctx.rng.permutation(templates)
        high = ctx.scale.high
        for start in range(0, len(order), self.batch_g):
            rows = parts.rows(order[start:start + self.batch_g])
            fillers = sample_fillers(rows, parts.candidates, ctx.n_filler, gen)
            out, fake = self._fake(g, rows, fillers, parts)
            own = rows[:, parts.sel]
            kept = (own != 0) | (torch.rand(own.shape, generator=gen) < self.zr_ratio)
            terms = (
                generator_loss(d(fake * parts.target_off)),
                ((out - high) ** 2).mean(),
                (((out - own) ** 2) * kept).sum(dim=1).mean(),
                self.reg_g * l2_of(g),
            )
            loss = w_gan * terms[0] + w_shill * terms[1] + w_rec * terms[2] + w_l2 * terms[3]
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [t.item() for t in terms]
            n += 1
        names = ("g_gan", "g_shilling", "g_reconstruction", "g_l2")
        return {k: float(v / n) for k, v in zip(names, sums, strict=True)}


class _Parts:
    """Dense rows of the rating matrix and the masks every AUSH step reuses."""

    def __init__(self, ratings: sp.csr_matrix, ctx: Context, sel: np.ndarray, candidates: np.ndarray,
                 device: str) -> None:
        n_items = ratings.shape[1]
        self.ratings = ratings
        self.device = device
        self.sel = torch.as_tensor(sel, device=device)
        self.sel_mask = torch.zeros(n_items, device=device).index_fill_(0, self.sel, 1.0)
        self.target_off = torch.ones(n_items, device=device).index_fill_(
            0, torch.as_tensor(ctx.targets, device=device), 0.0)
        self.candidates = torch.zeros(n_items, dtype=torch.bool, device=device)
        self.candidates[torch.as_tensor(candidates, device=device)] = True

    def rows(self, users: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.ratings[users].toarray(), dtype=torch.float32, device=self.device)


def _assemble(
    filler_rows: torch.Tensor, selected: np.ndarray, sel: np.ndarray, ctx: Context
) -> sp.csr_matrix:
    """Fake profiles: the templates' filler ratings, the generated selected ratings, the targets at max."""
    dense = filler_rows.cpu().numpy().astype(np.float64)
    dense[:, sel] = ctx.scale.quantise(selected)
    dense[:, ctx.targets] = ctx.target_rating
    out = sp.csr_matrix(dense, dtype=ctx.ratings.dtype)
    out.eliminate_zeros()
    out.sort_indices()
    return out
