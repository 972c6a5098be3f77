"""GAN objectives: the standard minimax game on logits, the Wasserstein critic with gradient penalty, and
IRGAN's pair-wise discriminator.

Standard GAN (Goodfellow et al. 2014): D maximises E log D(real) + E log(1 - D(fake)), with D = sigmoid of
the logits. WGAN-GP (Gulrajani et al. 2017): the critic minimises E f(fake) - E f(real) + lambda GP.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E log D(real) - E log(1 - D(fake)), D = sigmoid(logits): binary cross-entropy, real 1, fake 0."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The generator's side: E log(1 - D(fake)) (saturating, the minimax form) or -E log D(fake) (default)."""
    if saturating:
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's loss E f(fake) - E f(real), minus an estimate of the Wasserstein-1 distance."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's Wasserstein loss -E f(fake)."""
    return -fake_scores.mean()


def gradient_penalty(
    critic: Callable[..., torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
    cond: torch.Tensor | None = None, *, generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP's E (|grad_x f(x_hat)|_2 - 1)^2 at x_hat = e real + (1 - e) fake, e ~ U(0, 1) per row.

    `critic(x)` (or `critic(x, cond)` with a condition) returns one score per row; the gradient is taken
    with respect to x only and kept in the graph, so the penalty trains the critic.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} must have the same shape")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat) if cond is None else critic(x_hat, cond)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def pairwise_discriminator_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """IRGAN's pair-wise D (and BPR): -E log sigmoid(f(u, i+) - f(u, i-)) over (observed, generated) pairs."""
    if pos_scores.shape != neg_scores.shape:
        raise ValueError(f"pos_scores {tuple(pos_scores.shape)} and neg_scores {tuple(neg_scores.shape)} "
                         "must have the same shape")
    return F.softplus(neg_scores - pos_scores).mean()
