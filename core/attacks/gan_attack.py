"""GANAtt: learned fake users, realistic (GAN) and harmful (attack objective through a surrogate).

Christakopoulou & Banerjee, "Adversarial attacks on an oblivious recommender", RecSys 2019 (arXiv
1809.08336, "Adversarial Recommendation: Attack of the Learned Fake Users"): a repeated general-sum game
between an oblivious recommender R, retrained on real + fake users, and a fake-user generator A with two
goals, (G1) fake rating vectors distributed like real ones (a GAN: generator from noise, discriminator
real vs fake) and (G2) an attack objective f_A on R's output, here raising the target items' predicted
score for the real users who have not rated them. R is played by a surrogate matrix factorisation
(`fit_surrogate`, weighted ALS): every round it is refit on real + current fake users, then A takes
`steps_per_round` generator steps on GAN loss - `attack_weight` * f_A, where f_A re-solves the fake
users' factors and the target items' factors in closed form (one differentiable ALS step).
Each fake user rates `filler_size` items drawn from the rated items of a random real user (so its
sparsity is a real one) with generated values, and the targets at the maximum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from advrec.attacks.aush import l2_of, sample_fillers, template_users
from advrec.attacks.optimized_poisoning import fit_surrogate
from advrec.attacks.poisoning import Context, ProfileAttack, inject
from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.models.seeding import seeded


def ridge_rows(
    factors: torch.Tensor, values: torch.Tensor, weights: torch.Tensor, reg: float
) -> torch.Tensor:
    """Per row r of `values`: argmin_x sum_j weights_rj (x . factors_j - values_rj)^2 + reg ||x||^2."""
    dim = factors.shape[1]
    gram = torch.einsum("rj,jd,je->rde", weights, factors, factors)
    rhs = (weights * values) @ factors
    eye = reg * torch.eye(dim, dtype=factors.dtype, device=factors.device)
    return torch.linalg.solve(gram + eye, rhs.unsqueeze(-1)).squeeze(-1)


class GANAttack(ProfileAttack):
    """GANAtt push attack: `attack(ratings) -> csr [n_fake, n_items]` of generated fake users.

    noise_dim, g_hidden, d_hidden: generator (noise -> ratings in (0, max)) and discriminator widths;
    gan_steps: GAN-only updates (goal G1) before the game; rounds x steps_per_round: the game (G1 + G2);
    attack_weight: weight of f_A (the targets' mean surrogate score, in units of the rating scale's max)
    against the GAN loss; dim, reg, neg_weight, sweeps: the surrogate MF. After a call, `history_` holds
    the per-round f_A and GAN losses, and `gan_only_profiles_` the profiles the generator made before the
    game (goal G1 only: the ablation of the attack objective).
    """

    knowledge = "gray-box"
    needs = "the rating matrix, to train the GAN and a surrogate of the recommender"

    def __init__(
        self,
        target_items: int | Sequence[int],
        n_fake: int | float = 50,
        filler_size: int | float = 36,
        goal: str = "push",
        rating_range: tuple[float, float] | None = None,
        implicit: bool | None = None,
        seed: int = 0,
        noise_dim: int = 32,
        g_hidden: Sequence[int] = (256,),
        d_hidden: Sequence[int] = (256,),
        gan_steps: int = 300,
        rounds: int = 5,
        steps_per_round: int = 20,
        attack_weight: float = 10.0,
        batch_size: int = 128,
        lr_g: float = 1e-3,
        lr_d: float = 1e-3,
        reg_d: float = 1e-5,
        dim: int = 16,
        reg: float = 1.0,
        neg_weight: float = 0.1,
        sweeps: int = 5,
        device: str = "cpu",
    ) -> None:
        super().__init__(target_items, n_fake, filler_size, goal, rating_range, implicit, seed)
        if goal != "push":
            raise ValueError("this GANAtt implements the target-item push objective: goal must be 'push'")
        for name, value in (("noise_dim", noise_dim), ("gan_steps", gan_steps), ("rounds", rounds),
                            ("steps_per_round", steps_per_round), ("batch_size", batch_size), ("dim", dim),
                            ("sweeps", sweeps)):
            minimum = 0 if name in ("gan_steps", "rounds") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if not (attack_weight >= 0 and lr_g > 0 and lr_d > 0 and reg_d >= 0 and reg > 0
                and 0 < neg_weight <= 1):
            raise ValueError(f"expected attack_weight >= 0, lr_g, lr_d, reg > 0, reg_d >= 0 and "
                             f"0 < neg_weight <= 1; got {attack_weight}, {lr_g}, {lr_d}, {reg}, {reg_d}, "
                             f"{neg_weight}")
        self.noise_dim = noise_dim
        self.g_hidden = tuple(int(h) for h in g_hidden)
        self.d_hidden = tuple(int(h) for h in d_hidden)
        self.gan_steps, self.rounds, self.steps_per_round = gan_steps, rounds, steps_per_round
        self.attack_weight = float(attack_weight)
        self.batch_size = batch_size
        self.lr_g, self.lr_d, self.reg_d = float(lr_g), float(lr_d), float(reg_d)
        self.dim, self.reg, self.neg_weight, self.sweeps = dim, float(reg), float(neg_weight), sweeps
        self.device = device
        self.history_: list[dict[str, float]] = []
        self.gan_only_profiles_: sp.csr_matrix | None = None

    def generate(self, ctx: Context) -> sp.csr_matrix:
        if ctx.scale.implicit:
            raise ValueError("GANAtt here generates explicit ratings: pass an explicit rating matrix")
        r, n_items = ctx.ratings, ctx.ratings.shape[1]
        candidates = np.setdiff1d(np.arange(n_items), ctx.targets)
        templates = template_users(r, candidates, ctx.n_filler)
        if templates.size == 0:
            raise ValueError(f"no real user rated {ctx.n_filler} non-target items: lower filler_size")
        gen = torch.Generator().manual_seed(self.seed)
        game = _Game(r, ctx, candidates, self.device)
        with seeded(self.seed):
            g = MLPNet(self.noise_dim, n_items, hidden=self.g_hidden, activation="relu",
                       out_activation="sigmoid").to(self.device)
            d = MLPNet(n_items, 1, hidden=self.d_hidden, activation="relu").to(self.device)
        opt_g = torch.optim.Adam(g.parameters(), lr=self.lr_g)
        opt_d = torch.optim.Adam(d.parameters(), lr=self.lr_d)
        self.history_ = []
        for _ in range(self.gan_steps):
            self._step(g, d, opt_g, opt_d, game, templates, ctx, gen, None)
        fakes = self._sample(g, game, templates, ctx, gen)
        self.gan_only_profiles_ = game.profiles(fakes)
        for _ in range(self.rounds):
            surrogate = game.surrogate(fakes, self)
            logs = [self._step(g, d, opt_g, opt_d, game, templates, ctx, gen, surrogate)
                    for _ in range(self.steps_per_round)]
            fakes = self._sample(g, game, templates, ctx, gen)
            self.history_.append({k: float(np.mean([log[k] for log in logs])) for k in logs[0]})
        return game.profiles(fakes)

    def _generate(
        self, g: torch.nn.Module, masks: torch.Tensor, game: _Game, gen: torch.Generator
    ) -> torch.Tensor:
        z = torch.randn(masks.shape[0], self.noise_dim, generator=gen).to(self.device)
        return g(z) * game.high * masks

    def _step(self, g: torch.nn.Module, d: torch.nn.Module, opt_g: torch.optim.Optimizer,
              opt_d: torch.optim.Optimizer, game: _Game, templates: np.ndarray, ctx: Context,
              gen: torch.Generator, surrogate: tuple[torch.Tensor, torch.Tensor] | None) -> dict[str, float]:
        """One discriminator and one generator update; the generator adds -f_A once the game is on."""
        real_rows = game.rows(ctx.rng.choice(templates, self.batch_size))
        real = real_rows * sample_fillers(real_rows, game.candidates, ctx.n_filler, gen)
        n = self.batch_size if surrogate is None else ctx.n_fake
        masks = game.masks(ctx.rng.choice(templates, n), ctx.n_filler, gen)
        fake = self._generate(g, masks, game, gen)
        loss_d = discriminator_loss(d(real), d(fake.detach())) + self.reg_d * l2_of(d)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_gan = generator_loss(d(fake))
        loss = loss_gan
        log = {"d_loss": loss_d.item(), "g_gan": loss_gan.item()}
        if surrogate is not None:
            f_a = game.attack_objective(fake, surrogate, self)
            loss = loss - self.attack_weight * f_a
            log["f_A"] = f_a.item()
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        return log

    def _sample(self, g: torch.nn.Module, game: _Game, templates: np.ndarray, ctx: Context,
                gen: torch.Generator) -> torch.Tensor:
        """`n_fake` fake rating rows (targets still unset), values on the data's scale."""
        with torch.no_grad():
            masks = game.masks(np.resize(ctx.rng.permutation(templates), ctx.n_fake), ctx.n_filler, gen)
            fake = self._generate(g, masks, game, gen)
        return torch.as_tensor(ctx.scale.quantise(fake.cpu().numpy()), dtype=torch.float32) * masks.cpu()


class _Game:
    """The data, masks and surrogate recommender shared by the generator's steps."""

    def __init__(self, ratings: sp.csr_matrix, ctx: Context, candidates: np.ndarray, device: str) -> None:
        self.ratings, self.ctx, self.device = ratings, ctx, device
        self.high = ctx.scale.high
        self.candidates = torch.zeros(ratings.shape[1], dtype=torch.bool)
        self.candidates[torch.as_tensor(candidates)] = True
        self.targets = torch.as_tensor(ctx.targets, device=device)
        target_cols = ratings[:, ctx.targets].toarray()
        self.eligible = torch.as_tensor((target_cols == 0).all(axis=1), device=device)
        self.target_cols = torch.as_tensor(target_cols / self.high, dtype=torch.float32, device=device)

    def rows(self, users: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.ratings[users].toarray(), dtype=torch.float32, device=self.device)

    def masks(self, users: np.ndarray, n_filler: int, gen: torch.Generator) -> torch.Tensor:
        """Filler masks: `n_filler` items drawn from each listed real user's rated non-target items."""
        rows = torch.as_tensor(self.ratings[users].toarray(), dtype=torch.float32)
        return sample_fillers(rows, self.candidates, n_filler, gen).to(self.device)

    def profiles(self, fakes: torch.Tensor) -> sp.csr_matrix:
        dense = fakes.numpy().astype(np.float64)
        dense[:, self.ctx.targets] = self.ctx.target_rating
        out = sp.csr_matrix(dense, dtype=self.ratings.dtype)
        out.eliminate_zeros()
        out.sort_indices()
        return out

    def surrogate(self, fakes: torch.Tensor, attack: GANAttack) -> tuple[torch.Tensor, torch.Tensor]:
        """R's move: the surrogate MF refit on real + current fake users; its real-user and item factors."""
        poisoned = inject(self.ratings, self.profiles(fakes))
        p, q = fit_surrogate(poisoned, dim=attack.dim, sweeps=attack.sweeps, reg=attack.reg,
                             neg_weight=attack.neg_weight, seed=attack.seed, device=self.device)
        return p[: self.ratings.shape[0]], q

    def attack_objective(self, fake: torch.Tensor, surrogate: tuple[torch.Tensor, torch.Tensor],
                         attack: GANAttack) -> torch.Tensor:
        """f_A: mean surrogate score of the targets for eligible real users after one ALS step that
        re-solves the fake users' factors (from their ratings) and the targets' factors (from everyone)."""
        p, q = surrogate
        w_min = attack.neg_weight
        y_fake = (fake / self.high).index_fill(1, self.targets, self.ctx.target_rating / self.high)
        observed = (y_fake != 0).to(y_fake.dtype)
        w_fake = w_min + (1.0 - w_min) * observed
        p_fake = ridge_rows(q, y_fake, w_fake, attack.reg)
        users = torch.cat([p, p_fake])
        y_t = torch.cat([self.target_cols, y_fake[:, self.targets]]).T
        w_t = w_min + (1.0 - w_min) * (y_t != 0).to(y_t.dtype)
        q_t = ridge_rows(users, y_t, w_t, attack.reg)
        return (p[self.eligible] @ q_t.T).mean()
