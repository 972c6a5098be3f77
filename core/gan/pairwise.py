"""Pieces shared by the latent-factor GANs of the IRGAN family that train with pairs (CoFiGAN, LambdaGAN):
per-user draws from a softmax with per-row counts, the users' training items as a boolean mask, and a
scorer restricted to a candidate set (CoFiGAN's protocol ranks only items seen in training).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch

from advrec.models.base import Recommender


def observed_mask(csr: sp.csr_matrix, users: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Bool [len(users), n_items]: True where row `users[r]` of `csr` has a stored entry."""
    rows = csr[np.asarray(users)]
    out = torch.zeros(rows.shape, dtype=torch.bool, device=device)
    r = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    cols = torch.as_tensor(rows.indices, device=device, dtype=torch.long)
    out[torch.as_tensor(r, device=device), cols] = True
    return out


def softmax_draws(
    logits: torch.Tensor, counts: np.ndarray | torch.Tensor, *, exclude: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`counts[r]` items per row drawn with replacement from softmax(logits[r]) (excluded items get 0).

    Returns (items [B, max count], mask [B, max count]); the mask keeps the first `counts[r]` draws of a row
    (rows with count 0 draw nothing). A row whose every item is excluded raises ValueError.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must be [batch, n_items], got shape {tuple(logits.shape)}")
    n = torch.as_tensor(np.asarray(counts), device=logits.device, dtype=torch.long)
    if n.shape != (logits.shape[0],) or bool((n < 0).any()):
        raise ValueError(f"counts must be {logits.shape[0]} non-negative integers, "
                         f"got shape {tuple(n.shape)}")
    if exclude is not None:
        if exclude.shape != logits.shape:
            raise ValueError(f"exclude has shape {tuple(exclude.shape)}, expected {tuple(logits.shape)}")
        full = exclude.all(dim=1) & (n > 0)
        if bool(full.any()):
            row = int(full.nonzero()[0, 0])
            raise ValueError(f"row {row} excludes every item, nothing left to draw from")
        logits = logits.masked_fill(exclude, float("-inf"))
    width = max(int(n.max()) if len(n) else 0, 1)
    probs = torch.softmax(logits.detach(), dim=1)
    items = torch.multinomial(probs, width, replacement=True, generator=generator)
    mask = torch.arange(width, device=logits.device)[None, :] < n[:, None]
    return items, mask


def restrict_items(model: Recommender, allowed: np.ndarray) -> Callable[[torch.Tensor], torch.Tensor]:
    """A scorer for `advrec.evaluation.evaluate`: `model.full_scores` with the items outside the boolean
    `allowed` [n_items] at the lowest finite float (evaluate rejects infinite scores), so they rank below
    every allowed item and are never recommended (e.g. items never seen in training)."""
    allowed = np.asarray(allowed)
    if allowed.dtype != bool or allowed.shape != (model.n_items,):
        raise ValueError(f"allowed must be a boolean array of shape ({model.n_items},), "
                         f"got dtype {allowed.dtype} and shape {allowed.shape}")
    blocked = torch.as_tensor(~allowed, device=model.device)
    return lambda users: model.full_scores(users.to(blocked.device)).masked_fill(
        blocked, torch.finfo(torch.float32).min)
